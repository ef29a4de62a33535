using GpuExec;
using System.Text.Json;
using GpuExec.Engine;
using ScottPlot;
using Spectre.Console;

namespace GpuExec.Bench.Harness;

/// <summary>Prints, writes and plots benchmark points.</summary>
internal static class BenchReport
{
    /// <summary>What every bench run checked before it reported anything.</summary>
    public const string Check = "results equal in every run: receipts, txids, state root, height";

    public static void PrintTable(BenchPoint p)
    {
        var t = new Table().Title($"GpuExec bench: {p.Txs:N0} txs ({p.Mix}), {p.Accounts:N0} accounts, skew {p.Skew}, {p.DeviceName}, {p.Threads} threads, apply {p.ApplyMode}, verifier {p.Verifier}{(p.KeyTables > 0 ? $" ({p.KeyTables:N0} key tables)" : "")}");
        t.AddColumn("stage");
        t.AddColumn(new TableColumn("median ms").RightAligned());
        t.AddColumn(new TableColumn("min - max").RightAligned());
        t.AddColumn(new TableColumn("share").RightAligned());
        foreach (var name in StageNames)
        {
            if (p.StageSpreads.TryGetValue(name, out var sp))
                t.AddRow(name, sp.Median.ToString("F2"), $"{sp.Min:F2} - {sp.Max:F2}", (sp.Median / p.ParallelMs).ToString("P1"));
            else if (name is StageTimings.Conflicts or StageTimings.Schedule)
                t.AddRow(name, "not run", "", "(in order)");
        }
        t.AddEmptyRow();
        t.AddRow("[bold]pipeline total[/]", p.Parallel.Median.ToString("F2"), $"{p.Parallel.Min:F2} - {p.Parallel.Max:F2}", $"{p.ParallelTps:N0} TPS");
        if (p.Preverified is { } pre)
            t.AddRow("pipeline, pre-verified", pre.Median.ToString("F2"), $"{pre.Min:F2} - {pre.Max:F2}", $"{p.PreverifiedTps:N0} TPS (signature cache warm; not the headline)");
        t.AddRow("[bold]sequential baseline[/]", p.Sequential.Median.ToString("F2"), $"{p.Sequential.Min:F2} - {p.Sequential.Max:F2}", $"{p.SequentialTps:N0} TPS");
        t.AddRow("[bold]speedup[/]", "", "", $"{p.Speedup:F2}x");
        if (p.ApplyMode == nameof(Engine.ApplyMode.Lanes))
            t.AddRow("lanes / critical path", $"{p.Lanes} / {p.CriticalPath}", "", $"parallelism {p.EffectiveParallelism:F1}");
        t.AddRow("peak working set", $"{p.PeakWorkingSetMiB:N0} MiB", "", "");
        t.Caption($"median of {p.Repeat} run(s) each after a warm-up (not reported); {Check}");
        AnsiConsole.Write(t);
        foreach (var w in Warnings([p])) AnsiConsole.MarkupLineInterpolated($"[yellow]warning:[/] {w}");
    }

    /// <summary>Stage rows in pipeline order, decode first.</summary>
    private static IEnumerable<string> StageNames => ["decode", .. StageTimings.Order];

    /// <summary>
    /// What makes the points' figures suspect: a spread over 10% between runs, or a machine busier
    /// than its cores when the run began.
    /// </summary>
    public static List<string> Warnings(IReadOnlyList<BenchPoint> points)
    {
        var list = new List<string>();
        foreach (var p in points)
        {
            foreach (var (what, sp) in new[] { ("pipeline", p.Parallel), ("sequential baseline", p.Sequential) })
                if (sp.Wide)
                    list.Add($"skew {p.Skew}: the {what} varied by {sp.Relative:P0} over {sp.Runs} runs ({sp.Min:F1}-{sp.Max:F1} ms): the machine is busy or the run unstable; take the figures with care or repeat");
        }
        double load = BenchMachine.LoadAverage1();
        if (load > Environment.ProcessorCount)
            list.Add($"the load average is {load:F1} on {Environment.ProcessorCount} cores: other work shares the machine, ratios measured now may not hold");
        return list;
    }

