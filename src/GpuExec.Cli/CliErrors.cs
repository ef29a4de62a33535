using GpuExec.Engine.Devices;

namespace GpuExec.Cli;

/// <summary>Turns any exception that reaches the top of a command into one stderr line and a documented exit code.</summary>
internal static class CliErrors
{
    /// <summary>Writes one line for <paramref name="e"/> and returns its exit code (<see cref="ExitCodes"/>).</summary>
    public static int Report(Exception e, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(stderr);
        while (e is AggregateException { InnerExceptions.Count: 1 } a) e = a.InnerExceptions[0];
        var (code, message) = e switch
        {
            GpuExecException g => (ExitCodes.For(g.Kind), g.Message),
            DeviceUnavailableException d => (ExitCodes.DeviceUnavailable, d.Message),
            IOException or UnauthorizedAccessException => (ExitCodes.InternalError, "I/O error: " + e.Message),
            OutOfMemoryException => (ExitCodes.InternalError, "out of memory"),
            // A bug: one line naming it, not a stack trace and an abort.
            _ => (ExitCodes.InternalError, $"internal error: {e.GetType().Name}: {e.Message}"),
        };
        stderr.WriteLine("gpuexec: " + CliOutput.OneLine(message));
        return code;
    }
}
