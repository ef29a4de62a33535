using System.Text.Json;
using GpuExec.Engine;
using ScottPlot;
using Spectre.Console;

namespace GpuExec.Cli.Bench;

/// <summary>Prints, writes and plots benchmark points.</summary>
public static class BenchReport
{
    public static void PrintTable(BenchPoint p)
    {
        var t = new Table().Title($"GpuExec bench: {p.Txs:N0} txs, {p.Accounts:N0} accounts, skew {p.Skew}, {p.DeviceName}, {p.Threads} threads, execute {p.ExecuteMode}, verifier {p.Verifier}");
        t.AddColumn("stage");
        t.AddColumn(new TableColumn("ms").RightAligned());
        t.AddColumn(new TableColumn("share").RightAligned());
        foreach (var (name, ms) in p.Stages)
            t.AddRow(name, ms.ToString("F2"), (ms / p.ParallelMs).ToString("P1"));
        t.AddEmptyRow();
        t.AddRow("[bold]pipeline total[/]", p.ParallelMs.ToString("F2"), $"{p.ParallelTps:N0} TPS");
        t.AddRow("[bold]sequential baseline[/]", p.SequentialMs.ToString("F2"), $"{p.SequentialTps:N0} TPS");
        t.AddRow("[bold]speedup[/]", "", $"{p.Speedup:F2}x");
        if (p.ExecuteMode == nameof(Engine.ExecuteMode.Parallel))
            t.AddRow("batches / lanes / critical path", $"{p.Batches} / {p.Lanes} / {p.CriticalPath}", $"parallelism {p.EffectiveParallelism:F1}");
        t.AddRow("peak working set", $"{p.PeakWorkingSetMiB:N0} MiB", "");
        AnsiConsole.Write(t);
    }

    public static void PrintSweep(IReadOnlyList<BenchPoint> points)
    {
        var t = new Table().Title($"GpuExec bench sweep: {points[0].Txs:N0} txs, {points[0].DeviceName}, {points[0].Threads} threads");
        foreach (var c in new[] { "skew", "sequential TPS", "pipeline TPS", "speedup", "critical path", "parallelism", "execute ms" })
            t.AddColumn(new TableColumn(c).RightAligned());
        foreach (var p in points)
        {
            bool parallel = p.ExecuteMode == nameof(ExecuteMode.Parallel);
            t.AddRow(p.Skew.ToString("F2"), p.SequentialTps.ToString("N0"), p.ParallelTps.ToString("N0"), p.Speedup.ToString("F2") + "x",
                parallel ? p.CriticalPath.ToString() : "in order", parallel ? p.EffectiveParallelism.ToString("F1") : "-",
                p.Stages[StageTimings.Execute].ToString("F2"));
        }
        AnsiConsole.Write(t);
    }

    public static void WriteJson(string path, IReadOnlyList<BenchPoint> points, bool sweep)
    {
        CliOutput.WriteAtomically(path, s =>
        {
            using var w = new Utf8JsonWriter(s, new JsonWriterOptions { Indented = true });
            if (sweep)
            {
                w.WriteStartObject();
                w.WriteString("sweep", "skew");
                w.WriteStartArray("runs");
                foreach (var p in points) WritePoint(w, p);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            else
            {
                WritePoint(w, points[0]);
            }
        });
    }

    private static void WritePoint(Utf8JsonWriter w, BenchPoint p)
    {
        w.WriteStartObject();
        w.WriteNumber("sequential_tps", Math.Round(p.SequentialTps, 1));
        w.WriteNumber("parallel_tps", Math.Round(p.ParallelTps, 1));
        w.WriteNumber("speedup", Math.Round(p.Speedup, 3));
        w.WriteString("device", p.Device);
        w.WriteString("device_name", p.DeviceName);
        w.WriteString("verifier", p.Verifier);
        w.WriteNumber("cores", p.Cores);
        w.WriteNumber("threads", p.Threads);
        w.WriteString("execute_mode", p.ExecuteMode);
        w.WriteNumber("txs", p.Txs);
        w.WriteNumber("accounts", p.Accounts);
        w.WriteNumber("pools", p.Pools);
        w.WriteNumber("skew", p.Skew);
        w.WriteNumber("swap_ratio", p.SwapRatio);
        w.WriteNumber("sequential_ms", Math.Round(p.SequentialMs, 3));
        w.WriteNumber("parallel_ms", Math.Round(p.ParallelMs, 3));
        w.WriteStartObject("stages");
        foreach (var (name, ms) in p.Stages) w.WriteNumber(name, Math.Round(ms, 3));
        w.WriteEndObject();
        w.WriteNumber("batches", p.Batches);
        w.WriteNumber("lanes", p.Lanes);
        w.WriteNumber("critical_path", p.CriticalPath);
        w.WriteNumber("effective_parallelism", Math.Round(p.EffectiveParallelism, 2));
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
            var names = p.Stages.Keys.ToArray();
            var values = p.Stages.Values.ToArray();
            var bars = plt.Add.Bars(values);
            _ = bars;
            plt.Axes.Bottom.SetTicks(Enumerable.Range(0, names.Length).Select(i => (double)i).ToArray(), names);
            plt.Title($"GpuExec stages on {p.Device}: {p.Txs:N0} txs, {p.ParallelTps:N0} TPS (sequential {p.SequentialTps:N0})");
            plt.YLabel("milliseconds");
            plt.Axes.Margins(bottom: 0);
        }
        CliOutput.WriteAtomically(path, s =>
        {
            var bytes = plt.GetImageBytes(900, 540, ImageFormat.Png);
            s.Write(bytes);
        });
    }
}
