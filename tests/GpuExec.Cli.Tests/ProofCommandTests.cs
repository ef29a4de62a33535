using System.Text.Json;

namespace GpuExec.Cli.Tests;

/// <summary><c>gpuexec proof</c> and <c>gpuexec verify-proof</c> through the real CLI, on the shared v2 example.</summary>
public class ProofCommandTests
{
    private static string Example(string file) => TestPaths.Shared("examples", "conformance-2", file);
    private static string Proofs(string file) => TestPaths.Shared("examples", "conformance-2", "proofs", file);

    [Theory]
    [InlineData("inclusion-account.json", 0, "inclusion: account 2544c64c8037de6e88ff5f0935207f590ad9c4e1f136990991fe1282f24deb3b nonce ")]
    [InlineData("inclusion-pool.json", 0, "inclusion: pool 2 token_a ")]
    [InlineData("exclusion-account.json", 0, "exclusion: key c964cc16")]
    [InlineData("exclusion-pool.json", 0, "exclusion: key d8138c67")]
    [InlineData("exclusion-empty.json", 0, "exclusion: key 8b9386d8")]
    [InlineData("invalid-data.json", 3, "invalid proof: data hashes to")]
    [InlineData("invalid-short.json", 3, "invalid proof: the path hashes to")]
    public void Verify_proof_gives_each_example_its_verdict(string file, int exit, string starts)
    {
        var (code, stdout, stderr) = Cli.Run("verify-proof", "--proof", Proofs(file));
        Assert.Equal(exit, code);
        if (exit == 0)
        {
            Assert.StartsWith(starts, stdout);
            Assert.Single(stdout.Trim().Split('\n'));
        }
        else
        {
            Assert.Contains(starts, stderr);
            Assert.Single(stderr.Trim().Split('\n'));
            Assert.Equal("", stdout);
        }
    }

    [Fact]
    public void A_trusted_root_overrides_the_proofs_own()
    {
        var own = JsonDocument.Parse(File.ReadAllBytes(Proofs("inclusion-pool.json"))).RootElement.GetProperty("root").GetString()!;
        Assert.Equal(0, Cli.Run("verify-proof", "--proof", Proofs("inclusion-pool.json"), "--root", own).code);
        var other = (own[0] == '0' ? "1" : "0") + own[1..];
        var (code, _, err) = Cli.Run("verify-proof", "--proof", Proofs("inclusion-pool.json"), "--root", other);
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains($"not to the root {other}", err);
        Assert.Equal(ExitCodes.Usage, Cli.Run("verify-proof", "--proof", Proofs("inclusion-pool.json"), "--root", "abc").code);
    }

    /// <summary>The proofs the CLI makes from the genesis and both blocks, and from a state directory holding them, are the example's own.</summary>
    [Fact]
    public void Proofs_from_blocks_and_from_a_state_directory_equal_the_examples()
    {
        var dir = Cli.TempDir();
        string genesis = Example("genesis.json"), b1 = Example("block-1.gxb"), b2 = Example("block-2.gxb");
        var state = Path.Combine(dir, "state");
        Assert.Equal(0, Cli.Run("run", "--genesis", genesis, "--block", b1, "--block", b2, "--state", state, "--quiet").code);
        foreach (var (file, args) in new[]
        {
            ("inclusion-account.json", new[] { "--address", "2544c64c8037de6e88ff5f0935207f590ad9c4e1f136990991fe1282f24deb3b" }),
            ("inclusion-pool.json", new[] { "--pool", "2" }),
        })
        {
            var fromBlocks = Path.Combine(dir, "b-" + file);
            var (code, _, err) = Cli.Run(["proof", "--genesis", genesis, "--block", b1, "--block", b2, .. args, "--out", fromBlocks]);
            Assert.True(code == 0, err);
            AssertJsonEqual(Proofs(file), fromBlocks);
            var fromStore = Path.Combine(dir, "s-" + file);
            (code, _, err) = Cli.Run(["proof", "--state", state, .. args, "--out", fromStore]);
            Assert.True(code == 0, err);
            AssertJsonEqual(Proofs(file), fromStore);
        }
        // An account that is not there: a valid exclusion.
        var absent = Path.Combine(dir, "absent.json");
        Assert.Equal(0, Cli.Run("proof", "--state", state, "--address", new string('7', 64), "--out", absent).code);
        var (c, stdout, _) = Cli.Run("verify-proof", "--proof", absent);
        Assert.Equal(0, c);
        Assert.StartsWith("exclusion: ", stdout);
    }

    [Theory]
    [InlineData("--pool", "1")]
    [InlineData("--genesis", "STATE")]
    [InlineData("--address", "00")]
    [InlineData("--block", "BLOCK")]
    public void Contradictory_or_bad_arguments_are_usage_errors(string option, string value)
    {
        var dir = Cli.TempDir();
        string genesis = Example("genesis.json");
        value = value switch { "STATE" => genesis, "BLOCK" => Example("block-1.gxb"), _ => value };
        // A base that is valid alone: proof of pool 1 from the genesis; each case adds one conflict.
        string[] args = option == "--genesis"
            ? ["proof", "--state", dir, "--genesis", value, "--pool", "1", "--out", Path.Combine(dir, "p.json")]
            : option == "--block"
                ? ["proof", "--state", dir, "--block", value, "--pool", "1", "--out", Path.Combine(dir, "p.json")]
                : ["proof", "--genesis", genesis, option, value, "--address", new string('1', 64), "--out", Path.Combine(dir, "p.json")];
        var (code, _, err) = Cli.Run(args);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.False(File.Exists(Path.Combine(dir, "p.json")));
    }

    private static void AssertJsonEqual(string expectedPath, string actualPath)
    {
        using var e = JsonDocument.Parse(File.ReadAllBytes(expectedPath));
        using var a = JsonDocument.Parse(File.ReadAllBytes(actualPath));
        Assert.True(JsonElement.DeepEquals(e.RootElement, a.RootElement), $"{actualPath} differs from {expectedPath}");
    }
}
