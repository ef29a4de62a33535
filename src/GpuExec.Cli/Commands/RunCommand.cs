using System.CommandLine;
using System.Text;
using GpuExec.Execution;
using GpuExec.State;
using GpuExec.Wire;

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
        var cmd = new Command("run", "Apply blocks in order to a genesis state; write the dump (--out) and the last block's receipts.")
        {
            genesis, blocks, output, receipts, executor, device,
        };
        cmd.SetAction(parse =>
        {
            var g = parse.GetValue(genesis);
            var bs = parse.GetValue(blocks) ?? [];
            var o = parse.GetValue(output);
            var r = parse.GetValue(receipts);
            if (g is null) { CliOutput.Error("run: --genesis is required"); return ExitCodes.Usage; }
            if (o is null && r is null) { CliOutput.Error("run: nothing to write: give --out and/or --receipts"); return ExitCodes.Usage; }
            if (parse.GetValue(executor) == "parallel")
            {
                CliOutput.Error("run: --executor parallel is not available yet in this build");
                return ExitCodes.Usage;
            }
            return Run(g.FullName, bs.Select(b => b.FullName).ToArray(), o?.FullName, r?.FullName);
        });
        return cmd;
    }

    private static int Run(string genesisPath, string[] blockPaths, string? outPath, string? receiptsPath)
    {
        var state = StateJson.ReadFile(genesisPath);
        BlockResult? last = null;
        foreach (var path in blockPaths)
        {
            var block = BlockCodec.ReadFile(path);
            last = SequentialExecutor.Execute(state, block, verifySignatures: true, source: path);
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
