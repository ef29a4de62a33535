using System.Text.Json;

namespace GpuExec.Cli.Tests;

public class RunCommandTests
{
    private static readonly string Example = TestPaths.Shared("examples", "conformance-2");
    private static string Genesis => Path.Combine(Example, "genesis.json");
    private static string Block => Path.Combine(Example, "block-1.gxb");
    private static string Block2 => Path.Combine(Example, "block-2.gxb");

    [Theory]
    [InlineData("sequential", "auto")]
    [InlineData("parallel", "auto")]
    [InlineData("parallel", "lanes")]
    [InlineData("parallel", "in-order")]
    public void Conformance_example_through_the_cli(string executor, string execute)
    {
        var dir = Cli.TempDir();
        var (code, _, err) = Cli.Run("run", "--genesis", Genesis, "--block", Block, "--block", Block2, "--out", Path.Combine(dir, "d.json"),
            "--receipts", Path.Combine(dir, "r.jsonl"), "--executor", executor, "--device", "cpu", "--apply", execute);
        Assert.True(code == 0, err);
        Assert.Equal(File.ReadAllBytes(Path.Combine(Example, "expected-dump.json")), File.ReadAllBytes(Path.Combine(dir, "d.json")));
        var expected = File.ReadAllLines(Path.Combine(Example, "expected-receipts.jsonl"));
        var actual = File.ReadAllLines(Path.Combine(dir, "r.jsonl"));
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            using var e = JsonDocument.Parse(expected[i]);
            using var a = JsonDocument.Parse(actual[i]);
            Assert.True(JsonElement.DeepEquals(e.RootElement, a.RootElement), $"line {i}: {actual[i]}");
        }
    }

    [Fact]
    public void A_dump_of_a_store_reads_back_as_a_genesis_and_dumps_the_same_bytes()
    {
        var dir = Cli.TempDir();
        string store = Path.Combine(dir, "store"), d1 = Path.Combine(dir, "d1.json"), d2 = Path.Combine(dir, "d2.json");
        var (code, _, err) = Cli.Run("run", "--state", store, "--genesis", Genesis, "--block", Block, "--block", Block2, "-q");
        Assert.True(code == 0, err);
        (code, _, err) = Cli.Run("run", "--state", store, "--out", d1, "-q");
        Assert.True(code == 0, err);
        (code, _, err) = Cli.Run("run", "--genesis", d1, "--out", d2, "-q");
        Assert.True(code == 0, err);
        Assert.Equal(File.ReadAllBytes(d1), File.ReadAllBytes(d2));
        Assert.Equal(File.ReadAllBytes(Path.Combine(Example, "expected-dump.json")), File.ReadAllBytes(d1));
    }

    [Fact]
    public void A_refused_block_exits_4_with_one_line_and_writes_nothing()
    {
        var dir = Cli.TempDir();
        var dump = Path.Combine(dir, "d.json");
        File.WriteAllText(dump, "previous");
        var (code, _, err) = Cli.Run("run", "--genesis", Genesis, "--block", Block, "--block", Block, "--out", dump);
        Assert.Equal(ExitCodes.BlockRejected, code);
        Assert.Contains("height 1 is not the next height 2", err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Equal("previous", File.ReadAllText(dump));
        Assert.Single(Directory.GetFiles(dir));
    }

    [Fact]
    public void Invalid_inputs_exit_3_naming_the_file()
    {
        var dir = Cli.TempDir();
        var bad = Path.Combine(dir, "bad.json");
        File.WriteAllText(bad, "{\"chain_id\": 7, \"accounts\": [ {\"address\": \"00\"} ]}");
        var (code, _, err) = Cli.Run("run", "--genesis", bad, "--out", Path.Combine(dir, "d.json"));
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("bad.json: accounts[0].address", err);

        (code, _, err) = Cli.Run("run", "--genesis", Path.Combine(dir, "missing.json"), "--out", Path.Combine(dir, "d.json"));
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("missing.json", err);

        var truncated = Path.Combine(dir, "t.gxb");
        File.WriteAllBytes(truncated, File.ReadAllBytes(Block)[..^3]);
        (code, _, err) = Cli.Run("run", "--genesis", Genesis, "--block", truncated, "--out", Path.Combine(dir, "d.json"));
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("t.gxb: truncated", err);
        Assert.False(File.Exists(Path.Combine(dir, "d.json")));
    }

    [Fact]
    public void Gen_into_a_file_is_a_usage_error()
    {
        var file = Path.Combine(Cli.TempDir(), "a-file");
        File.WriteAllText(file, "x");
        var (code, _, err) = Cli.Run("gen", "--txs", "5", "--accounts", "3", "--out", file);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("is a file", err);
        Assert.Equal("x", File.ReadAllText(file));
    }

    [Theory]
    [InlineData("run", "--bogus")]
    [InlineData("run", "--block", "x.gxb", "--out", "d.json")]
    [InlineData("run", "--genesis", "g.json", "--out", "d.json", "--executor", "fast")]
    [InlineData("frobnicate")]
    [InlineData("gen", "--accounts", "1", "--out", "x")]
    [InlineData("gen", "--skew", "-1", "--out", "x")]
    [InlineData("gen", "--route-ratio", "1.5", "--out", "x")]
    [InlineData("bench", "--route-ratio", "-0.1", "--device", "cpu")]
    [InlineData("bench", "--txs", "0", "--device", "cpu")]
    [InlineData("bench", "--lanes", "-1", "--device", "cpu")]
    [InlineData("bench", "--sweep", "accounts", "--device", "cpu")]
    public void Usage_errors_exit_2(params string[] args)
    {
        var (code, _, err) = Cli.Run(args);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.StartsWith("gpuexec: ", err);
    }
}

