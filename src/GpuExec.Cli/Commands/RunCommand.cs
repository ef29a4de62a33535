using System.CommandLine;
using System.Text;
using GpuExec.Engine;
using GpuExec.Engine.Devices;
using GpuExec.Execution;
using GpuExec.State;
using GpuExec.Wire;
using Microsoft.Extensions.Logging;

namespace GpuExec.Cli.Commands;

/// <summary><c>gpuexec run</c>: apply blocks to a genesis and write the dump and receipts.</summary>
public static class RunCommand
{
    public static Command Create()
    {
        var genesis = new Option<FileInfo?>("--genesis") { Description = "Genesis or dump JSON (SPEC section 7)." };
        var blocks = new Option<FileInfo[]>("--block") { Description = "A .gxb block; repeat to apply several in order.", AllowMultipleArgumentsPerToken = false };
        var output = new Option<FileInfo?>("--out") { Description = "Where to write the dump of the final state." };
        var receipts = new Option<FileInfo?>("--receipts") { Description = "Where to write the last block's receipts (JSON lines)." };
        var executor = new Option<string>("--executor") { Description = "sequential or parallel.", DefaultValueFactory = _ => "sequential" };
        executor.AcceptOnlyFromAmong("sequential", "parallel");
        var device = Options.Device();
        var verbose = Options.Verbose();
        var cmd = new Command("run", "Apply blocks in order to a genesis state; write the dump (--out) and the last block's receipts.")
        {
            genesis, blocks, output, receipts, executor, device, verbose,
        };
        cmd.SetAction(parse =>
        {
            var g = parse.GetValue(genesis);
            var bs = parse.GetValue(blocks) ?? [];
            var o = parse.GetValue(output);
            var r = parse.GetValue(receipts);
            if (g is null) { CliOutput.Error("run: --genesis is required"); return ExitCodes.Usage; }
            if (o is null && r is null) { CliOutput.Error("run: nothing to write: give --out and/or --receipts"); return ExitCodes.Usage; }
            var exec = parse.GetValue(executor) == "parallel" ? ExecutorKind.Parallel : ExecutorKind.Sequential;
            var dev = DeviceKindNames.Parse(parse.GetValue(device)!);
            return Run(g.FullName, bs.Select(b => b.FullName).ToArray(), o?.FullName, r?.FullName, exec, dev, parse.GetValue(verbose));
        });
        return cmd;
    }

    private enum ExecutorKind { Sequential, Parallel }

    private static int Run(string genesisPath, string[] blockPaths, string? outPath, string? receiptsPath, ExecutorKind exec, DeviceKind device, bool verbose)
    {
        var state = StateJson.ReadFile(genesisPath);
        BlockResult? last = null;
        using var logging = CliLogging.Create(verbose);
        using var pipeline = exec == ExecutorKind.Parallel
            ? new BlockPipeline(new GpuExecOptions { Device = device }, logging.CreateLogger<BlockPipeline>())
            : null;
        foreach (var path in blockPaths)
        {
            var block = BlockCodec.ReadFile(path);
            last = pipeline is null
                ? SequentialExecutor.Execute(state, block, verifySignatures: true, source: path)
                : pipeline.Execute(block, state, source: path).Result;
        }
        // Everything was applied: only now are files written, each atomically.
        if (outPath is not null) CliOutput.WriteAtomically(outPath, s => StateJson.WriteDump(state, s));
        if (receiptsPath is not null)
        {
            CliOutput.WriteAtomically(receiptsPath, s =>
            {
                using var w = new StreamWriter(s, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
                last?.WriteReceipts(w);
            });
        }
        return ExitCodes.Ok;
    }
}
