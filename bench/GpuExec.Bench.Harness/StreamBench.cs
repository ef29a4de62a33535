using GpuExec;
using System.Diagnostics;
using System.Text.Json;
using GpuExec.Engine;
using GpuExec.Engine.Verify;
using GpuExec.Execution;
using GpuExec.Generation;
using GpuExec.State;
using GpuExec.Storage;
using GpuExec.Wire;
using Spectre.Console;

namespace GpuExec.Bench.Harness;

/// <summary>One block of a chain run: its stage times and, with a store, the commit.</summary>
internal sealed record ChainBlockTimes(ulong Height, IReadOnlyDictionary<string, double> Stages, double CommitMs);

/// <summary>What <see cref="StreamBench"/> measured: the same chain one block at a time and streamed.</summary>
internal sealed record StreamPoint
{
    public required string Device { get; init; }
    public required int Cores { get; init; }
    public required int Threads { get; init; }
    public required string ApplyMode { get; init; }
    /// <summary>The host verifier (simd or libsodium), or "kernel" on an ILGPU device.</summary>
    public required string Verifier { get; init; }
    /// <summary>Keys whose tables the SIMD verifier keeps at most (0: none).</summary>
    public required int KeyTables { get; init; }
    public required int Blocks { get; init; }
    public required int TxsPerBlock { get; init; }
    public required bool Store { get; init; }
    public required int Repeat { get; init; }
    public required ulong Seed { get; init; }
    /// <summary>Wall time of the whole chain, median of the runs (min and max beside it).</summary>
    public required double SerialMs { get; init; }
    public required double StreamedMs { get; init; }
    /// <summary>CPU time of the whole process over the median run of each mode (all threads).</summary>
    public required double SerialCpuMs { get; init; }
    public required double StreamedCpuMs { get; init; }
    /// <summary>The share of the machine's cores the median run kept busy: CPU time over wall time times cores.</summary>
    public double SerialCoreUse => SerialCpuMs / (SerialMs * Cores);
    public double StreamedCoreUse => StreamedCpuMs / (StreamedMs * Cores);
    public required (double Min, double Max) SerialRange { get; init; }
    public required (double Min, double Max) StreamedRange { get; init; }
    public double SerialTps => (double)Blocks * TxsPerBlock / (SerialMs / 1000);
    public double StreamedTps => (double)Blocks * TxsPerBlock / (StreamedMs / 1000);
    public double Speedup => SerialMs / StreamedMs;
    /// <summary>Per block, from the median run of each mode.</summary>
    public required IReadOnlyList<ChainBlockTimes> SerialBlocks { get; init; }
    public required IReadOnlyList<ChainBlockTimes> StreamedBlocks { get; init; }
    public required string FinalStateRoot { get; init; }
    /// <summary>With an existing store (<c>--store</c>): its directory, accounts and the read caches' bound; null otherwise.</summary>
    public string? StoreDirectory { get; init; }
    public long? StoreAccounts { get; init; }
    public long? CacheBytes { get; init; }
    /// <summary>The process's peak resident memory over the whole bench (generation or store opening included).</summary>
    public long PeakRssBytes { get; init; }
    /// <summary>Streamed, median run: the time blocks waited for their accounts to be loaded, over the chain's wall time.</summary>
    public double LoadWaitShare { get; init; }
}

/// <summary>Where a chain run starts: a state in memory, a new store made from a genesis, or a checkpoint of an existing store.</summary>
internal abstract class ChainStart
{
    /// <summary>Opens a fresh copy of the starting state; the disposable removes what it made.</summary>
    public abstract (IChainState State, IDisposable? Owner) Open();
    public abstract bool OnDisk { get; }

    public sealed class InMemory(WorldState genesis) : ChainStart
    {
        public override bool OnDisk => false;
        public override (IChainState, IDisposable?) Open()
        {
            var s = genesis.Clone();
            _ = s.StateRoot; // a node has its root from the previous block: computed before the clock starts
            return (s, null);
        }
    }

