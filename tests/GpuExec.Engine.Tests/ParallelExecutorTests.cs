using CsCheck;
using GpuExec.Engine.Execute;
using GpuExec.Execution;
using GpuExec.Generation;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;
using ILGPU.Runtime;

namespace GpuExec.Engine.Tests;

/// <summary>
/// Parallel == sequential, on adversarial workloads (named after them) and on generated blocks,
/// with the plain CPU conflict path and the ILGPU kernels, with 1, 2 and 16 workers, repeated.
/// </summary>
[Collection(IlgpuCollection.Name)]
public class ParallelExecutorTests(IlgpuFixture ilgpu)
{
    public static TheoryData<bool, int, ScheduleMode> Configs => new()
    {
        { false, 1, ScheduleMode.Levels }, { false, 2, ScheduleMode.Levels }, { false, 16, ScheduleMode.Levels },
        { true, 1, ScheduleMode.Levels }, { true, 2, ScheduleMode.Levels }, { true, 16, ScheduleMode.Levels },
        { false, 2, ScheduleMode.Dag }, { false, 16, ScheduleMode.Dag }, { true, 2, ScheduleMode.Dag },
        { false, 1, ScheduleMode.Lanes }, { false, 2, ScheduleMode.Lanes }, { false, 16, ScheduleMode.Lanes },
        { true, 2, ScheduleMode.Lanes }, { true, 16, ScheduleMode.Lanes },
    };

    private Accelerator? Acc(bool useIlgpu) => useIlgpu ? ilgpu.Accelerator : null;

    private static readonly Signer[] S = Blocks.Signers(12);

    [Theory, MemberData(nameof(Configs))]
    public void Two_accounts_one_pool_everything_conflicts(bool useIlgpu, int threads, ScheduleMode mode)
    {
        var pre = Blocks.Genesis(S[..2]);
        var recs = new List<byte[]>();
        ulong[] nonce = new ulong[2];
        for (int i = 0; i < 60; i++)
        {
            int s = i % 3 == 0 ? 1 : 0;
            recs.Add(i % 2 == 0
                ? S[s].Transfer(Blocks.Chain, nonce[s]++, 3, S[1 - s].Address, (uint)(i % 3), 1000 + (ulong)i)
                : S[s].Swap(Blocks.Chain, nonce[s]++, 2, 0, i % 4 == 1, 5000, 1));
        }
        var block = Blocks.Encode(pre, S[0].Address, recs);
        var stats = Blocks.AssertSame(pre, block, threads, Acc(useIlgpu), repeats: 2, mode);
        Assert.Equal(60, stats.CriticalPath); // collector 0 sends: every tx is ordered
    }

    [Theory, MemberData(nameof(Configs))]
    public void No_conflicts_is_one_batch(bool useIlgpu, int threads, ScheduleMode mode)
    {
        var pre = Blocks.Genesis(S);
        var recs = new List<byte[]>();
        // Senders 1..5 pay recipients 6..10 (never senders); the collector (11) only receives.
        for (int i = 1; i <= 5; i++) recs.Add(S[i].Transfer(Blocks.Chain, 0, 7, S[i + 5].Address, 1, 100));
        var block = Blocks.Encode(pre, S[11].Address, recs);
        var stats = Blocks.AssertSame(pre, block, threads, Acc(useIlgpu), repeats: 2, mode);
        Assert.Equal(1, stats.CriticalPath);
        if (mode == ScheduleMode.Lanes) Assert.Equal((0, threads), (stats.Batches, stats.Lanes));
        else Assert.Equal((1, 0), (stats.Batches, stats.Lanes)); // one level batch
        Assert.Equal(5.0, stats.EffectiveParallelism);
    }

    [Theory, MemberData(nameof(Configs))]
    public void Fee_collector_that_also_sends_and_self_transfers(bool useIlgpu, int threads, ScheduleMode mode)
    {
        var pre = Blocks.Genesis(S[..6], balance: 500);
        var recs = new List<byte[]>();
        var n = new ulong[6];
        for (int round = 0; round < 5; round++)
        {
            for (int s = 1; s < 6; s++) recs.Add(S[s].Transfer(Blocks.Chain, n[s]++, 10, S[s].Address, 0, 100)); // self transfer of token 0
            // The collector spends what the fees brought it (its balance runs low on purpose).
            recs.Add(S[0].Transfer(Blocks.Chain, n[0]++, 5, S[round % 5 + 1].Address, 0, 400));
            recs.Add(S[0].Swap(Blocks.Chain, n[0]++, 1, 0, true, 50, 0));
            recs.Add(S[3].Transfer(Blocks.Chain, n[3]++, 0, S[3].Address, 2, 600)); // self transfer over the balance
        }
        var block = Blocks.Encode(pre, S[0].Address, recs);
        Blocks.AssertSame(pre, block, threads, Acc(useIlgpu), repeats: 2, mode);
    }

