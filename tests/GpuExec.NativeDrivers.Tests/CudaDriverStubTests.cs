namespace GpuExec.NativeDrivers.Tests;

/// <summary>
/// A stand-in CUDA driver installed as <c>libcuda.so.1</c> alone, as on a GPU machine whose driver
/// has no development symlink: gpuexec finds it and reports what it said, instead of "no driver".
/// </summary>
public class CudaDriverStubTests
{
    private static string Stub()
    {
        string? dir = NativeBuild.Build("cuda-stub.c", "libcuda.so.1", [], out string? why);
        if (dir is null)
            Assert.Skip(why!);
        Assert.False(File.Exists(Path.Combine(dir, "libcuda.so")));
        return dir;
    }

    [Fact]
    public void A_driver_present_only_as_libcuda_so_1_is_found()
    {
        string stub = Stub();
        var (code, stdout, _) = Cli.Run(stub, null, "devices");
        Assert.Equal(0, code);
        Assert.Contains("cuda: the CUDA driver (libcuda.so.1) failed to start: cuInit returned CUDA_ERROR_NO_DEVICE (100)", stdout);

        string dir = Cli.TempDir();
        File.WriteAllLines(Path.Combine(dir, "one.jsonl"), File.ReadLines(TestPaths.Shared("vectors", "ed25519-libsodium-verdicts.jsonl")).Take(1));
        var (verifyCode, _, stderr) = Cli.Run(stub, null, "verify", "--device", "cuda", "--input", Path.Combine(dir, "one.jsonl"), "--out", Path.Combine(dir, "v.jsonl"));
        Assert.Equal(5, verifyCode);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("device 'cuda' is not available on this machine: the CUDA driver (libcuda.so.1)", line);

        // Without it on the library path there is no driver at all (the machine has none).
        var (_, plain, _) = Cli.Run(null, null, "devices");
        if (!plain.Contains("cuda: no CUDA driver", StringComparison.Ordinal))
            Assert.Skip("this machine has a CUDA driver of its own");
    }

    [Theory]
    [InlineData("100", false)]
    [InlineData("999", true)]
    public void Auto_says_why_cuda_was_not_used_and_warns_only_when_the_driver_failed(string init, bool warns)
    {
        string stub = Stub();
        string dir = Cli.TempDir();
        var (genCode, _, genErr) = Cli.Run(null, null, "gen", "--accounts", "20", "--txs", "50", "--pools", "1", "--blocks", "1", "--swap-ratio", "0.3",
            "--skew", "0", "--invalid-ratio", "0", "--seed", "2", "--out", Path.Combine(dir, "chain"));
        Assert.True(genCode == 0, genErr);
        var (code, _, stderr) = Cli.Run(stub, new Dictionary<string, string> { ["GPUEXEC_CUDA_STUB_INIT"] = init },
            "run", "--genesis", Path.Combine(dir, "chain", "genesis.json"), "--block", Path.Combine(dir, "chain", "block-000001.gxb"),
            "--out", Path.Combine(dir, "out.json"), "--executor", "parallel", "--device", "auto", "--verbose");
        Assert.True(code == 0, stderr);
        var line = Assert.Single(stderr.Split('\n'), l => l.Contains("device auto:", StringComparison.Ordinal));
        Assert.Contains("cuda: the CUDA driver (libcuda.so.1) failed to start: cuInit returned " + (warns ? "CUDA_ERROR_UNKNOWN (999)" : "CUDA_ERROR_NO_DEVICE (100)"), line);
        Assert.Equal(warns, line.Contains("warn:", StringComparison.Ordinal));
    }
}
