using GpuExec;
using System.Diagnostics;
using System.Text.Json;
using GpuExec.Engine.Execute;
using GpuExec.Execution;
using GpuExec.Generation;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;
using Spectre.Console;

namespace GpuExec.Bench.Harness;

/// <summary>One point of the contention sweep: the execute stage of both executors on one block.</summary>
internal sealed record ContentionPoint(
    int Accounts, double Skew, int Txs, int Scheduled, int CriticalPath, int Threads, int Lanes,
    double SequentialMs, double ExecuteMs, double AccessSetsMs, double ConflictsMs, double ScheduleMs)
{
    /// <summary>Transactions per step of the critical path.</summary>
    public double Parallelism => CriticalPath == 0 ? 0 : (double)Scheduled / CriticalPath;
    /// <summary>The speed-up the critical path and the threads allow: min(threads, parallelism).</summary>
    public double Bound => Math.Min(Threads, Parallelism);
    /// <summary>Issue 4's target for the execute stage: 0.8 of the bound.</summary>
    public double Target => 0.8 * Bound;
    /// <summary>Sequential apply time over the parallel execute stage.</summary>
    public double Ratio => SequentialMs / ExecuteMs;
    public bool Met => Ratio >= Target;
    /// <summary>Sequential apply time over access sets, conflict detection, schedule and execute together.</summary>
    public double RatioWithAnalysis => SequentialMs / (AccessSetsMs + ConflictsMs + ScheduleMs + ExecuteMs);
}

/// <summary>
/// <c>gpuexec bench --sweep contention</c>: the execute stage of the parallel executor against the
/// sequential executor's apply loop, on blocks from 2 to 1M accounts at Zipf skews 0 to 2. Both get
/// the same statuses after rules 1-3 (signatures verified once, not timed) and start from a fresh copy
/// of the pre-state, with its root already computed. Runs alternate between the two executors and
/// the best run of each is reported (these machines are shared: a slow run is noise, a fast one is
/// not). The parallel executor's other stages are timed too: access sets, conflict detection
/// (the CPU path here; the GPU's job on a GPU device) and the schedule. Results are compared after
/// every run; a difference stops the sweep.
/// </summary>
internal sealed class ContentionSweep(int threads, int runs)
{
    public static readonly int[] AccountCounts = [2, 10_000, 1_000_000];
    private const int WarmUp = 4;

    internal ContentionPoint Run(GeneratorOptions options, LaneExecutor executor, Action<string>? phase = null)
    {
        phase?.Invoke($"generating {options.TxsPerBlock:N0} signed transactions");
        var gen = new BlockGenerator(options);
        var block = BlockCodec.Decode(gen.NextBlock());
        var genesis = gen.Genesis;
        _ = genesis.StateRoot;
        phase?.Invoke("verifying signatures (not timed)");
        var pre = Engine.Verify.VerifyStage.Statuses(block, genesis.ChainId, new Engine.Verify.CpuSignatureVerifier(threads));

        double seqBest = double.MaxValue, execBest = double.MaxValue, setsBest = double.MaxValue, detectBest = double.MaxValue, planBest = double.MaxValue;
        int criticalPath = 0, scheduled = 0, lanes = 0;
        // Warm-up rounds first (JIT, and the lane tuner's probes of a new executor), not counted.
        for (int r = 0; r < runs + WarmUp; r++)
        {
            phase?.Invoke($"run {r + 1}/{runs + WarmUp}");
            var seqState = genesis.Clone();
            _ = seqState.StateRoot;
            var seqStatuses = (TxStatus[])pre.Clone();
            Settle();
            var sw = Stopwatch.StartNew();
            var (seqChanges, _) = SequentialExecutor.ApplyInOrder(seqState, block, seqStatuses);
            double seqMs = sw.Elapsed.TotalMilliseconds;

            var parState = genesis.Clone();
            _ = parState.StateRoot;
            var parStatuses = (TxStatus[])pre.Clone();
            Settle();
            sw.Restart();
            var sets = Engine.Conflicts.AccessSetBuilder.Build(parState, block, parStatuses);
            double t0 = sw.Elapsed.TotalMilliseconds;
            var graph = executor.Detect(sets);
            double t1 = sw.Elapsed.TotalMilliseconds;
            var plan = executor.Plan(sets, graph);
            double t2 = sw.Elapsed.TotalMilliseconds;
            var parChanges = executor.Execute(block, sets, graph, plan, parStatuses);
            double t3 = sw.Elapsed.TotalMilliseconds;

            if (!seqStatuses.AsSpan().SequenceEqual(parStatuses))
                throw new ResultMismatchException($"receipts differ ({options.Accounts} accounts, skew {options.Skew})");
            if (r == runs + WarmUp - 1 && seqState.Apply(seqChanges, 1) != parState.Apply(parChanges, 1))
                throw new ResultMismatchException($"state roots differ ({options.Accounts} accounts, skew {options.Skew})");
            criticalPath = plan.CriticalPath;
            scheduled = plan.ScheduledCount;
            if (r < WarmUp) continue;
            seqBest = Math.Min(seqBest, seqMs);
            setsBest = Math.Min(setsBest, t0);
            detectBest = Math.Min(detectBest, t1 - t0);
            planBest = Math.Min(planBest, t2 - t1);
            if (t3 - t2 < execBest)
            {
                execBest = t3 - t2;
                lanes = executor.LastStats.Lanes;
            }
        }
        return new ContentionPoint(options.Accounts, options.Skew, block.Count, scheduled, criticalPath, threads, lanes,
            seqBest, execBest, setsBest, detectBest, planBest);
    }

