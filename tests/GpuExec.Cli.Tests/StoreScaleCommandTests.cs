using System.Text.Json;

namespace GpuExec.Cli.Tests;

/// <summary>
/// <c>gen --state</c>, <c>run --state</c> with <c>--cache-mb</c> and <c>bench --store --chain</c>: a
/// genesis built as a store gives the same blocks and states as the same genesis in a JSON file.
/// </summary>
public class StoreScaleCommandTests
{
    private static readonly string[] Shape =
        ["--accounts", "2500", "--signers", "120", "--txs", "400", "--blocks", "3", "--pools", "4", "--skew", "0.5", "--seed", "9"];

    private static string[] Blocks(string dir) => Directory.GetFiles(dir, "block-*.gxb").Order(StringComparer.Ordinal).ToArray();

    /// <summary>
    /// The generator with holders makes the same block bytes on a store (each block executed by the
    /// pipeline on a checkpoint) as on a genesis in memory (executed by the reference); run on the
    /// store, with no cache or a large one, ends in the dump run on the JSON genesis ends in; the
    /// store is left at the genesis.
    /// </summary>
    [Fact]
    public void A_genesis_made_as_a_store_gives_the_blocks_and_state_of_its_json()
    {
        var tmp = Cli.TempDir();
        string json = Path.Combine(tmp, "json"), store = Path.Combine(tmp, "store"), chain = Path.Combine(tmp, "chain");
        var (code, _, err) = Cli.Run(["gen", .. Shape, "--out", json]);
        Assert.True(code == 0, err);
        (code, _, err) = Cli.Run(["gen", .. Shape, "--state", store, "--out", chain]);
        Assert.True(code == 0, err);
        Assert.False(File.Exists(Path.Combine(chain, "genesis.json")));
        Assert.Empty(Directory.GetDirectories(tmp, "store.gen-*")); // the scratch copy is gone
        var a = Blocks(json);
        var b = Blocks(chain);
        Assert.Equal(3, a.Length);
        Assert.Equal(a.Select(Path.GetFileName), b.Select(Path.GetFileName));
        for (int i = 0; i < a.Length; i++) Assert.Equal(File.ReadAllBytes(a[i]), File.ReadAllBytes(b[i]));

        string expected = Path.Combine(tmp, "expected.json");
        (code, _, err) = Cli.Run(["run", "--genesis", Path.Combine(json, "genesis.json"), .. a.SelectMany(f => new[] { "--block", f }), "--out", expected]);
        Assert.True(code == 0, err);
        string genesisDump = Path.Combine(tmp, "genesis-from-store.json");
        (code, _, err) = Cli.Run("run", "--state", store, "--out", genesisDump);
        Assert.True(code == 0, err);
        Assert.Equal(File.ReadAllBytes(Path.Combine(json, "genesis.json")), File.ReadAllBytes(genesisDump));

        foreach (var (cache, executor) in new[] { ("0", "parallel"), ("512", "sequential") })
        {
            string copy = Path.Combine(tmp, "copy-" + cache);
            CopyDirectory(store, copy);
            string got = Path.Combine(tmp, $"got-{cache}.json");
            (code, _, err) = Cli.Run(["run", "--state", copy, "--cache-mb", cache, "--executor", executor, .. b.SelectMany(f => new[] { "--block", f }), "--out", got]);
            Assert.True(code == 0, err);
            Assert.Equal(File.ReadAllBytes(expected), File.ReadAllBytes(got));
        }
    }

    /// <summary>bench --store runs the chain on checkpoints, reports equal results and the store's figures, and leaves the store as it was.</summary>
    [Fact]
    public void Bench_on_a_store_reports_the_chain_and_leaves_the_store_alone()
    {
        var tmp = Cli.TempDir();
        string store = Path.Combine(tmp, "store"), chain = Path.Combine(tmp, "chain"), report = Path.Combine(tmp, "bench.json");
        var (code, _, err) = Cli.Run(["gen", .. Shape, "--state", store, "--out", chain]);
        Assert.True(code == 0, err);
        string before = Path.Combine(tmp, "before.json"), after = Path.Combine(tmp, "after.json");
        Assert.Equal(0, Cli.Run("run", "--state", store, "--out", before).code);
        (code, _, err) = Cli.Run("bench", "--store", store, "--chain", chain, "--cache-mb", "1", "--repeat", "1", "--device", "cpu", "--json", report);
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(File.ReadAllText(report));
        var root = doc.RootElement;
        Assert.True(root.GetProperty("results_equal").GetBoolean());
        Assert.Equal(3, root.GetProperty("blocks").GetInt32());
        Assert.Equal(2500, root.GetProperty("store_accounts").GetInt64());
        Assert.Equal(1L << 20, root.GetProperty("cache_bytes").GetInt64());
        Assert.True(root.GetProperty("peak_rss_bytes").GetInt64() > 0);
        Assert.InRange(root.GetProperty("load_wait_share").GetDouble(), 0, 1);
        var streamed = root.GetProperty("streamed_blocks");
        Assert.All(streamed.EnumerateArray(), b => Assert.True(b.GetProperty("stages").TryGetProperty("load", out _)));
        // The state the bench ends in is the chain's: run on the store itself gives the same root.
        (code, var stdout, err) = Cli.Run(["run", "--state", store, .. Blocks(chain).SelectMany(f => new[] { "--block", f }), "--out", after]);
        Assert.True(code == 0, err);
        Assert.Contains(root.GetProperty("final_state_root").GetString()!, err + stdout);
        Assert.Empty(Directory.GetDirectories(tmp, "store.bench-*"));
    }

    [Theory]
    [InlineData("--store")]
    [InlineData("--chain")]
    public void Store_and_chain_go_together(string only)
    {
        var (code, _, err) = Cli.Run("bench", only, Cli.TempDir());
        Assert.Equal(2, code);
        Assert.Contains("--store and --chain go together", err);
    }

    [Fact]
    public void A_chain_that_does_not_start_at_the_store_is_refused()
    {
        var tmp = Cli.TempDir();
        string store = Path.Combine(tmp, "store"), chain = Path.Combine(tmp, "chain");
        Assert.Equal(0, Cli.Run(["gen", .. Shape, "--state", store, "--out", chain]).code);
        File.Delete(Path.Combine(chain, "block-000001.gxb"));
        var (code, _, err) = Cli.Run("bench", "--store", store, "--chain", chain, "--repeat", "1");
        Assert.Equal(2, code);
        Assert.Contains("starts with block 2", err);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("1048577")]
    public void Cache_mb_out_of_range_is_a_usage_error(string mb)
    {
        var (code, _, err) = Cli.Run("run", "--state", Cli.TempDir(), "--cache-mb", mb, "--out", Path.Combine(Cli.TempDir(), "o.json"));
        Assert.Equal(2, code);
        Assert.Contains("--cache-mb", err);
    }

    [Fact]
    public void More_accounts_than_a_genesis_file_holds_need_a_store()
    {
        var (code, _, err) = Cli.Run("gen", "--accounts", "20000000", "--signers", "100", "--out", Path.Combine(Cli.TempDir(), "g"));
        Assert.Equal(2, code);
        Assert.Contains("--state", err);
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
    }
}
