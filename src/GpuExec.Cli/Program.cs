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
    ProofCommand.Create(),
    ProofCommand.CreateVerify(),
    DevicesCommand.Create(),
};

NativeMemory.LimitMallocArenas();

// Piped output keeps whole tables: Spectre.Console would otherwise assume an 80-column terminal.
if (Console.IsOutputRedirected) Spectre.Console.AnsiConsole.Profile.Width = 240;

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
    return CliErrors.Report(e, Console.Error);
}
