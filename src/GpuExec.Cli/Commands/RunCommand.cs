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
        var stateDir = new Option<DirectoryInfo?>("--state")
        {
            Description = "A RocksDB state directory: initialised from --genesis when new; each block is committed to it atomically.",
        };
        var device = Options.Device();
        var execute = Options.Execute();
        var lanes = Options.Lanes();
        var verifier = Options.Verifier();
        var verbose = Options.Verbose();
        var cmd = new Command("run", "Apply blocks in order to a genesis state (or a --state directory); write the dump (--out) and the last block's receipts.")
        {
            genesis, blocks, output, receipts, stateDir, executor, device, execute, lanes, verifier, verbose,
        };
        cmd.SetAction(parse =>
        {
            var g = parse.GetValue(genesis);
            var bs = parse.GetValue(blocks) ?? [];
            var o = parse.GetValue(output);
            var r = parse.GetValue(receipts);
            var dir = parse.GetValue(stateDir);
            if (g is null && dir is null) { CliOutput.Error("run: give --genesis, or --state DIR"); return ExitCodes.Usage; }
            if (dir is null && o is null && r is null) { CliOutput.Error("run: nothing to write: give --out and/or --receipts"); return ExitCodes.Usage; }
            if (dir is not null && bs.Length == 0 && o is null) { CliOutput.Error("run: --state with no block needs --out to dump the state"); return ExitCodes.Usage; }
            var exec = parse.GetValue(executor) == "parallel" ? ExecutorKind.Parallel : ExecutorKind.Sequential;
            var dev = DeviceKindNames.Parse(parse.GetValue(device)!);
            var options = new GpuExecOptions { Device = dev, Execute = Options.ParseExecute(parse.GetValue(execute)), Lanes = parse.GetValue(lanes), Verifier = Options.ParseVerifier(parse.GetValue(verifier)) };
            return Run(g?.FullName, dir?.FullName, bs.Select(b => b.FullName).ToArray(), o?.FullName, r?.FullName, exec, options, parse.GetValue(verbose));
        });
        return cmd;
    }

    private enum ExecutorKind { Sequential, Parallel }

    /// <summary>
    /// Without --state: every block is applied in memory and files are written only when all were.
    /// With --state: each block is committed to the store as soon as it is applied (one synced
    /// batch), so a refused block leaves the blocks before it committed, as a node's would.
    /// </summary>
    private static int Run(string? genesisPath, string? stateDir, string[] blockPaths, string? outPath, string? receiptsPath, ExecutorKind exec, GpuExecOptions options, bool verbose)
    {
        using var logging = CliLogging.Create(verbose);
        using var pipeline = exec == ExecutorKind.Parallel
            ? new BlockPipeline(options, logging.CreateLogger<BlockPipeline>())
            : null;
        Func<WorldState, Block, string, BlockResult> execute = pipeline is null
            ? (state, block, path) => SequentialExecutor.Execute(state, block, verifySignatures: true, source: path)
            : (state, block, path) => pipeline.Execute(block, state, source: path).Result;

        WorldState state;
        BlockResult? last;
        if (stateDir is not null)
        {
            var (store, loaded) = StateDirectory.Open(stateDir, genesisPath);
            using (store)
            {
                state = loaded;
                last = StateDirectory.ApplyBlocks(store, state, blockPaths, execute);
            }
        }
        else
        {
            state = StateJson.ReadFile(genesisPath!);
            last = null;
            foreach (var path in blockPaths) last = execute(state, BlockCodec.ReadFile(path), path);
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