public class StateDirectoryCliTests
{
    [Fact]
    public void A_chain_applied_across_runs_with_state_equals_one_run_in_memory()
    {
        var dir = Cli.TempDir();
        Assert.Equal(0, Cli.Run("gen", "--accounts", "40", "--txs", "400", "--pools", "2", "--blocks", "3", "--seed", "9", "--out", dir).code);
        string G = Path.Combine(dir, "genesis.json"), B1 = Path.Combine(dir, "block-000001.gxb"),
               B2 = Path.Combine(dir, "block-000002.gxb"), B3 = Path.Combine(dir, "block-000003.gxb");
        var store = Path.Combine(dir, "state");
        Assert.Equal(0, Cli.Run("run", "--state", store, "--genesis", G, "--block", B1).code);
        Assert.Equal(0, Cli.Run("run", "--state", store, "--block", B2, "--executor", "parallel", "--device", "cpu").code);
        // A refused block (block 2 again) leaves the store as it was.
        Assert.Equal(ExitCodes.BlockRejected, Cli.Run("run", "--state", store, "--block", B2).code);
        Assert.Equal(0, Cli.Run("run", "--state", store, "--block", B3).code);
        Assert.Equal(0, Cli.Run("run", "--state", store, "--out", Path.Combine(dir, "stored.json")).code);
        Assert.Equal(0, Cli.Run("run", "--genesis", G, "--block", B1, "--block", B2, "--block", B3, "--out", Path.Combine(dir, "memory.json")).code);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "memory.json")), File.ReadAllBytes(Path.Combine(dir, "stored.json")));

        // A store refuses another chain's genesis and a directory that is not a store.
        var (code, _, err) = Cli.Run("run", "--state", store, "--genesis", Path.Combine(Cli.TempDir(), "none.json"), "--out", Path.Combine(dir, "x.json"));
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("none.json", err);
        // (The output goes elsewhere: one inside --state is refused before the directory is looked at.)
        (code, _, err) = Cli.Run("run", "--state", dir, "--out", Path.Combine(Cli.TempDir(), "x.json"));
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("not a GpuExec state store", err);
    }
}

public class GenCommandTests
{
    [Fact]
    public void Gen_is_deterministic_and_its_chain_runs()
    {
        var a = Cli.TempDir();
        var b = Cli.TempDir();
        string[] common = ["gen", "--accounts", "30", "--txs", "300", "--pools", "3", "--blocks", "2", "--skew", "1.2", "--invalid-ratio", "0.1", "--seed", "5"];
        Assert.Equal(0, Cli.Run([.. common, "--out", a]).code);
        Assert.Equal(0, Cli.Run([.. common, "--out", b]).code);
        foreach (var f in new[] { "genesis.json", "block-000001.gxb", "block-000002.gxb" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(a, f)), File.ReadAllBytes(Path.Combine(b, f)));
        var (code, _, err) = Cli.Run("run", "--genesis", Path.Combine(a, "genesis.json"), "--block", Path.Combine(a, "block-000001.gxb"),
            "--block", Path.Combine(a, "block-000002.gxb"), "--out", Path.Combine(a, "d.json"));
        Assert.True(code == 0, err);
        using var dump = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(a, "d.json")));
        Assert.Equal(2, dump.RootElement.GetProperty("height").GetInt32());
    }

    /// <summary>
    /// Several blocks with --state are streamed (the next verified while one executes and commits):
    /// a refused block in the middle leaves the blocks before it committed, and a missing file after
    /// it is never reported, since the refusal comes first.
    /// </summary>
    [Theory]
    [InlineData("sequential")]
    [InlineData("parallel")]
    public void A_streamed_chain_with_a_refusal_in_the_middle_commits_the_blocks_before_it(string executor)
    {
        var dir = Cli.TempDir();
        Assert.Equal(0, Cli.Run("gen", "--accounts", "40", "--txs", "300", "--pools", "2", "--blocks", "4", "--seed", "12", "--out", dir).code);
        string G = Path.Combine(dir, "genesis.json");
        string B(int i) => Path.Combine(dir, $"block-{i:D6}.gxb");
        var bad = File.ReadAllBytes(B(3));
        bad[80] ^= 1; // tx_root
        File.WriteAllBytes(Path.Combine(dir, "bad.gxb"), bad);
        var store = Path.Combine(dir, "store");
        var (code, _, err) = Cli.Run("run", "--state", store, "--genesis", G, "--block", B(1), "--block", B(2), "--block", Path.Combine(dir, "bad.gxb"),
            "--block", Path.Combine(dir, "missing.gxb"), "--executor", executor, "--device", "cpu");
        Assert.Equal(ExitCodes.BlockRejected, code);
        Assert.Contains("bad.gxb: tx_root", err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Equal(0, Cli.Run("run", "--state", store, "--out", Path.Combine(dir, "stored.json")).code);
        Assert.Equal(0, Cli.Run("run", "--genesis", G, "--block", B(1), "--block", B(2), "--out", Path.Combine(dir, "memory.json")).code);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "memory.json")), File.ReadAllBytes(Path.Combine(dir, "stored.json")));

        // A missing block file is exit 3 in its turn, the blocks before it committed.
        (code, _, err) = Cli.Run("run", "--state", store, "--block", B(3), "--block", Path.Combine(dir, "missing.gxb"), "--executor", executor, "--device", "cpu");
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("missing.gxb", err);
        Assert.Equal(0, Cli.Run("run", "--state", store, "--out", Path.Combine(dir, "stored3.json")).code);
        Assert.Contains("\"height\": 3", File.ReadAllText(Path.Combine(dir, "stored3.json")));
    }
}
