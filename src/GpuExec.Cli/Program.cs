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
    foreach (var e in parse.Errors) CliOutput.Error(e.Message);
    Console.Error.WriteLine("Run 'gpuexec --help' for usage.");
    return ExitCodes.Usage;
}
try
{
    return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (GpuExecException e)
{
    CliOutput.Error(e.Message);
    return ExitCodes.For(e.Kind);
}
catch (DeviceUnavailableException e)
{
    CliOutput.Error(e.Message);
    return ExitCodes.DeviceUnavailable;
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException)
{
    CliOutput.Error("I/O error: " + e.Message);
    return ExitCodes.InternalError;
}