    [Theory, MemberData(nameof(Configs))]
    public void Credit_then_debit_chains_and_long_nonce_chains(bool useIlgpu, int threads, ScheduleMode mode)
    {
        var pre = Blocks.Genesis(S, balance: 100);
        var empty = Blocks.Signers(4, 1000); // accounts that exist only once credited
        var recs = new List<byte[]>();
        // Chain: S1 -> E0 -> E1 -> E2 -> E3, each forwarding what it just received (token 0 pays fees too).
        recs.Add(S[1].Transfer(Blocks.Chain, 0, 1, empty[0].Address, 0, 90));
        for (int i = 0; i < 3; i++) recs.Add(empty[i].Transfer(Blocks.Chain, 0, 1, empty[i + 1].Address, 0, 80 - 10 * (ulong)i));
        // A long nonce chain of one sender, some payloads failing, interleaved with independent work.
        for (int k = 0; k < 80; k++)
        {
            recs.Add(S[2].Transfer(Blocks.Chain, (ulong)k, 1, S[3 + k % 4].Address, 1, 3));
            if (k % 10 == 0) recs.Add(S[8 + k % 3].Transfer(Blocks.Chain, (ulong)(k / 10 / 3), 0, S[2].Address, 0, 5));
        }
        var block = Blocks.Encode(pre, S[11].Address, recs);
        var stats = Blocks.AssertSame(pre, block, threads, Acc(useIlgpu), repeats: 2, mode);
        Assert.True(stats.CriticalPath >= 80);
    }

    [Theory, MemberData(nameof(Configs))]
    public void Invalid_transactions_between_dependent_ones(bool useIlgpu, int threads, ScheduleMode mode)
    {
        var pre = Blocks.Genesis(S[..4]);
        var recs = new List<byte[]>();
        var other = Blocks.Signers(1, 77)[0];
        ulong n1 = 0;
        for (int i = 0; i < 10; i++)
        {
            recs.Add(S[1].Transfer(Blocks.Chain, n1++, 2, S[2].Address, 1, 10));
            var bad = S[1].Transfer(Blocks.Chain, n1, 2, S[2].Address, 1, 10);
            bad[^1] ^= 1; // BAD_SIGNATURE with the right nonce
            recs.Add(bad);
            recs.Add(S[1].Transfer(Blocks.Chain + 1, n1, 2, S[2].Address, 1, 10)); // WRONG_CHAIN
            recs.Add([1, 1, 2, 3]); // MALFORMED
            recs.Add(S[1].Transfer(Blocks.Chain, n1 + 5, 2, S[2].Address, 1, 10)); // BAD_NONCE
            recs.Add(S[2].Transfer(Blocks.Chain, (ulong)i, 1_000_000_000, S[1].Address, 0, 1)); // INSUFFICIENT_FEE keeps the nonce
            recs.Add(other.Transfer(Blocks.Chain, 0, 0, S[1].Address, 1, 0)); // unfunded sender, zero fee: OK once, then BAD_NONCE
            recs.Add(S[3].Swap(Blocks.Chain, (ulong)i, 1, 9, true, 10, 0)); // UNKNOWN_POOL
            recs.Add(S[2].Swap(Blocks.Chain, (ulong)i, 1, 0, false, 1, 0)); // tiny swap: ZERO_OUTPUT or nonce-gated
        }
        var block = Blocks.Encode(pre, S[3].Address, recs);
        Blocks.AssertSame(pre, block, threads, Acc(useIlgpu), repeats: 2, mode);
    }

    private static readonly Gen<GeneratorOptions> Generated =
        Gen.Select(Gen.Int[2, 60], Gen.Int[0, 400], Gen.Int[0, 4], Gen.Double[0, 1], Gen.Double[0, 2], Gen.Double[0, 0.3], Gen.ULong, Gen.Bool)
           .Select((acc, txs, pools, swaps, skew, invalid, seed, collectorSends) => new GeneratorOptions
           {
               Accounts = acc, TxsPerBlock = txs, Pools = pools, SwapRatio = swaps, Skew = skew, InvalidRatio = invalid, Seed = seed, Blocks = 2,
               CollectorSends = collectorSends,
           });

    private static void ChainSame(GeneratorOptions o, int threads, Accelerator? acc, ScheduleMode mode = ScheduleMode.Levels)
    {
        var gen = new BlockGenerator(o);
        var state = gen.Genesis.Clone();
        for (int b = 0; b < 2; b++)
        {
            var block = BlockCodec.Decode(gen.NextBlock());
            Blocks.AssertSame(state, block, threads, acc, 1, mode);
            SequentialExecutor.Execute(state, block);
        }
    }

    [Fact]
    public void Generated_blocks_cpu_path_any_worker_count()
    {
        int[] threads = [1, 2, 16];
        Generated.Select(Gen.Int[0, 2]).Sample((o, t) => ChainSame(o, threads[t], null), iter: 60, threads: 1);
    }