    /// <summary>A new store initialised from <paramref name="genesis"/> in a temporary folder, read from disk.</summary>
    public sealed class NewStore(WorldState genesis) : ChainStart
    {
        public override bool OnDisk => true;
        public override (IChainState, IDisposable?) Open()
        {
            string dir = Path.Combine(Path.GetTempPath(), "gpuexec-bench-" + Guid.NewGuid().ToString("N")[..12]);
            var store = RocksDbStateStore.Open(dir, genesis);
            store.State.OpenTree(); // a node has its state tree open before blocks come
            return (store.State, new Removing(store, dir));
        }
    }

    /// <summary>A checkpoint of an existing store, beside it (hard links), opened with the given caches.</summary>
    public sealed class Checkpoint(RocksDbStateStore source, long cacheBytes) : ChainStart
    {
        public override bool OnDisk => true;
        public override (IChainState, IDisposable?) Open()
        {
            string dir = source.Directory.TrimEnd(Path.DirectorySeparatorChar) + ".bench-" + Guid.NewGuid().ToString("N")[..8];
            source.Checkpoint(dir);
            var store = RocksDbStateStore.Open(dir, null, readOnly: false, cacheBytes);
            store.State.OpenTree(); // a node has its state tree open before blocks come
            return (store.State, new Removing(store, dir));
        }
    }

    private sealed class Removing(RocksDbStateStore store, string dir) : IDisposable
    {
        public void Dispose()
        {
            store.DisposeForDeletion();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}

/// <summary>
/// <c>gpuexec bench --blocks K [--state]</c>: one chain of K generated blocks (not timed), applied in
/// this process from the same genesis one block at a time and streamed
/// (<see cref="BlockPipeline.ExecuteStreamAsync"/>: block N+1 verified while block N executes and
/// commits), decode included in both. With a store, every block is committed to a fresh RocksDB
/// store in a temporary folder (removed afterwards), as a node does. The two runs alternate, and
/// their receipts, txids and roots are compared block by block: a difference is a consensus fault.
/// </summary>
internal sealed class StreamBench(BlockPipeline pipeline, int threads)
{
    public StreamPoint Run(GeneratorOptions options, int blocks, bool store, int repeat, Action<string>? phase = null)
    {
        phase?.Invoke($"generating {blocks} blocks of {options.TxsPerBlock:N0} signed transactions");
        var gen = new BlockGenerator(options with { Blocks = blocks });
        var genesis = gen.Genesis.Clone();
        var chain = new List<byte[]>(blocks);
        for (int b = 0; b < blocks; b++) chain.Add(gen.NextBlock());
        ChainStart start = store ? new ChainStart.NewStore(genesis) : new ChainStart.InMemory(genesis);
        return Run(start, chain, options.TxsPerBlock, options.Seed, repeat, phase);
    }

    /// <summary>
    /// A chain of blocks read from files, on checkpoints of an existing store (made by <c>gen --state</c>
    /// at the chain's genesis), one per run.
    /// </summary>
    public StreamPoint Run(RocksDbStateStore source, long cacheBytes, IReadOnlyList<byte[]> chain, int repeat, Action<string>? phase = null)
    {
        int txs = chain.Max(b => BlockCodec.Decode(b).Count);
        var p = Run(new ChainStart.Checkpoint(source, cacheBytes), chain, txs, 0, repeat, phase);
        return p with { StoreDirectory = source.Directory, StoreAccounts = source.LeafCount - source.State.Pools.Count, CacheBytes = cacheBytes };
    }

