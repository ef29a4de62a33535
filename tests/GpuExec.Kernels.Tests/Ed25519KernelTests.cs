using System.Diagnostics;
using GpuExec.Engine.Verify;
using ILGPU.Runtime;

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

    [Fact]
    public void A_shared_verifier_called_from_a_fresh_thread_binds_its_device_there()
    {
        // A CUDA context is current per thread: a verifier shared across threads (as xunit shares
        // this fixture's) must bind its accelerator on whichever thread calls it, or its first
        // driver call there fails with CUDA_ERROR_INVALID_CONTEXT. A fresh verifier grows its
        // page-locked buffers on that thread, the call that failed.
        var acc = Fixture.Accelerator;
        var cases = Rfc8032.Cases().Concat(Adversarial.RandomAndMutated(seed: 3, count: 8)).ToList();
        // The shared verifier's buffers are grown here first, so that on the fresh thread nothing
        // is allocated (allocating binds) and only the verifier's own binding makes it current.
        Vectors.Run(Fixture.Verifier, cases);
        foreach (var shared in new[] { false, true })
        {
            using var own = shared ? null : new IlgpuSignatureVerifier(acc, chunkSize: 4);
            var verifier = own ?? Fixture.Verifier;
            Accelerator? before = acc, after = null;
            bool[]? got = null;
            Exception? failure = null;
            var thread = new Thread(() =>
            {
                try
                {
                    before = Accelerator.Current;
                    got = Vectors.Run(verifier, cases);
                    after = Accelerator.Current;
                }
                catch (Exception ex)
                {
                    failure = ex;
                }
            });
            thread.Start();
            thread.Join();
            Assert.Null(failure);
            Assert.Null(before);
            Assert.Same(acc, after);
            for (int i = 0; i < cases.Count; i++)
                Assert.True(got![i] == cases[i].Valid, $"{cases[i].Source}/{cases[i].Id} (shared: {shared})");
        }
    }
}