    public static void PrintSweep(IReadOnlyList<BenchPoint> points)
    {
        var t = new Table().Title($"GpuExec bench sweep: {points[0].Txs:N0} txs (swap ratio {points[0].SwapRatio}, route ratio {points[0].RouteRatio}), {points[0].DeviceName}, {points[0].Threads} threads");
        foreach (var c in new[] { "skew", "sequential TPS", "pipeline TPS", "speedup", "pipeline ms (min - max)", "critical path", "parallelism", "execute ms" })
            t.AddColumn(new TableColumn(c).RightAligned());
        foreach (var p in points)
        {
            bool lanes = p.ApplyMode == nameof(ApplyMode.Lanes);
            t.AddRow(p.Skew.ToString("F2"), p.SequentialTps.ToString("N0"), p.ParallelTps.ToString("N0"), p.Speedup.ToString("F2") + "x",
                $"{p.Parallel.Median:F1} ({p.Parallel.Min:F1} - {p.Parallel.Max:F1})",
                lanes ? p.CriticalPath.ToString() : "not computed (in order)", lanes ? p.EffectiveParallelism.ToString("F1") : "-",
                p.Stages[StageTimings.Execute].ToString("F2"));
        }
        t.Caption($"median of {points[0].Repeat} run(s) each after a warm-up (not reported); {Check}");
        AnsiConsole.Write(t);
        foreach (var w in Warnings(points)) AnsiConsole.MarkupLineInterpolated($"[yellow]warning:[/] {w}");
    }

