using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Text.Json;

namespace GpuExec.Bench.Harness;

/// <summary>
/// Where and when a benchmark ran, so that a figure can be traced: the build (version and commit),
/// the time, and the machine (cores, CPU model, vector extensions, load). Written into every bench
/// JSON as <c>"provenance"</c>.
/// </summary>
internal sealed record BenchMachine
{
    public required string Version { get; init; }
    public required string Commit { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    public required int Cores { get; init; }
    public required string CpuModel { get; init; }
    public required bool Avx512 { get; init; }
    public required bool Avx2 { get; init; }
    public required string Os { get; init; }
    public required string Runtime { get; init; }
    /// <summary>The 1-minute load average when the run started (Linux; -1 elsewhere): above the core count, figures are suspect.</summary>
    public required double LoadAverage { get; init; }

    public static BenchMachine Now()
    {
        // The product's version (the engine package's), not this harness's, which is not versioned.
        var info = typeof(GpuExec.Engine.BlockPipeline).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        int plus = info.IndexOf('+', StringComparison.Ordinal);
        return new BenchMachine
        {
            Version = plus < 0 ? info : info[..plus],
            // The SDK appends the source revision to the informational version when it builds from git.
            Commit = plus < 0 ? "unknown" : info[(plus + 1)..],
            Timestamp = DateTimeOffset.UtcNow,
            Cores = Environment.ProcessorCount,
            CpuModel = CpuModelName(),
            Avx512 = Avx512F.IsSupported,
            Avx2 = System.Runtime.Intrinsics.X86.Avx2.IsSupported,
            Os = RuntimeInformation.OSDescription,
            Runtime = RuntimeInformation.FrameworkDescription,
            LoadAverage = LoadAverage1(),
        };
    }

    /// <summary>
    /// The process's peak resident memory: the kernel's high-water mark (VmHWM) where there is one,
    /// which counts native memory (RocksDB, the state tree's levels) as the GC's figures do not.
    /// </summary>
    public static long PeakRssBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line[6..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { }
        return System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64;
    }

    /// <summary>The current 1-minute load average, or -1 where the system does not say.</summary>
    public static double LoadAverage1()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { return -1; }
    }

    private static string CpuModelName()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':') is int i and >= 0)
                    return line[(i + 1)..].Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    public void Write(Utf8JsonWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject("provenance");
        w.WriteString("version", Version);
        w.WriteString("commit", Commit);
        w.WriteString("timestamp", Timestamp.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        w.WriteNumber("cores", Cores);
        w.WriteString("cpu_model", CpuModel);
        w.WriteBoolean("avx512", Avx512);
        w.WriteBoolean("avx2", Avx2);
        w.WriteString("os", Os);
        w.WriteString("runtime", Runtime);
        w.WriteNumber("load_average", LoadAverage);
        w.WriteEndObject();
    }
}

/// <summary>A figure over repeated runs: the median, with the range.</summary>
internal readonly record struct Spread(double Median, double Min, double Max, int Runs)
{
    /// <summary>Above this relative range ((max - min) / median) a figure is flagged: the machine was busy or the run unstable.</summary>
    public const double WarnAbove = 0.10;

    public static Spread Of(IReadOnlyCollection<double> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var s = runs.Order().ToArray();
        return s.Length == 0 ? default : new Spread(s[s.Length / 2], s[0], s[^1], s.Length);
    }

    public double Relative => Median == 0 ? 0 : (Max - Min) / Median;
    public bool Wide => Runs > 1 && Relative > WarnAbove;
    public override string ToString() => $"{Median:F2} ({Min:F2}-{Max:F2})";

    public void Write(Utf8JsonWriter w, string name)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject(name);
        w.WriteNumber("median", Math.Round(Median, 3));
        w.WriteNumber("min", Math.Round(Min, 3));
        w.WriteNumber("max", Math.Round(Max, 3));
        w.WriteNumber("runs", Runs);
        w.WriteEndObject();
    }
}
