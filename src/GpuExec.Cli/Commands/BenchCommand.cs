using System.CommandLine;
using GpuExec.Bench.Harness;
using GpuExec.Engine;
using GpuExec.Engine.Devices;
using GpuExec.Generation;
using GpuExec.Storage;
using GpuExec.Wire;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace GpuExec.Cli.Commands;

/// <summary><c>gpuexec bench</c>: sequential baseline against the pipeline on the same generated block.</summary>
internal static class BenchCommand
{
    public static readonly double[] SweepSkews = [0.0, 0.5, 1.0, 1.5, 2.0];

    public static Command Create()
    {
        var txs = new Option<int>("--txs") { Description = "Transactions in the block.", DefaultValueFactory = _ => 20_000 };
        var accounts = new Option<int>("--accounts") { Description = "Accounts.", DefaultValueFactory = _ => 100_000 };
        var pools = new Option<int>("--pools") { Description = "AMM pools.", DefaultValueFactory = _ => 16 };
        var swapRatio = new Option<double>("--swap-ratio") { Description = "Share of swaps, 0..1 (at most what the routes leave).", DefaultValueFactory = _ => 0.3 };
        var routeRatio = new Option<double>("--route-ratio") { Description = "Share of routes (1-4 hops through the hot pools), 0..1.", DefaultValueFactory = _ => 0.1 };
        var skew = new Option<double>("--skew") { Description = "Zipf exponent (0 = uniform).", DefaultValueFactory = _ => 1.0 };
        var invalid = new Option<double>("--invalid-ratio") { Description = "Share of invalid transactions.", DefaultValueFactory = _ => 0.01 };
        var seed = new Option<ulong>("--seed") { Description = "Generator seed.", DefaultValueFactory = _ => 1UL };
        var threads = new Option<int>("--threads") { Description = "Worker threads of the pipeline.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var repeat = new Option<int>("--repeat") { Description = "Runs per point; the median is reported.", DefaultValueFactory = _ => 3 };
        var json = new Option<FileInfo?>("--json") { Description = "Write the results as JSON." };
        var plot = new Option<FileInfo?>("--plot") { Description = "Draw a PNG: TPS against skew (--sweep skew), the execute-stage ratio and its target against skew (--sweep contention), or the stage breakdown." };
        var sweep = new Option<string?>("--sweep")
        {
            Description = "skew: the pipeline at skews 0, 0.5, 1, 1.5, 2. contention: the execute stage of the parallel executor against "
                + "the sequential apply loop at those skews, with 2, 10k and 1M accounts (or --accounts) and 100k txs (or --txs).",
        };
        sweep.AcceptOnlyFromAmong("skew", "contention");
        var chain = new Option<int>("--blocks")
        {
            Description = "K >= 2: one chain of K blocks of --txs transactions, applied one block at a time and streamed (the next block verified while one executes), compared block by block.",
            DefaultValueFactory = _ => 1,
        };
        var preverified = new Option<bool>("--preverified")
        {
            Description = "Also run the pipeline after the block's transactions were pre-verified through the signature cache (not timed), as a node does with its mempool; reported as preverified_tps beside the cold parallel_tps.",
        };
        var store = new Option<bool>("--state") { Description = "With --blocks: commit every block to a fresh RocksDB store in a temporary folder (removed afterwards), as a node does." };
        var storeDir = new Option<DirectoryInfo?>("--store")
        {
            Description = "An existing state store (gen --state) to run the blocks of --chain on: each run on a fresh checkpoint of it made beside it "
                + "(removed afterwards), read from disk through --cache-mb of caches; the store itself is not changed.",
        };
        var chainDir = new Option<DirectoryInfo?>("--chain") { Description = "With --store: the directory of the chain's block-NNNNNN.gxb files (gen --out)." };
        var cacheMb = Options.CacheMb();
        var device = Options.Device();
        var apply = Options.Apply();
        var lanes = Options.Lanes();
        var verifier = Options.Verifier();
        var keyTables = Options.KeyTables();
        var verbose = Options.Verbose();
        var cmd = new Command("bench", "Generate a signed block, run the sequential baseline and the pipeline on it, compare, and report TPS per stage.")
        {
            txs, accounts, pools, swapRatio, routeRatio, skew, invalid, seed, threads, repeat, json, plot, sweep, chain, store, storeDir, chainDir, cacheMb, preverified, device, apply, lanes, verifier, keyTables, verbose,
        };
        cmd.SetAction(parse =>
        {
            var baseOptions = new GeneratorOptions
            {
                Accounts = parse.GetValue(accounts), TxsPerBlock = parse.GetValue(txs), Pools = parse.GetValue(pools),
                SwapRatio = parse.GetValue(swapRatio), RouteRatio = parse.GetValue(routeRatio), Skew = parse.GetValue(skew), InvalidRatio = parse.GetValue(invalid),
                Seed = parse.GetValue(seed),
            };
            int t = parse.GetValue(threads), r = parse.GetValue(repeat);
            try { baseOptions.Validate(); }
            catch (ArgumentOutOfRangeException e)
            {
                CliOutput.Error($"bench: {e.ParamName}: {e.Message.Split(" (Parameter")[0]}");
                return ExitCodes.Usage;
            }
            if (t < 1 || r < 1 || baseOptions.TxsPerBlock < 1)
            {
                CliOutput.Error("bench: --txs, --threads and --repeat must be at least 1");
                return ExitCodes.Usage;
            }
            // Outputs are checked before the run, which can take minutes, not after it.
            if (CliOutput.CheckOutputs(("--json", parse.GetValue(json)?.FullName), ("--plot", parse.GetValue(plot)?.FullName)) is { } bad)
            {
                CliOutput.Error("bench: " + bad);
                return ExitCodes.Usage;
            }
            var fromStore = parse.GetValue(storeDir);
            var fromChain = parse.GetValue(chainDir);
            if ((fromStore is null) != (fromChain is null))
            {
                CliOutput.Error("bench: --store and --chain go together: a store at a chain's genesis and the chain's blocks (gen --state DIR --out CHAIN)");
                return ExitCodes.Usage;
            }
            if (fromStore is not null && (parse.GetValue(sweep) is not null || parse.GetValue(store) || parse.GetResult(chain) is { Implicit: false }))
            {
                CliOutput.Error("bench: --store runs the blocks of --chain: it does not combine with --sweep, --state or --blocks");
                return ExitCodes.Usage;
            }
            int k = parse.GetValue(chain);
            if (k < 1 || (parse.GetValue(store) && k < 2) || (k > 1 && parse.GetValue(sweep) is not null))
            {
                CliOutput.Error("bench: --blocks must be at least 1; --state needs --blocks 2 or more; --blocks and --sweep do not combine");
                return ExitCodes.Usage;
            }
            bool isSweep = parse.GetValue(sweep) == "skew";
            if (parse.GetValue(sweep) == "contention")
            {
                bool txsGiven = parse.GetResult(txs) is { Implicit: false };
                int[] accountCounts = parse.GetResult(accounts) is { Implicit: false } ? [baseOptions.Accounts] : ContentionSweep.AccountCounts;
                return RunContention(baseOptions with { TxsPerBlock = txsGiven ? baseOptions.TxsPerBlock : 100_000 }, accountCounts, t, r, parse.GetValue(lanes),
                    DeviceKindNames.Parse(parse.GetValue(device)!), parse.GetValue(json)?.FullName, parse.GetValue(plot)?.FullName, parse.GetValue(verbose));
            }
            var pipelineOptions = new GpuExecOptions
            {
                Device = DeviceKindNames.Parse(parse.GetValue(device)!), Threads = t, Apply = Options.ParseApply(parse.GetValue(apply)), Lanes = parse.GetValue(lanes),
                Verifier = Options.ParseVerifier(parse.GetValue(verifier)), KeyTables = parse.GetValue(keyTables),
                StateCacheBytes = (long)parse.GetValue(cacheMb) << 20,
            };
            if (fromStore is not null)
                return RunStore(fromStore.FullName, fromChain!.FullName, pipelineOptions, r, parse.GetValue(json)?.FullName, parse.GetValue(verbose));
            if (k > 1)
                return RunChain(baseOptions, pipelineOptions, k, parse.GetValue(store), r, parse.GetValue(json)?.FullName, parse.GetValue(verbose));
            return Run(baseOptions, pipelineOptions, r, isSweep,
                parse.GetValue(json)?.FullName, parse.GetValue(plot)?.FullName, parse.GetValue(verbose), parse.GetValue(preverified));
        });
        return cmd;
    }

    private static int Run(GeneratorOptions o, GpuExecOptions pipelineOptions, int repeat, bool sweep, string? json, string? plot, bool verbose, bool preverified)
    {
        using var logging = CliLogging.Create(verbose);
        using var pipeline = new BlockPipeline(pipelineOptions, logging.CreateLogger<BlockPipeline>());
        AutoChoice(pipeline);
        var runner = new BenchRunner(pipeline, pipelineOptions.Threads);

        var machine = BenchMachine.Now();
        // Warm up both executors (JIT, kernel launch paths) on a small block of the same shape.
        WithStatus("warm-up (not reported)", phase => runner.Run(o with { TxsPerBlock = Math.Min(o.TxsPerBlock, 2000), Seed = o.Seed + 1000 }, 1, phase, preverified), verbose);

        var points = new List<BenchPoint>();
        try
        {
            foreach (double s in sweep ? SweepSkews : [o.Skew])
                points.Add(WithStatus($"skew {s}", phase => runner.Run(o with { Skew = s }, repeat, phase, preverified), verbose));
        }
        catch (ResultMismatchException e)
        {
            CliOutput.Error("bench: refusing to report: the pipeline and the sequential baseline disagree: " + e.Message);
            return ExitCodes.ResultMismatch;
        }
        if (sweep) BenchReport.PrintSweep(points);
        else BenchReport.PrintTable(points[0]);
        if (json is not null) BenchReport.WriteJson(json, points, sweep, machine);
        if (plot is not null) BenchReport.Plot(plot, points, sweep);
        return ExitCodes.Ok;
    }

    private static int RunChain(GeneratorOptions o, GpuExecOptions pipelineOptions, int blocks, bool store, int repeat, string? json, bool verbose)
    {
        using var logging = CliLogging.Create(verbose);
        using var pipeline = new BlockPipeline(pipelineOptions, logging.CreateLogger<BlockPipeline>());
        AutoChoice(pipeline);
        var bench = new StreamBench(pipeline, pipelineOptions.Threads);
        // Warm-up (JIT, the stream's machinery, the store's first open), not reported.
        var machine = BenchMachine.Now();
        WithStatus("warm-up (not reported)", phase => bench.Run(o with { TxsPerBlock = Math.Min(o.TxsPerBlock, 1000), Seed = o.Seed + 1000 }, 2, store, 1, phase), verbose);
        return ReportChain(() => WithStatus($"chain of {blocks} blocks", phase => bench.Run(o, blocks, store, repeat, phase), verbose), json, machine);
    }

    /// <summary>A chain's runs measured, printed and written as JSON; when the two modes disagree, that instead (exit 6).</summary>
    private static int ReportChain(Func<StreamPoint> measure, string? json, BenchMachine machine)
    {
        StreamPoint point;
        try
        {
            point = measure();
        }
        catch (ResultMismatchException e)
        {
            CliOutput.Error("bench: refusing to report: streamed and one-at-a-time execution disagree: " + e.Message);
            return ExitCodes.ResultMismatch;
        }
        StreamBench.Print(point);
        if (json is not null) StreamBench.WriteJson(json, point, machine);
        return ExitCodes.Ok;
    }

    /// <summary>
    /// The blocks of a chain directory on checkpoints of an existing store at its genesis: the node's
    /// path at a real chain's size (accounts and state tree buckets read from disk through bounded
    /// caches, loaded while the previous block executes), one block at a time and streamed.
    /// </summary>
    private static int RunStore(string storeDir, string chainDir, GpuExecOptions pipelineOptions, int repeat, string? json, bool verbose)
    {
        if (!Directory.Exists(chainDir)) { CliOutput.Error($"bench: --chain: {chainDir} is not a directory"); return ExitCodes.Usage; }
        var files = Directory.GetFiles(chainDir, "block-*.gxb").Order(StringComparer.Ordinal).ToArray();
        if (files.Length == 0) { CliOutput.Error($"bench: --chain: {chainDir} holds no block-NNNNNN.gxb file"); return ExitCodes.Usage; }
        if (RocksDbStateStore.IsNew(storeDir)) { CliOutput.Error($"bench: --store: {storeDir} is not a state store (make one with gen --state)"); return ExitCodes.Usage; }
        var chain = files.Select(f => InputLimits.ReadFile(f, InputLimits.MaxBlockBytes, "block file")).ToList();
        using var logging = CliLogging.Create(verbose);
        using var source = RocksDbStateStore.Open(storeDir, null, readOnly: false, cacheBytes: 0);
        var first = BlockCodec.Decode(chain[0]).Header;
        if (first.Height != source.Height + 1 || first.ChainId != source.ChainId)
        {
            CliOutput.Error($"bench: --chain starts with block {first.Height} of chain {first.ChainId}, but the store is at height {source.Height} of chain {source.ChainId}: give the store the chain was made on");
            return ExitCodes.Usage;
        }
        using var pipeline = new BlockPipeline(pipelineOptions, logging.CreateLogger<BlockPipeline>());
        var bench = new StreamBench(pipeline, pipelineOptions.Threads);
        var machine = BenchMachine.Now();
        return ReportChain(() =>
        {
            // Warm-up on the first block (JIT, the store's first reads), not reported.
            WithStatus("warm-up (not reported)", phase => bench.Run(source, pipelineOptions.StateCacheBytes, chain.Take(1).ToList(), 1, phase), verbose);
            return WithStatus($"chain of {chain.Count} blocks on {storeDir}", phase => bench.Run(source, pipelineOptions.StateCacheBytes, chain, repeat, phase), verbose);
        }, json, machine);
    }

    private static int RunContention(GeneratorOptions o, int[] accountCounts, int threads, int repeat, int lanes, DeviceKind device, string? json, string? plot, bool verbose)
    {
        using var logging = CliLogging.Create(verbose);
        using var compute = ComputeDevice.Open(device, logging.CreateLogger<ComputeDevice>());
        using var executor = new Engine.Execute.LaneExecutor(threads, compute.Accelerator, Math.Min(lanes, threads));
        var sweep = new ContentionSweep(threads, Math.Max(repeat, 5));
        var points = new List<ContentionPoint>();
        try
        {
            foreach (int accounts in accountCounts)
                foreach (double s in SweepSkews)
                    points.Add(WithStatus($"{accounts:N0} accounts, skew {s}", phase => sweep.Run(o with { Accounts = accounts, Skew = s }, executor, phase), verbose));
        }
        catch (ResultMismatchException e)
        {
            CliOutput.Error("bench: refusing to report: the parallel and the sequential executor disagree: " + e.Message);
            return ExitCodes.ResultMismatch;
        }
        ContentionSweep.Print(points);
        if (json is not null) ContentionSweep.WriteJson(json, points);
        if (plot is not null) ContentionSweep.Plot(plot, points);
        return ExitCodes.Ok;
    }

    /// <summary>Says on stderr which device <c>--device auto</c> chose and why (a figure is only read right knowing where it ran).</summary>
    private static void AutoChoice(BlockPipeline pipeline)
    {
        if (pipeline.DeviceChoice is { } why) Console.Error.WriteLine($"gpuexec bench: --device auto chose {pipeline.DeviceDescription} because {why}");
    }

    /// <summary>
    /// Runs <paramref name="work"/> under a live status line on an interactive terminal, or with one
    /// line per phase on stderr otherwise. With --verbose the log lines go to stderr, so the live
    /// display is not used: the two would garble each other.
    /// </summary>
    private static T WithStatus<T>(string label, Func<Action<string>, T> work, bool verbose = false) where T : class
    {
        if (verbose || Console.IsErrorRedirected || Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
            return work(msg => Console.Error.WriteLine($"gpuexec bench: {label}: {msg}"));
        T? result = null;
        AnsiConsole.Status().Start(label, ctx => result = work(msg => ctx.Status($"{label}: {msg}")));
        return result!;
    }
}
