using System.Text.Json;

namespace GpuExec.NativeDrivers.Tests;

/// <summary>
/// The unmodified gpuexec with the shim first on its library path: pocl is its <c>opencl</c> device.
/// </summary>
[Collection(PoclCollection.Name), Trait("Category", "CompiledKernels")]
public class PoclCliTests
{
    private static string Shim()
    {
        if (Pocl.BuildFailure is { } why)
            Assert.Skip(why);
        return Pocl.ShimDir!;
    }

    private static readonly Dictionary<string, string> RealType = new() { ["GPUEXEC_CL_SHIM_REPORT_GPU"] = "0" };

    private static void SkipWithoutPocl(string shim)
    {
        var (_, stdout, _) = Cli.Run(shim, null, "devices");
        if (!stdout.Split('\n').Any(l => l.StartsWith("opencl ", StringComparison.Ordinal)))
            Assert.Skip("pocl (pocl-opencl-icd) offers no device: " + stdout.Split('\n').FirstOrDefault(l => l.StartsWith("opencl:", StringComparison.Ordinal)));
    }

    [Fact]
    public void Verify_on_pocl_gives_libsodiums_verdict_for_every_shared_vector()
    {
        string shim = Shim();
        SkipWithoutPocl(shim);
        string vectors = TestPaths.Shared("vectors", "ed25519-libsodium-verdicts.jsonl");
        string dir = Cli.TempDir();
        string output = Path.Combine(dir, "v.jsonl");
        var (code, _, stderr) = Cli.Run(shim, null, "verify", "--device", "opencl", "--input", vectors, "--out", output);
        Assert.True(code == 0, stderr);
        var expected = File.ReadLines(vectors).Where(l => l.Trim().Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("valid").GetBoolean()).ToList();
        var got = File.ReadLines(output).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("valid").GetBoolean()).ToList();
        Assert.True(expected.Count > 1000);
        Assert.Equal(expected, got);
        Assert.Contains($"verified {expected.Count} signatures ({expected.Count(v => v)} valid, {expected.Count(v => !v)} invalid) on opencl", stderr);
    }

    [Fact]
    public void An_opencl_device_that_is_not_a_GPU_is_not_offered()
    {
        string shim = Shim();
        SkipWithoutPocl(shim);
        var (code, stdout, _) = Cli.Run(shim, RealType, "devices");
        Assert.Equal(0, code);
        Assert.DoesNotContain(stdout.Split('\n'), l => l.StartsWith("opencl ", StringComparison.Ordinal));
        Assert.Contains("is not a GPU (a CPU device)", stdout);

        string dir = Cli.TempDir();
        File.WriteAllLines(Path.Combine(dir, "one.jsonl"), File.ReadLines(TestPaths.Shared("vectors", "ed25519-libsodium-verdicts.jsonl")).Take(1));
        var (verifyCode, _, stderr) = Cli.Run(shim, RealType, "verify", "--device", "opencl", "--input", Path.Combine(dir, "one.jsonl"), "--out", Path.Combine(dir, "v.jsonl"));
        Assert.Equal(5, verifyCode);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("device 'opencl' is not available", line);
        Assert.Contains("is not a GPU (a CPU device)", line);
    }

    [Fact]
    public void Kernels_that_fail_to_build_fail_an_explicit_device_and_send_auto_to_cpu_saying_why()
    {
        // pocl 3.1 cannot build ILGPU.Algorithms' radix sort (work_group_reduce_add), which the
        // pipeline's conflict stage loads: a real driver failure, on this machine.
        string shim = Shim();
        SkipWithoutPocl(shim);
        string dir = Cli.TempDir();
        var (genCode, _, genErr) = Cli.Run(null, null, "gen", "--accounts", "40", "--txs", "150", "--pools", "2", "--blocks", "1", "--swap-ratio", "0.3",
            "--skew", "0.5", "--invalid-ratio", "0.1", "--seed", "5", "--out", Path.Combine(dir, "chain"));
        Assert.True(genCode == 0, genErr);
        string[] inputs = ["--genesis", Path.Combine(dir, "chain", "genesis.json"), "--block", Path.Combine(dir, "chain", "block-000001.gxb")];

        var (code, _, stderr) = Cli.Run(shim, null, ["run", .. inputs, "--out", Path.Combine(dir, "explicit.json"), "--executor", "parallel", "--device", "opencl"]);
        Assert.Equal(5, code);
        // gpuexec's one line; pocl's compiler adds its own count of errors.
        var line = Assert.Single(stderr.Split('\n'), l => l.StartsWith("gpuexec:", StringComparison.Ordinal));
        Assert.Contains("device 'opencl' is not available on this machine: loading the kernels on", line);
        Assert.Contains("work_group_reduce_add", line); // pocl's own build error

        var (autoCode, _, autoErr) = Cli.Run(shim, null, ["run", .. inputs, "--out", Path.Combine(dir, "auto.json"), "--executor", "parallel", "--device", "auto", "--verbose"]);
        Assert.True(autoCode == 0, autoErr);
        var warning = Assert.Single(autoErr.Split('\n'), l => l.Contains("device auto: fell back to cpu", StringComparison.Ordinal));
        Assert.Contains("warn", warning);
        Assert.Contains("opencl: loading the kernels on", warning);
        Assert.Contains("cuda: ", warning);

        var (seqCode, _, seqErr) = Cli.Run(null, null, ["run", .. inputs, "--out", Path.Combine(dir, "reference.json")]);
        Assert.True(seqCode == 0, seqErr);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "reference.json")), File.ReadAllBytes(Path.Combine(dir, "auto.json")));
    }
}