    /// <summary>Collects the garbage the copies of the pre-state left, before the clock starts (as BenchmarkDotNet does between iterations).</summary>
    private static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    public static void Print(IReadOnlyList<ContentionPoint> points)
    {
        var first = points[0];
        var t = new Table().Title($"Contention sweep: {first.Txs:N0} txs, {first.Threads} threads, best of the runs; ratio = sequential apply / parallel execute stage");
        foreach (var c in new[] { "accounts", "skew", "critical path", "parallelism", "bound", "target", "sequential ms", "execute ms", "lanes", "ratio", "met", "sets+conflicts+schedule ms", "ratio with them" })
            t.AddColumn(new TableColumn(c).RightAligned());
        foreach (var p in points)
            t.AddRow(p.Accounts.ToString("N0"), p.Skew.ToString("F1"), p.CriticalPath.ToString("N0"), p.Parallelism.ToString("F1"),
                p.Bound.ToString("F2") + "x", p.Target.ToString("F2") + "x", p.SequentialMs.ToString("F1"), p.ExecuteMs.ToString("F1"),
                p.Lanes.ToString(), p.Ratio.ToString("F2") + "x", p.Met ? "yes" : "[red]no[/]",
                (p.AccessSetsMs + p.ConflictsMs + p.ScheduleMs).ToString("F1"), p.RatioWithAnalysis.ToString("F2") + "x");
        AnsiConsole.Write(t);
    }

    /// <summary>Ratio against skew, one line per account count, with the target of each point as a dashed line.</summary>
    public static void Plot(string path, IReadOnlyList<ContentionPoint> points)
    {
        var plt = new ScottPlot.Plot();
        foreach (var group in points.GroupBy(p => p.Accounts))
        {
            double[] xs = group.Select(p => p.Skew).ToArray();
            var ratio = plt.Add.Scatter(xs, group.Select(p => p.Ratio).ToArray());
            ratio.LegendText = $"{group.Key:N0} accounts";
            var target = plt.Add.Scatter(xs, group.Select(p => p.Target).ToArray());
            target.Color = ratio.Color;
            target.LinePattern = ScottPlot.LinePattern.Dashed;
            target.LegendText = $"{group.Key:N0} accounts: target";
        }
        plt.Title($"Execute stage vs sequential apply: {points[0].Txs:N0} txs, {points[0].Threads} threads");
        plt.XLabel("Zipf skew");
        plt.YLabel("sequential apply / execute stage");
        plt.ShowLegend();
        plt.Axes.SetLimitsY(0, points.Max(p => Math.Max(p.Ratio, p.Target)) * 1.1);
        AtomicFile.Write(path, s => s.Write(plt.GetImageBytes(900, 540, ScottPlot.ImageFormat.Png)));
    }

    public static void WriteJson(string path, IReadOnlyList<ContentionPoint> points)
    {
        AtomicFile.Write(path, s =>
        {
            using var w = new Utf8JsonWriter(s, new JsonWriterOptions { Indented = true });
            w.WriteStartObject();
            w.WriteString("sweep", "contention");
            w.WriteNumber("cores", Environment.ProcessorCount);
            w.WriteStartArray("points");
            foreach (var p in points)
            {
                w.WriteStartObject();
                w.WriteNumber("accounts", p.Accounts);
                w.WriteNumber("skew", p.Skew);
                w.WriteNumber("txs", p.Txs);
                w.WriteNumber("scheduled", p.Scheduled);
                w.WriteNumber("critical_path", p.CriticalPath);
                w.WriteNumber("parallelism", Math.Round(p.Parallelism, 3));
                w.WriteNumber("threads", p.Threads);
                w.WriteNumber("lanes", p.Lanes);
                w.WriteNumber("bound", Math.Round(p.Bound, 3));
                w.WriteNumber("target", Math.Round(p.Target, 3));
                w.WriteNumber("sequential_ms", Math.Round(p.SequentialMs, 3));
                w.WriteNumber("execute_ms", Math.Round(p.ExecuteMs, 3));
                w.WriteNumber("ratio", Math.Round(p.Ratio, 3));
                w.WriteBoolean("met", p.Met);
                w.WriteNumber("access_sets_ms", Math.Round(p.AccessSetsMs, 3));
                w.WriteNumber("conflicts_ms", Math.Round(p.ConflictsMs, 3));
                w.WriteNumber("schedule_ms", Math.Round(p.ScheduleMs, 3));
                w.WriteNumber("ratio_with_analysis", Math.Round(p.RatioWithAnalysis, 3));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }
}