    private StreamPoint Run(ChainStart start, IReadOnlyList<byte[]> chain, int txsPerBlock, ulong seed, int repeat, Action<string>? phase)
    {
        int blocks = chain.Count;
        var serial = new List<ChainRun>();
        var streamed = new List<ChainRun>();
        for (int r = 0; r < repeat; r++)
        {
            phase?.Invoke($"one block at a time, run {r + 1}/{repeat}");
            serial.Add(RunChain(start, chain, streamedMode: false));
            phase?.Invoke($"streamed, run {r + 1}/{repeat}");
            streamed.Add(RunChain(start, chain, streamedMode: true));
            Compare(serial[^1].Blocks, streamed[^1].Blocks);
        }
        var s = Median(serial);
        var t = Median(streamed);
        bool store = start.OnDisk;
        var options = new { TxsPerBlock = txsPerBlock, Seed = seed };
        return new StreamPoint
        {
            PeakRssBytes = BenchMachine.PeakRssBytes(),
            LoadWaitShare = t.Blocks.Sum(b => b.Run.LoadWaitMs) / t.Ms,
            Device = pipeline.DeviceDescription,
            Cores = Environment.ProcessorCount,
            Threads = threads,
            ApplyMode = pipeline.Mode.ToString(),
            Verifier = pipeline.VerifierKind is { } vk ? vk.ToName() : "kernel",
            KeyTables = pipeline.KeyTables,
            Blocks = blocks,
            TxsPerBlock = options.TxsPerBlock,
            Store = store,
            Repeat = repeat,
            Seed = options.Seed,
            SerialMs = s.Ms,
            StreamedMs = t.Ms,
            SerialCpuMs = s.CpuMs,
            StreamedCpuMs = t.CpuMs,
            SerialRange = (serial.Min(x => x.Ms), serial.Max(x => x.Ms)),
            StreamedRange = (streamed.Min(x => x.Ms), streamed.Max(x => x.Ms)),
            SerialBlocks = Times(s.Blocks),
            StreamedBlocks = Times(t.Blocks),
            FinalStateRoot = t.Blocks[^1].Run.Result.StateRoot.ToHex(),
        };
    }

