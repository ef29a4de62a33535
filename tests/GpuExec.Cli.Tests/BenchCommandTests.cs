using System.Text.Json;

namespace GpuExec.Cli.Tests;

/// <summary><c>gpuexec bench</c> through the real binary, on small blocks (figures are not checked, only that they are real and consistent).</summary>
public class BenchCommandTests
{
    [Theory]
    [InlineData("libsodium", null)]
    [InlineData("simd", null)]
    [InlineData("simd", "0")]
    [InlineData("simd", "5")]
    public void Bench_json_names_the_verifier_and_its_key_tables(string verifier, string? keyTables)
    {
        var json = Path.Combine(Cli.TempDir(), "bench.json");
        string[] args = ["bench", "--txs", "300", "--accounts", "40", "--pools", "2", "--repeat", "1", "--device", "cpu",
            "--verifier", verifier, "--json", json];
        var (code, _, err) = Cli.Run(keyTables is null ? args : [.. args, "--key-tables", keyTables]);
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        bool simd = verifier == "simd" && GpuExec.Engine.Verify.SimdSignatureVerifier.BestLanes > 1;
        Assert.Equal(simd ? "simd" : "libsodium", doc.RootElement.GetProperty("verifier").GetString());
        int want = !simd ? 0 : keyTables is null ? GpuExec.Engine.Verify.SimdSignatureVerifier.DefaultKeyTables : int.Parse(keyTables);
        Assert.Equal(want, doc.RootElement.GetProperty("key_tables").GetInt32());
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("1048577")]
    [InlineData("16777216")]
    [InlineData("many")]
    public void Key_tables_out_of_range_are_a_usage_error(string keyTables)
    {
        var (code, _, err) = Cli.Run("bench", "--txs", "10", "--key-tables", keyTables);
        Assert.Equal(2, code);
        Assert.Contains("--key-tables", err);
    }

    [Fact]
    public void Bench_in_parallel_mode_with_fixed_lanes_reports_a_consistent_point()
    {
        var json = Path.Combine(Cli.TempDir(), "bench.json");
        var (code, stdout, err) = Cli.Run("bench", "--txs", "600", "--accounts", "40", "--pools", "2", "--repeat", "1", "--device", "cpu",
            "--apply", "lanes", "--lanes", "2", "--threads", "2", "--route-ratio", "0.3", "--json", json);
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        Assert.Equal(600, root.GetProperty("txs").GetInt32());
        // The block's mix: routes at about their share, most of them applied; the table's title names it too.
        Assert.Equal(0.3, root.GetProperty("route_ratio").GetDouble());
        var mix = root.GetProperty("mix");
        int routes = mix.GetProperty("routes").GetInt32(), ok = mix.GetProperty("routes_ok").GetInt32();
        Assert.Equal(600, mix.GetProperty("transfers").GetInt32() + mix.GetProperty("swaps").GetInt32() + routes);
        Assert.InRange(routes, 120, 240);
        Assert.InRange(ok, routes / 2, routes);
        Assert.InRange(mix.GetProperty("route_hops_ok").GetInt64(), ok, 4L * ok);
        Assert.Contains($"{routes:N0} routes ({ok:N0} OK", System.Text.RegularExpressions.Regex.Replace(stdout, @"\s+", " ")); // the title wraps
        Assert.True(root.GetProperty("sequential_tps").GetDouble() > 0);
        Assert.True(root.GetProperty("parallel_tps").GetDouble() > 0);
        Assert.True(root.GetProperty("critical_path").GetInt32() >= 1);
        Assert.Equal(2, root.GetProperty("lanes").GetInt32());
    }

