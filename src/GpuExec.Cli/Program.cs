using System.CommandLine;
using GpuExec;
using GpuExec.Cli;
using GpuExec.Cli.Commands;
using GpuExec.Engine.Devices;

var root = new RootCommand("gpuexec: executes blocks of signed transfers and AMM swaps in parallel, identical to sequential execution.")
{
    RunCommand.Create(),
    GenCommand.Create(),
    BenchCommand.Create(),
    VerifyCommand.Create(),
    DevicesCommand.Create(),
};

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    // One line, as every error: the first problem and where to look.
    CliOutput.Error(parse.Errors[0].Message + " (see 'gpuexec --help')");
    return ExitCodes.Usage;
}
try
{
    return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e)
{
    return Report(e);
}

// Every failure ends as one line on stderr and a documented exit code.
static int Report(Exception e)
{
    while (e is AggregateException { InnerExceptions.Count: 1 } a) e = a.InnerExceptions[0];
    switch (e)
    {
        case GpuExecException g:
            CliOutput.Error(g.Message);
            return ExitCodes.For(g.Kind);
        case DeviceUnavailableException d:
            CliOutput.Error(d.Message);
            return ExitCodes.DeviceUnavailable;
        case IOException or UnauthorizedAccessException:
            CliOutput.Error("I/O error: " + e.Message);
            return ExitCodes.InternalError;
        case OutOfMemoryException:
            CliOutput.Error("out of memory");
            return ExitCodes.InternalError;
        default:
            // A bug: one line naming it, not a stack trace and an abort.
            CliOutput.Error($"internal error: {e.GetType().Name}: {e.Message}");
            return ExitCodes.InternalError;
    }
}