    private ChainRun RunChain(ChainStart start, IReadOnlyList<byte[]> chain, bool streamedMode)
    {
        // A fresh node: no key tables yet, so each run builds them as its chain meets the signers;
        // and nothing left of the previous run (its store's tree and caches) when this one opens
        // its store, so the peak memory is what one node holds.
        pipeline.ForgetKeyTables();
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        var (state, owner) = start.Open();
        try
        {
            var results = new List<(BlockExecution, double)>(chain.Count);
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            var blocks = chain.Select(bytes => BlockCodec.Decode(bytes));
            if (!start.OnDisk && streamedMode)
            {
                Each(pipeline.ExecuteStreamAsync(blocks, (WorldState)state), run => results.Add((Done(run), 0)));
            }
            else if (!start.OnDisk)
            {
                foreach (var block in blocks) results.Add((Done(pipeline.Execute(block, (WorldState)state)), 0));
            }
            else if (streamedMode)
            {
                // Block N+1 verified and its accounts loaded while block N executes and commits.
                Each(pipeline.CommitStreamAsync(blocks, state), run => results.Add((Done(run), run.Stages[StageTimings.Commit])));
            }
            else
            {
                foreach (var block in blocks)
                {
                    var run = pipeline.ProposeAsync(block, state).GetAwaiter().GetResult();
                    long t0 = Stopwatch.GetTimestamp();
                    state.Commit(run.Block, run.Result, run.State!);
                    results.Add((Done(run), Stopwatch.GetElapsedTime(t0).TotalMilliseconds));
                }
            }
            return new ChainRun(sw.Elapsed.TotalMilliseconds, (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds, results);
        }
        finally
        {
            owner?.Dispose();
        }
    }

    /// <summary>
    /// What the comparison and the report need of a committed block (statuses, txids, root, times),
    /// without its proposal state (the block's tree changes and loaded accounts, leading to the store)
    /// or its change set and effects: a node lets those go once the block is committed, so the peak
    /// memory measured is a node's, not every run's results kept.
    /// </summary>
    private static BlockExecution Done(BlockExecution run) =>
        run with { State = null, Result = new BlockResult(run.Result.Statuses, run.Result.TxIds, run.Result.StateRoot) };

    private static void Each(IAsyncEnumerable<BlockExecution> runs, Action<BlockExecution> applied)
    {
        var e = runs.GetAsyncEnumerator();
        try
        {
            while (e.MoveNextAsync().AsTask().GetAwaiter().GetResult()) applied(e.Current);
        }
        finally { e.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
    }

    private static void Compare(List<(BlockExecution Run, double)> a, List<(BlockExecution Run, double)> b)
    {
        if (a.Count != b.Count) throw new ResultMismatchException($"{a.Count} blocks applied one at a time, {b.Count} streamed");
        for (int i = 0; i < a.Count; i++)
        {
            var x = a[i].Run.Result;
            var y = b[i].Run.Result;
            if (x.StateRoot != y.StateRoot || !x.Statuses.AsSpan().SequenceEqual(y.Statuses) || !x.TxIds.AsSpan().SequenceEqual(y.TxIds))
                throw new ResultMismatchException($"block {a[i].Run.Block.Header.Height}: streamed and one-at-a-time results differ");
        }
    }

    /// <summary>One run of the chain: its wall time, the process's CPU time over it, and each block.</summary>
    private sealed record ChainRun(double Ms, double CpuMs, List<(BlockExecution Run, double CommitMs)> Blocks);

    private static ChainRun Median(List<ChainRun> runs) =>
        runs.OrderBy(r => r.Ms).ElementAt(runs.Count / 2);

    private static List<ChainBlockTimes> Times(List<(BlockExecution Run, double CommitMs)> blocks) =>
        blocks.Select(b => new ChainBlockTimes(b.Run.Block.Header.Height,
            StageTimings.Order.Where(n => n != StageTimings.Commit && b.Run.Stages.Ran(n)).ToDictionary(n => n, n => b.Run.Stages[n]), b.CommitMs)).ToList();

    public static void Print(StreamPoint p)
    {
        var t = new Table().Title($"GpuExec bench, a chain of {p.Blocks} blocks x {p.TxsPerBlock:N0} txs on {p.Device}, {p.Threads} threads, verifier {p.Verifier}{(p.KeyTables > 0 ? $" ({p.KeyTables:N0} key tables)" : "")}, {(p.StoreDirectory is not null ? "on a checkpoint of " + p.StoreDirectory : p.Store ? "a new RocksDB store" : "in memory")}");
        t.AddColumn("mode");
        t.AddColumn(new TableColumn("chain ms (median)").RightAligned());
        t.AddColumn(new TableColumn("min - max").RightAligned());
        t.AddColumn(new TableColumn("cores busy").RightAligned());
        t.AddColumn(new TableColumn("TPS").RightAligned());
        t.AddRow("one block at a time", p.SerialMs.ToString("F1"), $"{p.SerialRange.Min:F1} - {p.SerialRange.Max:F1}", p.SerialCoreUse.ToString("P0"), p.SerialTps.ToString("N0"));
        t.AddRow("streamed", p.StreamedMs.ToString("F1"), $"{p.StreamedRange.Min:F1} - {p.StreamedRange.Max:F1}", p.StreamedCoreUse.ToString("P0"), p.StreamedTps.ToString("N0"));
        t.AddRow("[bold]streamed / one at a time[/]", "", "", "", $"{p.Speedup:F2}x");
        if (p.StoreAccounts is { } n)
            t.AddRow($"store: {n:N0} accounts, caches {p.CacheBytes / (1 << 20):N0} MiB", "", "", "", $"load wait {p.LoadWaitShare:P1}");
        t.AddRow("peak resident memory", "", "", "", $"{p.PeakRssBytes / (1 << 20):N0} MiB");
        t.Caption($"median of {p.Repeat} run(s) each, alternating, after a warm-up (not reported); results equal block by block: receipts, txids, roots. Cores busy: this process's CPU time over wall time x {p.Cores} cores, what streaming can fill. Streamed stage times overlap the previous block's.");
        AnsiConsole.Write(t);
        foreach (var (what, min, max, median) in new[] { ("one block at a time", p.SerialRange.Min, p.SerialRange.Max, p.SerialMs), ("streamed", p.StreamedRange.Min, p.StreamedRange.Max, p.StreamedMs) })
            if (p.Repeat > 1 && (max - min) / median > Spread.WarnAbove)
                AnsiConsole.MarkupLineInterpolated($"[yellow]warning:[/] {what} varied by {(max - min) / median:P0} over {p.Repeat} runs: the machine is busy or the run unstable; take the ratio with care or repeat");
        var b = new Table().Title("per block, median run (ms)");
        b.AddColumn("height");
        b.AddColumn("mode");
        foreach (var stage in p.SerialBlocks[0].Stages.Keys) b.AddColumn(new TableColumn(stage).RightAligned());
        if (p.Store) b.AddColumn(new TableColumn("commit").RightAligned());
        for (int i = 0; i < p.SerialBlocks.Count; i++)
        {
            foreach (var (mode, row) in new[] { ("one at a time", p.SerialBlocks[i]), ("streamed", p.StreamedBlocks[i]) })
            {
                var cells = new List<string> { row.Height.ToString(), mode };
                cells.AddRange(p.SerialBlocks[0].Stages.Keys.Select(k => row.Stages.TryGetValue(k, out var ms) ? ms.ToString("F1") : "-"));
                if (p.Store) cells.Add(row.CommitMs.ToString("F1"));
                b.AddRow(cells.ToArray());
            }
        }
        AnsiConsole.Write(b);
    }

    public static void WriteJson(string path, StreamPoint p, BenchMachine machine)
    {
        AtomicFile.Write(path, s =>
        {
            using var w = new Utf8JsonWriter(s, new JsonWriterOptions { Indented = true });
            w.WriteStartObject();
            machine.Write(w);
            w.WriteString("check", "results equal block by block in every run: receipts, txids, state root");
            w.WriteString("device", p.Device);
            w.WriteNumber("cores", p.Cores);
            w.WriteNumber("threads", p.Threads);
            w.WriteString("apply", p.ApplyMode);
            w.WriteString("verifier", p.Verifier);
            w.WriteNumber("key_tables", p.KeyTables);
            w.WriteNumber("blocks", p.Blocks);
            w.WriteNumber("txs_per_block", p.TxsPerBlock);
            w.WriteBoolean("store", p.Store);
            w.WriteNumber("repeat", p.Repeat);
            w.WriteNumber("seed", p.Seed);
            w.WriteNumber("serial_ms", p.SerialMs);
            w.WriteNumber("streamed_ms", p.StreamedMs);
            foreach (var (name, range) in new[] { ("serial_ms_range", p.SerialRange), ("streamed_ms_range", p.StreamedRange) })
            {
                w.WriteStartObject(name);
                w.WriteNumber("min", range.Min);
                w.WriteNumber("max", range.Max);
                w.WriteEndObject();
            }
            w.WriteNumber("serial_cpu_ms", p.SerialCpuMs);
            w.WriteNumber("streamed_cpu_ms", p.StreamedCpuMs);
            w.WriteNumber("serial_cores_busy", p.SerialCoreUse);
            w.WriteNumber("streamed_cores_busy", p.StreamedCoreUse);
            w.WriteNumber("serial_tps", p.SerialTps);
            w.WriteNumber("streamed_tps", p.StreamedTps);
            w.WriteNumber("streamed_speedup", p.Speedup);
            w.WriteString("final_state_root", p.FinalStateRoot);
            w.WriteNumber("peak_rss_bytes", p.PeakRssBytes);
            if (p.Store) w.WriteNumber("load_wait_share", p.LoadWaitShare);
            if (p.StoreDirectory is not null)
            {
                w.WriteString("store_directory", p.StoreDirectory);
                w.WriteNumber("store_accounts", p.StoreAccounts!.Value);
                w.WriteNumber("cache_bytes", p.CacheBytes!.Value);
            }
            w.WriteBoolean("results_equal", true);
            foreach (var (name, rows) in new[] { ("serial_blocks", p.SerialBlocks), ("streamed_blocks", p.StreamedBlocks) })
            {
                w.WriteStartArray(name);
                foreach (var row in rows)
                {
                    w.WriteStartObject();
                    w.WriteNumber("height", row.Height);
                    w.WriteStartObject("stages");
                    foreach (var (stage, ms) in row.Stages) w.WriteNumber(stage, ms);
                    w.WriteEndObject();
                    if (p.Store) w.WriteNumber("commit", row.CommitMs);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        });
    }
}
