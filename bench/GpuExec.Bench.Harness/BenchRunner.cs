using System.Diagnostics;
using GpuExec.Engine;
using GpuExec.Engine.Devices;
using GpuExec.Engine.Verify;
using GpuExec.Execution;
using GpuExec.Generation;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Bench.Harness;

/// <summary>What one benchmark point measured; the JSON field names are the README's.</summary>
internal sealed record BenchPoint
{
    public required string Device { get; init; }
    public required string DeviceName { get; init; }
    /// <summary>The pipeline's signature verifier: simd or libsodium on the cpu device, kernel on ILGPU devices.</summary>
    public string Verifier { get; init; } = "kernel";
    /// <summary>Keys whose tables the SIMD verifier keeps at most (0: none).</summary>
    public int KeyTables { get; init; }
    public required int Cores { get; init; }
    public required int Threads { get; init; }
    /// <summary>How the pipeline applied the block: Parallel or InOrder.</summary>
    public required string ApplyMode { get; init; }
    public required int Txs { get; init; }
    public required int Accounts { get; init; }
    public required int Pools { get; init; }
    public required double Skew { get; init; }
    public required double SwapRatio { get; init; }
    public required double RouteRatio { get; init; }
    /// <summary>What the block held, by kind, and how its routes ended.</summary>
    public required BlockMix Mix { get; init; }
    public required ulong Seed { get; init; }
    public required int Repeat { get; init; }
    /// <summary>Each run's time, sequential baseline and pipeline (decode included in both).</summary>
    public required Spread Sequential { get; init; }
    public required Spread Parallel { get; init; }
    /// <summary>With --preverified: the pipeline on the same block after its transactions went through the signature cache (not timed); null otherwise.</summary>
    public Spread? Preverified { get; init; }
    public double SequentialMs => Sequential.Median;
    public double? PreverifiedTps => Preverified is { } p ? Txs / (p.Median / 1000.0) : null;
    public double ParallelMs => Parallel.Median;
    public double SequentialTps => Txs / (SequentialMs / 1000.0);
    public double ParallelTps => Txs / (ParallelMs / 1000.0);
    public double Speedup => SequentialMs / ParallelMs;
    /// <summary>Pipeline stages in milliseconds (median of the runs), decode first; stages that did not run are absent.</summary>
    public required IReadOnlyDictionary<string, double> Stages { get; init; }
    /// <summary>The same stages over the runs.</summary>
    public required IReadOnlyDictionary<string, Spread> StageSpreads { get; init; }
    /// <summary>Lanes that applied the block (1 in order).</summary>
    public required int Lanes { get; init; }
    public required int CriticalPath { get; init; }
    public required double EffectiveParallelism { get; init; }
    public required string StateRoot { get; init; }
    /// <summary>The process's peak working set after the point (generation included), in MiB.</summary>
    public required long PeakWorkingSetMiB { get; init; }
}

/// <summary>A block's transactions by kind (malformed records by their kind byte), and its routes' outcome.</summary>
/// <param name="RoutesOk">Routes whose receipt is OK.</param>
/// <param name="RouteHops">Hops of the OK routes, summed.</param>
internal sealed record BlockMix(int Transfers, int Swaps, int Routes, int RoutesOk, long RouteHops)
{
    public static BlockMix Of(Block block, BlockResult result)
    {
        int transfers = 0, swaps = 0, routes = 0, ok = 0;
        long hops = 0;
        for (int i = 0; i < block.Count; i++)
        {
            var record = block.Record(i);
            if (record.Length < 2) continue;
            switch ((Model.TxKind)record[1])
            {
                case Model.TxKind.Transfer: transfers++; break;
                case Model.TxKind.Swap: swaps++; break;
                case Model.TxKind.Route:
                    routes++;
                    if (result.Statuses[i] != Model.TxStatus.Ok) break;
                    ok++;
                    hops += new Model.TransactionView(record).Hops;
                    break;
            }
        }
        return new BlockMix(transfers, swaps, routes, ok, hops);
    }

    public override string ToString() =>
        $"{Transfers:N0} transfers, {Swaps:N0} swaps, {Routes:N0} routes" + (Routes == 0 ? "" : $" ({RoutesOk:N0} OK, {(RoutesOk == 0 ? 0 : (double)RouteHops / RoutesOk):F1} hops each)");
}

/// <summary>Thrown when the pipeline and the sequential baseline disagree: nothing is reported.</summary>
internal sealed class ResultMismatchException(string message) : Exception(message);

