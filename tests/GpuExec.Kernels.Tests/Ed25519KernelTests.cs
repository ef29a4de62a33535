using System.Diagnostics;
using GpuExec.Crypto;
using GpuExec.Engine.Verify;

namespace GpuExec.Kernels.Tests;

/// <summary>Ed25519 kernel == libsodium, bit for bit. Written once, run per backend.</summary>
public abstract class Ed25519KernelTests(AcceleratorFixture fixture)
{
    protected AcceleratorFixture Fixture { get; } = fixture;

    private void AssertAgree(IReadOnlyList<SigVector> cases)
    {
        var got = Vectors.Run(Fixture.Verifier, cases);
        var failures = new List<string>();
        for (int i = 0; i < cases.Count; i++)
            if (got[i] != cases[i].Valid)
                failures.Add($"{cases[i].Source}/{cases[i].Id}: kernel {got[i]}, libsodium {cases[i].Valid}");
        Assert.True(failures.Count == 0, $"{failures.Count} disagreements:\n" + string.Join("\n", failures.Take(20)));
    }

    [Fact]
    public void Shared_vectors_get_libsodiums_verdict()
    {
        // The whole file: on the CPU emulator it takes about 10 s on 2 cores, so no subset is needed.
        var cases = Vectors.LibsodiumVerdicts;
        Assert.True(cases.Count > 1000);
        var sw = Stopwatch.StartNew();
        AssertAgree(cases);
        TestContext.Current.SendDiagnosticMessage($"{Fixture.Kind}: {cases.Count} shared vectors in {sw.Elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public void Rfc8032_vectors_verify()
    {
        AssertAgree(Rfc8032.Cases());
    }

    [Fact]
    public void Random_and_mutated_signatures_match_libsodium()
    {
        AssertAgree(Adversarial.RandomAndMutated(seed: 7, count: Fixture.IsEmulator ? 40 : 400));
    }

    [Fact]
    public void Adversarial_cases_match_libsodium()
    {
        AssertAgree(Adversarial.Constructed());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Small_chunks_over_two_streams_give_the_same_verdicts(bool shuffled)
    {
        // Many chunks, so both streams carry several; in arena order the arena goes up chunk by
        // chunk, shuffled jobs point anywhere and the whole arena goes first.
        var cases = Adversarial.RandomAndMutated(seed: 11, count: Fixture.IsEmulator ? 30 : 300).Concat(Rfc8032.Cases()).ToList();
        var (arena, jobs) = Vectors.Pack(cases);
        int[] order = Enumerable.Range(0, jobs.Length).ToArray();
        if (shuffled)
            new Random(5).Shuffle(order);
        var permuted = order.Select(i => jobs[i]).ToArray();
        var valid = new bool[permuted.Length];
        using var verifier = new IlgpuSignatureVerifier(Fixture.Accelerator, chunkSize: 7);
        verifier.Verify(arena, permuted, valid);
        for (int k = 0; k < order.Length; k++)
            Assert.True(valid[k] == cases[order[k]].Valid, $"{cases[order[k]].Source}/{cases[order[k]].Id}");
        // A second call reuses the buffers.
        Array.Clear(valid);
        verifier.Verify(arena, permuted, valid);
        for (int k = 0; k < order.Length; k++)
            Assert.True(valid[k] == cases[order[k]].Valid);
    }
}

[Collection("ilgpu-cpu")]
public sealed class Ed25519KernelTestsIlgpuCpu(IlgpuCpuFixture f) : Ed25519KernelTests(f);

[Collection("cuda")]
public sealed class Ed25519KernelTestsCuda(CudaFixture f) : Ed25519KernelTests(f);

/// <summary>The <c>cpu</c> verifier (libsodium on all cores) runs the whole file, and the constructed cases.</summary>
public class CpuSignatureVerifierTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(-1)]
    public void Whole_shared_file_matches(int dop)
    {
        var all = Vectors.LibsodiumVerdicts;
        var got = Vectors.Run(new CpuSignatureVerifier(dop), all);
        for (int i = 0; i < all.Count; i++)
            Assert.True(got[i] == all[i].Valid, $"{all[i].Source}/{all[i].Id}");
        Assert.True(all.Count > 1000);
    }

    [Fact]
    public void Negative_offsets_are_invalid_and_ranges_are_checked()
    {
        var arena = new byte[100];
        var valid = new bool[1];
        new CpuSignatureVerifier().Verify(arena, [new Kernels.Verify.SignatureJob(0, 0, -1, -1)], valid);
        Assert.False(valid[0]);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            new CpuSignatureVerifier().Verify(arena, [new Kernels.Verify.SignatureJob(0, 0, 80, 0)], valid));
    }

    [Fact]
    public void Rfc8032_vectors_are_valid_for_libsodium_too()
    {
        foreach (var c in Rfc8032.Cases())
            Assert.True(Libsodium.Ed25519Verify(c.PublicKey, c.Message, c.Signature), c.Id);
    }
}
