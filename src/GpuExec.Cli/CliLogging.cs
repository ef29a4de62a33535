using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace GpuExec.Cli;

/// <summary>
/// Logs to stderr, so stdout stays for results. Without --verbose only errors are logged: a failing
/// command's stderr is then its one error line and nothing else. With --verbose, Debug and above.
/// </summary>
internal static class CliLogging
{
    public static ILoggerFactory Create(bool verbose) => LoggerFactory.Create(b =>
    {
        b.SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Error);
        b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
        b.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    });
}