    [Fact]
    public void Contention_sweep_reports_every_skew_against_its_bound()
    {
        var dir = Cli.TempDir();
        string json = Path.Combine(dir, "sweep.json"), png = Path.Combine(dir, "sweep.png");
        var (code, stdout, err) = Cli.Run("bench", "--sweep", "contention", "--txs", "3000", "--accounts", "30", "--pools", "2",
            "--repeat", "1", "--device", "cpu", "--threads", "2", "--json", json, "--plot", png);
        Assert.True(code == 0, err);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(png).Take(4));
        Assert.Contains("Contention sweep", stdout);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal("contention", doc.RootElement.GetProperty("sweep").GetString());
        var points = doc.RootElement.GetProperty("points").EnumerateArray().ToList();
        Assert.Equal([0.0, 0.5, 1.0, 1.5, 2.0], points.Select(p => p.GetProperty("skew").GetDouble()));
        foreach (var p in points)
        {
            Assert.Equal(30, p.GetProperty("accounts").GetInt32());
            int scheduled = p.GetProperty("scheduled").GetInt32(), path = p.GetProperty("critical_path").GetInt32();
            Assert.InRange(path, 1, scheduled);
            // The JSON rounds each figure to 3 decimals: compare within what that rounding allows
            // (rounding both sides to 2 decimals instead fails when they straddle a midpoint).
            double parallelism = p.GetProperty("parallelism").GetDouble(), bound = p.GetProperty("bound").GetDouble();
            Assert.Equal((double)scheduled / path, parallelism, 0.0006);
            Assert.Equal(Math.Min(2, parallelism), bound, 0.0011);
            Assert.Equal(0.8 * bound, p.GetProperty("target").GetDouble(), 0.0011);
            double ratio = p.GetProperty("ratio").GetDouble();
            double expected = p.GetProperty("sequential_ms").GetDouble() / p.GetProperty("execute_ms").GetDouble(); // from rounded times
            Assert.InRange(ratio, expected * 0.98, expected * 1.02);
            Assert.Equal(ratio >= p.GetProperty("target").GetDouble(), p.GetProperty("met").GetBoolean());
            Assert.InRange(p.GetProperty("lanes").GetInt32(), 1, 2);
        }
    }

    [Theory]
    [InlineData("in-order")]
    [InlineData("lanes")]
    public void A_chain_with_a_store_runs_one_block_at_a_time_and_streamed_with_equal_results(string execute)
    {
        var json = Path.Combine(Cli.TempDir(), "chain.json");
        var before = Directory.GetDirectories(Path.GetTempPath(), "gpuexec-bench-*").Length;
        var (code, stdout, err) = Cli.Run("bench", "--blocks", "3", "--state", "--txs", "300", "--accounts", "40", "--pools", "2",
            "--repeat", "1", "--device", "cpu", "--apply", execute, "--json", json);
        Assert.True(code == 0, err);
        Assert.Contains("streamed / one at a time", stdout);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        Assert.Equal(3, root.GetProperty("blocks").GetInt32());
        Assert.True(root.GetProperty("store").GetBoolean());
        Assert.Contains(root.GetProperty("verifier").GetString(), new[] { "simd", "libsodium" });
        Assert.True(root.GetProperty("key_tables").GetInt32() >= 0);
        double serial = root.GetProperty("serial_tps").GetDouble(), streamed = root.GetProperty("streamed_tps").GetDouble();
        Assert.True(serial > 0 && streamed > 0);
        Assert.Equal(streamed / serial, root.GetProperty("streamed_speedup").GetDouble(), 3);
        // Cores busy is the process's CPU time over wall time times cores: positive, and within what
        // the cores can give (a little over 1 from timer granularity at most).
        int cores = root.GetProperty("cores").GetInt32();
        foreach (var mode in new[] { "serial", "streamed" })
        {
            double cpu = root.GetProperty(mode + "_cpu_ms").GetDouble(), busy = root.GetProperty(mode + "_cores_busy").GetDouble();
            Assert.True(cpu > 0, mode);
            Assert.InRange(busy, 0.01, 1.1);
            Assert.Equal(cpu / (root.GetProperty(mode + "_ms").GetDouble() * cores), busy, 6);
        }
        foreach (var mode in new[] { "serial_blocks", "streamed_blocks" })
        {
            var blocks = root.GetProperty(mode).EnumerateArray().ToList();
            Assert.Equal([1UL, 2UL, 3UL], blocks.Select(b => b.GetProperty("height").GetUInt64()));
            foreach (var b in blocks)
            {
                Assert.True(b.GetProperty("stages").GetProperty("sigverify").GetDouble() > 0);
                Assert.True(b.GetProperty("commit").GetDouble() > 0);
                Assert.Equal(execute == "lanes", b.GetProperty("stages").TryGetProperty("conflicts", out _));
            }
        }
        // The temporary stores are gone.
        Assert.Equal(before, Directory.GetDirectories(Path.GetTempPath(), "gpuexec-bench-*").Length);
    }

    [Fact]
    public void State_without_a_chain_is_a_usage_error()
    {
        var (code, _, err) = Cli.Run("bench", "--state", "--txs", "100", "--device", "cpu");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--state needs --blocks", err);
    }
}