    [Fact]
    public void Generated_blocks_lanes_any_lane_count()
    {
        int[] threads = [1, 2, 3, 16];
        Generated.Select(Gen.Int[0, 3]).Sample((o, t) => ChainSame(o, threads[t], null, ScheduleMode.Lanes), iter: 60, threads: 1);
    }

    [Fact]
    public void Generated_blocks_dag_schedule()
    {
        int[] threads = [2, 16];
        Generated.Select(Gen.Int[0, 1]).Sample((o, t) => ChainSame(o, threads[t], null, ScheduleMode.Dag), iter: 40, threads: 1);
    }

    [Fact]
    public void Generated_blocks_ilgpu_path()
    {
        int[] threads = [1, 2, 16];
        Generated.Select(Gen.Int[0, 2]).Sample((o, t) => ChainSame(o, threads[t], ilgpu.Accelerator), iter: 8, threads: 1);
    }

    [Fact]
    public void Hot_skewed_block_is_deterministic_over_repeats()
    {
        var gen = new BlockGenerator(new GeneratorOptions { Accounts = 50, TxsPerBlock = 3000, Pools = 3, Skew = 1.2, InvalidRatio = 0.05, Seed = 7, CollectorSends = true });
        var block = BlockCodec.Decode(gen.NextBlock());
        foreach (int t in new[] { 1, 2, 16 }) Blocks.AssertSame(gen.Genesis, block, t, null, repeats: 3);
        foreach (int t in new[] { 2, 16 }) Blocks.AssertSame(gen.Genesis, block, t, null, repeats: 3, ScheduleMode.Dag);
        foreach (int t in new[] { 1, 2, 4, 16 }) Blocks.AssertSame(gen.Genesis, block, t, null, repeats: 3, ScheduleMode.Lanes);
    }

    [Fact]
    public void Measured_lane_count_switches_between_blocks_and_keeps_the_results()
    {
        // One executor, lanes chosen by measurement (Lanes = 0): it probes 1, 2, 4 and 8 lanes over
        // the first blocks, then runs the fastest; every block must still equal the sequential result.
        var gen = new BlockGenerator(new GeneratorOptions { Accounts = 300, TxsPerBlock = 2500, Pools = 3, Skew = 1.1, InvalidRatio = 0.05, Seed = 13, CollectorSends = true, Blocks = 10 });
        var seq = gen.Genesis.Clone();
        var par = gen.Genesis.Clone();
        using var exec = new ParallelExecutor(new ParallelExecutorOptions { Threads = 8 });
        var seen = new HashSet<int>();
        for (int b = 0; b < 10; b++)
        {
            var block = BlockCodec.Decode(gen.NextBlock());
            var expected = SequentialExecutor.Execute(seq, block);
            var got = exec.Execute(par, block);
            Assert.Equal(expected.Statuses, got.Statuses);
            Assert.Equal(expected.StateRoot, got.StateRoot);
            seen.Add(exec.LastStats.Lanes);
        }
        Assert.Equal(Blocks.Dump(seq), Blocks.Dump(par));
        Assert.Equal([1, 2, 4, 8], seen.Order()); // every candidate was tried
    }

    [Fact]
    public void Refused_block_changes_nothing()
    {
        var pre = Blocks.Genesis(S[..2]);
        var recs = new List<byte[]> { S[1].Transfer(Blocks.Chain, 0, 1, S[0].Address, 0, 5) };
        var bytes = BlockCodec.Encode(pre.ChainId, pre.Height + 2, S[0].Address, pre.ComputeStateRoot(), recs); // wrong height
        var state = pre.Clone();
        string before = Blocks.Dump(state);
        using var exec = new Execute.ParallelExecutor();
        Assert.Throws<BlockRejectedException>(() => exec.Execute(state, BlockCodec.Decode(bytes)));
        Assert.Equal(before, Blocks.Dump(state));
        Assert.Equal(pre.Height, state.Height);
    }

    [Fact]
    public void Precomputed_verdicts_stage_gives_the_same_result()
    {
        var gen = new BlockGenerator(new GeneratorOptions { Accounts = 30, TxsPerBlock = 300, Pools = 2, Skew = 0.8, InvalidRatio = 0.2, Seed = 11 });
        var block = BlockCodec.Decode(gen.NextBlock());
        var seq = gen.Genesis.Clone();
        var expected = SequentialExecutor.Execute(seq, block);
        var verdicts = new bool[block.Count];
        for (int i = 0; i < block.Count; i++)
        {
            var tx = new TransactionView(block.Record(i));
            verdicts[i] = tx.IsWellFormed && Crypto.Libsodium.Ed25519Verify(tx.SenderBytes, tx.Body, tx.Signature);
        }
        var par = gen.Genesis.Clone();
        using var exec = new Execute.ParallelExecutor(new Execute.ParallelExecutorOptions { Threads = 2 });
        var got = exec.Execute(par, block, verdicts);
        Assert.Equal(expected.Statuses, got.Statuses);
        Assert.Equal(expected.StateRoot, got.StateRoot);
    }
}
