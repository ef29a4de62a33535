using System.CommandLine;
using System.Text;
using GpuExec.Engine;
using GpuExec.Engine.Devices;
using GpuExec.Execution;
using GpuExec.State;
using GpuExec.Storage;
using GpuExec.Wire;
using Microsoft.Extensions.Logging;

namespace GpuExec.Cli.Commands;

/// <summary><c>gpuexec run</c>: apply blocks to a genesis and write the dump and receipts.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var genesis = new Option<FileInfo?>("--genesis") { Description = "Genesis or dump JSON (SPEC section 7). (REQUIRED unless --state names a store that holds a chain)" };
        var blocks = new Option<FileInfo[]>("--block") { Description = "A .gxb block; repeat to apply several in order.", AllowMultipleArgumentsPerToken = false };
        var output = new Option<FileInfo?>("--out") { Description = "Where to write the dump of the final state. (REQUIRED without --state, unless --receipts is given; REQUIRED with --state and no --block)" };
        var receipts = new Option<FileInfo?>("--receipts") { Description = "Where to write the last block's receipts (JSON lines)." };
        var executor = new Option<string>("--executor")
        {
            Description = "sequential (the one-thread reference) or parallel (the pipeline on --device). Default: sequential, "
                + "or parallel when --device, --apply, --lanes, --verifier or --key-tables is given.",
        };
        executor.AcceptOnlyFromAmong("sequential", "parallel");
        var stateDir = new Option<DirectoryInfo?>("--state")
        {
            Description = "A RocksDB state directory: initialised from --genesis when new; each block is committed to it atomically.",
        };
        var device = Options.Device();
        var apply = Options.Apply();
        var lanes = Options.Lanes();
        var verifier = Options.Verifier();
        var keyTables = Options.KeyTables();
        var verbose = Options.Verbose();
        var quiet = Options.Quiet();
        var cacheMb = Options.CacheMb();
        var cmd = new Command("run", "Apply blocks in order to a genesis state (or a --state directory); write the dump (--out) and the last block's receipts.")
        {
            genesis, blocks, output, receipts, stateDir, cacheMb, executor, device, apply, lanes, verifier, keyTables, verbose, quiet,
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
            if (CliOutput.CheckOutputs(dir?.FullName, ("--out", o?.FullName), ("--receipts", r?.FullName)) is { } bad) { CliOutput.Error("run: " + bad); return ExitCodes.Usage; }
            // A pipeline option given without --executor asks for the pipeline: running the reference
            // instead would silently ignore it.
            bool pipelineAsked = new Option[] { device, apply, lanes, verifier, keyTables }.Any(opt => parse.GetResult(opt) is { Implicit: false });
            var exec = parse.GetValue(executor) switch
            {
                "parallel" => ExecutorKind.Parallel,
                "sequential" => ExecutorKind.Sequential,
                _ => pipelineAsked ? ExecutorKind.Parallel : ExecutorKind.Sequential,
            };
            var dev = DeviceKindNames.Parse(parse.GetValue(device)!);
            var options = new GpuExecOptions { Device = dev, Apply = Options.ParseApply(parse.GetValue(apply)), Lanes = parse.GetValue(lanes), Verifier = Options.ParseVerifier(parse.GetValue(verifier)), KeyTables = parse.GetValue(keyTables), StateCacheBytes = (long)parse.GetValue(cacheMb) << 20 };
            return Run(g?.FullName, dir?.FullName, bs.Select(b => b.FullName).ToArray(), o?.FullName, r?.FullName, exec, options, parse.GetValue(verbose), parse.GetValue(quiet));
        });
        return cmd;
    }

    private enum ExecutorKind { Sequential, Parallel }

    /// <summary>
    /// Blocks are streamed: the next ones are read and verified while one executes (and, with
    /// --state, is committed). Without --state: every block is applied in memory and files are
    /// written only when all were. With --state: each block is committed to the store as soon as it
    /// is applied (one synced batch), so a refused block leaves the blocks before it committed, as a
    /// node's would.
    /// </summary>
    private static int Run(string? genesisPath, string? stateDir, string[] blockPaths, string? outPath, string? receiptsPath, ExecutorKind exec, GpuExecOptions options, bool verbose, bool quiet)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var logging = CliLogging.Create(verbose, quiet);
        // The sequential executor runs on the host alone, but an explicit device must still be there
        // (checked without compiling its kernels, which only the pipeline would use).
        if (exec == ExecutorKind.Sequential && options.Device is not (DeviceKind.Auto or DeviceKind.Cpu))
            ComputeDevice.EnsureAvailable(options.Device);
        using var pipeline = exec == ExecutorKind.Parallel
            ? new BlockPipeline(options, logging.CreateLogger<BlockPipeline>())
            : null;
        IBlockExecutor executor = pipeline is null ? new ReferenceExecutor() : pipeline;

        BlockResult? last = null;
        long transactions = 0;
        ulong height;
        Wire.Hash32 root;
        void WriteOutputs(Action<Stream>? dump)
        {
            // Everything was applied: only now are the files written, as a pair (both written, then
            // both renamed), so a failure leaves both as they were.
            var outputs = new List<(string, Action<Stream>)>();
            if (outPath is not null) outputs.Add((outPath, dump!));
            if (receiptsPath is not null)
            {
                outputs.Add((receiptsPath, s =>
                {
                    using var w = new StreamWriter(s, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
                    last?.WriteReceipts(w);
                }));
            }
            CliOutput.WriteAllAtomically([.. outputs]);
        }
        if (stateDir is not null && blockPaths.Length == 0 && !RocksDbStateStore.IsNew(stateDir))
        {
            // A dump with no block: read-only, so it also works on a read-only disk or beside a writer.
            (height, root) = StateDirectory.ReadOnly(stateDir, genesisPath, options.StateCacheBytes, store => (store.Height, store.StateRoot));
            WriteOutputs(s => StateDirectory.ReadOnly(stateDir, genesisPath, options.StateCacheBytes, store => { store.WriteDump(s); return 0; },
                restart: () => { s.SetLength(0); s.Position = 0; }));
        }
        else if (stateDir is not null)
        {
            using var store = StateDirectory.Open(stateDir, genesisPath, options.StateCacheBytes);
            last = StateDirectory.CommitBlocks(store, blockPaths, executor, run => transactions += run.Block.Count);
            WriteOutputs(store.WriteDump);
            (height, root) = (store.Height, store.StateRoot);
        }
        else
        {
            var state = StateJson.ReadFile(genesisPath!);
            last = StateDirectory.Stream(executor, state, blockPaths, run => transactions += run.Block.Count);
            WriteOutputs(s => StateJson.WriteDump(state, s));
            (height, root) = (state.Height, state.StateRoot);
        }
        string device = pipeline?.DeviceChoice is { } why ? $"{executor.DeviceDescription}, chosen by --device auto because {why}" : executor.DeviceDescription;
        Summary(logging.CreateLogger(CliLogging.Summary), blockPaths.Length, transactions, clock.Elapsed.TotalMilliseconds, height, root, device);
        return ExitCodes.Ok;
    }

    private static void Summary(ILogger logger, int blocks, long transactions, double ms, ulong height, Wire.Hash32 root, string device)
    {
        if (!logger.IsEnabled(LogLevel.Information)) return;
        logger.LogInformation("run: {Blocks} block(s), {Transactions} transactions in {Milliseconds:F1} ms on {Device}; height {Height}, state root {StateRoot}",
            blocks, transactions, ms, device, height, root.ToHex());
    }
}
