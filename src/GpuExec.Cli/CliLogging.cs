using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace GpuExec.Cli;

/// <summary>
/// Logs to stderr, so stdout stays for results. Without --verbose only errors are logged, and the
/// commands' own summaries (category <see cref="Summary"/>, Information, written only on success):
/// a failing command's stderr is then its one error line and nothing else. With --verbose, Debug
/// and above; with --quiet, not even the summary.
/// </summary>
internal static class CliLogging
{
    /// <summary>
    /// The category of the one-line summary a command logs when it succeeds. Filters match category
    /// prefixes ignoring case, so it must not be a prefix of the engine's (<c>GpuExec.Engine...</c>).
    /// </summary>
    public const string Summary = "gpuexec.summary";

    public static ILoggerFactory Create(bool verbose, bool quiet = false) => LoggerFactory.Create(b =>
    {
        b.SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Error);
        b.AddFilter(Summary, quiet ? LogLevel.None : verbose ? LogLevel.Debug : LogLevel.Information);
        b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
        b.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    });
}