/// <summary>
/// Generates a signed block (not timed), then runs the sequential baseline (one thread, libsodium)
/// and the pipeline on the same block in this process, each from a fresh copy of the genesis,
/// decode included in both. Refuses to report when their results differ.
/// </summary>
internal sealed class BenchRunner(BlockPipeline pipeline, int threads)
{
    public BenchPoint Run(GeneratorOptions options, int repeat, Action<string>? phase = null, bool preverified = false)
    {
        phase?.Invoke($"generating {options.TxsPerBlock} signed transactions (skew {options.Skew})");
        var gen = new BlockGenerator(options);
        var bytes = gen.NextBlock();
        var genesis = gen.Genesis;

        var seqTimes = new List<double>();
        var parTimes = new List<double>();
        var preTimes = new List<double>();
        var stageRuns = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        BlockResult? seq = null;
        BlockExecution? par = null;
        Block? decoded = null;
        for (int r = 0; r < repeat; r++)
        {
            phase?.Invoke($"sequential baseline, run {r + 1}/{repeat}");
            // A node has its current root from the previous block: compute it before the clock starts.
            var s1 = genesis.Clone();
            _ = s1.StateRoot;
            var sw = Stopwatch.StartNew();
            var block = BlockCodec.Decode(bytes);
            seq = SequentialExecutor.Execute(s1, block);
            decoded = block;
            seqTimes.Add(sw.Elapsed.TotalMilliseconds);

            phase?.Invoke($"pipeline on {pipeline.DeviceDescription}, run {r + 1}/{repeat}");
            var s2 = genesis.Clone();
            _ = s2.StateRoot;
            pipeline.SignatureCache.Clear(); // cold: every signature verified in the block,
            pipeline.ForgetKeyTables();      // and every signer's key table built in it
            sw.Restart();
            var block2 = BlockCodec.Decode(bytes);
            double decodeMs = sw.Elapsed.TotalMilliseconds;
            par = pipeline.Execute(block2, s2);
            parTimes.Add(sw.Elapsed.TotalMilliseconds);
            Add("decode", decodeMs);
            foreach (var name in StageTimings.Order)
                if (par.Stages.Ran(name)) Add(name, par.Stages[name]);
            Compare(seq, par.Result, s1, s2);

            if (preverified)
            {
                phase?.Invoke($"pipeline after pre-verification, run {r + 1}/{repeat}");
                var s3 = genesis.Clone();
                _ = s3.StateRoot;
                pipeline.PreVerify(BlockCodec.Decode(bytes)); // as a node does with its mempool: not timed
                sw.Restart();
                var warm = pipeline.Execute(BlockCodec.Decode(bytes), s3);
                preTimes.Add(sw.Elapsed.TotalMilliseconds);
                pipeline.SignatureCache.Clear();
                Compare(seq, warm.Result, s1, s3);
            }
        }

        var spreads = stageRuns.ToDictionary(kv => kv.Key, kv => Spread.Of(kv.Value), StringComparer.Ordinal);
        return new BenchPoint
        {
            Device = pipeline.DeviceKind.ToName(),
            DeviceName = pipeline.DeviceDescription,
            Verifier = pipeline.VerifierKind is { } vk ? vk.ToName() : "kernel",
            KeyTables = pipeline.KeyTables,
            Cores = Environment.ProcessorCount,
            Threads = threads,
            ApplyMode = pipeline.Mode.ToString(),
            Txs = options.TxsPerBlock,
            Accounts = options.Accounts,
            Pools = options.Pools,
            Skew = options.Skew,
            SwapRatio = options.SwapRatio,
            RouteRatio = options.RouteRatio,
            Mix = BlockMix.Of(decoded!, seq!),
            Seed = options.Seed,
            Repeat = repeat,
            Sequential = Spread.Of(seqTimes),
            Parallel = Spread.Of(parTimes),
            Preverified = preverified ? Spread.Of(preTimes) : null,
            Stages = spreads.ToDictionary(kv => kv.Key, kv => kv.Value.Median, StringComparer.Ordinal),
            StageSpreads = spreads,
            Lanes = par!.Schedule.Lanes,
            CriticalPath = par.Schedule.CriticalPath,
            EffectiveParallelism = par.Schedule.EffectiveParallelism,
            StateRoot = par.Result.StateRoot.ToHex(),
            PeakWorkingSetMiB = Environment.WorkingSet > 0 ? Process.GetCurrentProcess().PeakWorkingSet64 >> 20 : 0,
        };

        void Add(string stage, double ms)
        {
            if (!stageRuns.TryGetValue(stage, out var list)) stageRuns[stage] = list = [];
            list.Add(ms);
        }
    }

    private static void Compare(BlockResult seq, BlockResult par, WorldState s1, WorldState s2)
    {
        if (seq.StateRoot != par.StateRoot)
            throw new ResultMismatchException($"state roots differ: sequential {seq.StateRoot}, pipeline {par.StateRoot}");
        if (!seq.Statuses.AsSpan().SequenceEqual(par.Statuses))
        {
            int i = 0;
            while (seq.Statuses[i] == par.Statuses[i]) i++;
            throw new ResultMismatchException($"receipt {i} differs: sequential {seq.Statuses[i]}, pipeline {par.Statuses[i]}");
        }
        if (!seq.TxIds.AsSpan().SequenceEqual(par.TxIds))
            throw new ResultMismatchException("txids differ between the sequential baseline and the pipeline");
        if (s1.Height != s2.Height)
            throw new ResultMismatchException($"heights differ: {s1.Height} and {s2.Height}");
    }
}