    public static void WriteJson(string path, IReadOnlyList<BenchPoint> points, bool sweep, BenchMachine machine)
    {
        AtomicFile.Write(path, s =>
        {
            using var w = new Utf8JsonWriter(s, new JsonWriterOptions { Indented = true });
            if (sweep)
            {
                w.WriteStartObject();
                w.WriteString("sweep", "skew");
                machine.Write(w);
                w.WriteString("check", Check);
                WriteWarnings(w, points);
                w.WriteStartArray("runs");
                foreach (var p in points) WritePoint(w, p, null);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            else
            {
                WritePoint(w, points[0], machine);
            }
        });
    }

    private static void WriteWarnings(Utf8JsonWriter w, IReadOnlyList<BenchPoint> points)
    {
        w.WriteStartArray("warnings");
        foreach (var warning in Warnings(points)) w.WriteStringValue(warning);
        w.WriteEndArray();
    }

    private static void WritePoint(Utf8JsonWriter w, BenchPoint p, BenchMachine? machine)
    {
        w.WriteStartObject();
        w.WriteNumber("sequential_tps", Math.Round(p.SequentialTps, 1));
        w.WriteNumber("parallel_tps", Math.Round(p.ParallelTps, 1));
        w.WriteNumber("speedup", Math.Round(p.Speedup, 3));
        if (p.PreverifiedTps is { } preTps)
        {
            // Beside the cold figure, never instead of it: here the block's signatures were verified before it arrived.
            w.WriteNumber("preverified_tps", Math.Round(preTps, 1));
            p.Preverified!.Value.Write(w, "preverified_ms_runs");
        }
        if (machine is not null)
        {
            machine.Write(w);
            w.WriteString("check", Check);
            WriteWarnings(w, [p]);
        }
        w.WriteString("device", p.Device);
        w.WriteString("device_name", p.DeviceName);
        w.WriteString("verifier", p.Verifier);
        w.WriteNumber("key_tables", p.KeyTables);
        w.WriteNumber("cores", p.Cores);
        w.WriteNumber("threads", p.Threads);
        w.WriteString("apply", p.ApplyMode);
        w.WriteNumber("txs", p.Txs);
        w.WriteNumber("accounts", p.Accounts);
        w.WriteNumber("pools", p.Pools);
        w.WriteNumber("skew", p.Skew);
        w.WriteNumber("swap_ratio", p.SwapRatio);
        w.WriteNumber("route_ratio", p.RouteRatio);
        w.WriteStartObject("mix");
        w.WriteNumber("transfers", p.Mix.Transfers);
        w.WriteNumber("swaps", p.Mix.Swaps);
        w.WriteNumber("routes", p.Mix.Routes);
        w.WriteNumber("routes_ok", p.Mix.RoutesOk);
        w.WriteNumber("route_hops_ok", p.Mix.RouteHops);
        w.WriteEndObject();
        w.WriteNumber("seed", p.Seed);
        w.WriteNumber("repeat", p.Repeat);
        w.WriteNumber("sequential_ms", Math.Round(p.SequentialMs, 3));
        w.WriteNumber("parallel_ms", Math.Round(p.ParallelMs, 3));
        p.Sequential.Write(w, "sequential_ms_runs");
        p.Parallel.Write(w, "parallel_ms_runs");
        // Medians; a stage that did not run (conflicts and schedule in order) is null.
        w.WriteStartObject("stages");
        foreach (var name in StageNames)
        {
            if (p.Stages.TryGetValue(name, out var ms)) w.WriteNumber(name, Math.Round(ms, 3));
            else w.WriteNull(name);
        }
        w.WriteEndObject();
        w.WriteStartObject("stage_runs");
        foreach (var (name, sp) in p.StageSpreads) sp.Write(w, name);
        w.WriteEndObject();
        w.WriteNumber("lanes", p.Lanes);
        bool lanes = p.ApplyMode == nameof(Engine.ApplyMode.Lanes);
        if (lanes) w.WriteNumber("critical_path", p.CriticalPath); else w.WriteNull("critical_path");
        if (lanes) w.WriteNumber("effective_parallelism", Math.Round(p.EffectiveParallelism, 2)); else w.WriteNull("effective_parallelism");
        w.WriteString("state_root", p.StateRoot);
        w.WriteNumber("peak_working_set_mib", p.PeakWorkingSetMiB);
        w.WriteEndObject();
    }

    /// <summary>A sweep: TPS against skew for both executors. One point: the stage breakdown.</summary>
    public static void Plot(string path, IReadOnlyList<BenchPoint> points, bool sweep)
    {
        var plt = new Plot();
        if (sweep)
        {
            double[] xs = points.Select(p => p.Skew).ToArray();
            var seq = plt.Add.Scatter(xs, points.Select(p => p.SequentialTps).ToArray());
            seq.LegendText = "sequential (1 thread, libsodium)";
            var par = plt.Add.Scatter(xs, points.Select(p => p.ParallelTps).ToArray());
            par.LegendText = $"pipeline ({points[0].Device}, {points[0].Threads} threads)";
            plt.Title($"GpuExec: TPS vs Zipf skew, {points[0].Txs:N0} txs per block");
            plt.XLabel("Zipf skew");
            plt.YLabel("transactions per second");
            plt.ShowLegend();
            plt.Axes.SetLimitsY(0, Math.Max(points.Max(p => p.ParallelTps), points.Max(p => p.SequentialTps)) * 1.1);
        }
        else
        {
            var p = points[0];
            var names = StageNames.Where(p.Stages.ContainsKey).ToArray();
            var values = names.Select(n => p.Stages[n]).ToArray();
            var bars = plt.Add.Bars(values);
            _ = bars;
            plt.Axes.Bottom.SetTicks(Enumerable.Range(0, names.Length).Select(i => (double)i).ToArray(), names);
            plt.Title($"GpuExec stages on {p.Device}: {p.Txs:N0} txs, {p.ParallelTps:N0} TPS (sequential {p.SequentialTps:N0})");
            plt.YLabel("milliseconds");
            plt.Axes.Margins(bottom: 0);
        }
        AtomicFile.Write(path, s =>
        {
            var bytes = plt.GetImageBytes(900, 540, ImageFormat.Png);
            s.Write(bytes);
        });
    }
}
