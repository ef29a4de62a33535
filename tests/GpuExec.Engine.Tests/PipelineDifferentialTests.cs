using CsCheck;
using GpuExec.Engine.Execute;
using GpuExec.Execution;
using GpuExec.Generation;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;
using Microsoft.Extensions.Logging;
using GpuExec.Engine.Devices;

namespace GpuExec.Engine.Tests;

/// <summary>
/// The shipped pipeline == the sequential reference, on adversarial workloads (named after them)
/// and on generated blocks and chains, on the <c>cpu</c> device and on ILGPU's emulator (the conflict
/// kernels), with 1, 2 and 16 lanes and in order, repeated, one block at a time and streamed.
/// </summary>
[Collection(IlgpuCollection.Name)]
public class PipelineDifferentialTests(IlgpuFixture ilgpu)
{
    public static TheoryData<bool, int, ApplyMode> Configs => new()
    {
        { false, 1, ApplyMode.Lanes }, { false, 2, ApplyMode.Lanes }, { false, 16, ApplyMode.Lanes },
        { true, 1, ApplyMode.Lanes }, { true, 2, ApplyMode.Lanes }, { true, 16, ApplyMode.Lanes },
        { false, 2, ApplyMode.InOrder }, { true, 2, ApplyMode.InOrder },
    };

    private ComputeDevice? Dev(bool useIlgpu) => useIlgpu ? ilgpu.Device : null;

    private static readonly Signer[] S = Blocks.Signers(12);

    [Theory, MemberData(nameof(Configs))]
    public void Two_accounts_one_pool_everything_conflicts(bool useIlgpu, int threads, ApplyMode mode)
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
        var stats = Blocks.AssertSame(pre, block, threads, Dev(useIlgpu), repeats: 2, mode);
        if (mode == ApplyMode.Lanes) Assert.Equal(60, stats.CriticalPath); // collector 0 sends: every tx is ordered
    }

    [Theory, MemberData(nameof(Configs))]
    public void No_conflicts_is_one_batch(bool useIlgpu, int threads, ApplyMode mode)
    {
        var pre = Blocks.Genesis(S);
        var recs = new List<byte[]>();
        // Senders 1..5 pay recipients 6..10 (never senders); the collector (11) only receives.
        for (int i = 1; i <= 5; i++) recs.Add(S[i].Transfer(Blocks.Chain, 0, 7, S[i + 5].Address, 1, 100));
        var block = Blocks.Encode(pre, S[11].Address, recs);
        var stats = Blocks.AssertSame(pre, block, threads, Dev(useIlgpu), repeats: 2, mode);
        if (mode == ApplyMode.InOrder) { Assert.Equal((0, 1), (stats.CriticalPath, stats.Lanes)); return; }
        Assert.Equal((1, threads), (stats.CriticalPath, stats.Lanes));
        Assert.Equal(5.0, stats.EffectiveParallelism);
    }

    [Theory, MemberData(nameof(Configs))]
    public void Fee_collector_that_also_sends_and_self_transfers(bool useIlgpu, int threads, ApplyMode mode)
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
        Blocks.AssertSame(pre, block, threads, Dev(useIlgpu), repeats: 2, mode);
    }

    [Theory, MemberData(nameof(Configs))]
    public void Credit_then_debit_chains_and_long_nonce_chains(bool useIlgpu, int threads, ApplyMode mode)
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
        var stats = Blocks.AssertSame(pre, block, threads, Dev(useIlgpu), repeats: 2, mode);
        if (mode == ApplyMode.Lanes) Assert.True(stats.CriticalPath >= 80);
    }

    [Theory, MemberData(nameof(Configs))]
    public void Invalid_transactions_between_dependent_ones(bool useIlgpu, int threads, ApplyMode mode)
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
        Blocks.AssertSame(pre, block, threads, Dev(useIlgpu), repeats: 2, mode);
    }

    private static readonly Gen<GeneratorOptions> Generated =
        Gen.Select(Gen.Int[2, 60], Gen.Int[0, 400], Gen.Int[0, 4], Gen.Double[0, 1], Gen.Double[0, 2], Gen.Double[0, 0.3], Gen.ULong, Gen.Bool)
           .Select((acc, txs, pools, swaps, skew, invalid, seed, collectorSends) => new GeneratorOptions
           {
               Accounts = acc, TxsPerBlock = txs, Pools = pools, SwapRatio = swaps, Skew = skew, InvalidRatio = invalid, Seed = seed, Blocks = 2,
               CollectorSends = collectorSends,
           })
           .Select(Gen.Double[0, 0.6], (o, routes) => o with { RouteRatio = routes });

    private static List<Block> Chain(GeneratorOptions o, out WorldState genesis)
    {
        var gen = new BlockGenerator(o);
        genesis = gen.Genesis.Clone();
        var blocks = new List<Block>();
        for (int b = 0; b < o.Blocks; b++) blocks.Add(BlockCodec.Decode(gen.NextBlock()));
        return blocks;
    }

    /// <summary>Each block of a generated chain one at a time, then the whole chain streamed.</summary>
    private static void ChainSame(GeneratorOptions o, int threads, ComputeDevice? device, ApplyMode mode = ApplyMode.Lanes)
    {
        var blocks = Chain(o, out var genesis);
        var state = genesis.Clone();
        foreach (var block in blocks)
        {
            Blocks.AssertSame(state, block, threads, device, 1, mode);
            SequentialExecutor.Execute(state, block);
        }
        Blocks.AssertStreamSame(genesis, blocks, threads, device, mode).GetAwaiter().GetResult();
    }

    [Fact]
    public void Generated_chains_in_lanes_any_lane_count()
    {
        int[] threads = [1, 2, 3, 16];
        Generated.Select(Gen.Int[0, 3]).Sample((o, t) => ChainSame(o, threads[t], null), iter: 60, threads: 1);
    }

    [Fact]
    public void Generated_chains_in_order()
    {
        Generated.Sample(o => ChainSame(o, 2, null, ApplyMode.InOrder), iter: 30, threads: 1);
    }

    [Fact]
    public void Generated_chains_on_the_ilgpu_emulator()
    {
        int[] threads = [1, 2, 16];
        Generated.Select(Gen.Int[0, 2]).Sample((o, t) => ChainSame(o, threads[t], ilgpu.Device), iter: 8, threads: 1);
    }

    [Fact]
    public void Hot_skewed_block_is_deterministic_over_repeats()
    {
        var gen = new BlockGenerator(new GeneratorOptions { Accounts = 50, TxsPerBlock = 3000, Pools = 3, Skew = 1.2, InvalidRatio = 0.05, Seed = 7, CollectorSends = true });
        var block = BlockCodec.Decode(gen.NextBlock());
        foreach (int t in new[] { 1, 2, 4, 16 }) Blocks.AssertSame(gen.Genesis, block, t, null, repeats: 3);
        Blocks.AssertSame(gen.Genesis, block, 2, null, repeats: 2, ApplyMode.InOrder);
    }

    [Fact]
    public void Measured_lane_count_switches_between_blocks_and_keeps_the_results()
    {
        // One pipeline, lanes chosen by measurement (Lanes = 0): it probes 1, 2, 4 and 8 lanes over
        // the first blocks, then runs the fastest; every block must still equal the sequential result.
        var gen = new BlockGenerator(new GeneratorOptions { Accounts = 300, TxsPerBlock = 2500, Pools = 3, Skew = 1.1, InvalidRatio = 0.05, Seed = 13, CollectorSends = true, Blocks = 10 });
        var seq = gen.Genesis.Clone();
        var par = gen.Genesis.Clone();
        using var pipeline = new BlockPipeline(new GpuExecOptions { Device = DeviceKind.Cpu, Threads = 8, Apply = ApplyMode.Lanes });
        var seen = new HashSet<int>();
        for (int b = 0; b < 10; b++)
        {
            var block = BlockCodec.Decode(gen.NextBlock());
            var expected = SequentialExecutor.Execute(seq, block);
            var got = pipeline.Execute(block, par, TestContext.Current.CancellationToken);
            Assert.Equal(expected.Statuses, got.Result.Statuses);
            Assert.Equal(expected.StateRoot, got.Result.StateRoot);
            seen.Add(got.Schedule.Lanes);
        }
        Assert.Equal(Blocks.Dump(seq), Blocks.Dump(par));
        Assert.Equal([1, 2, 4, 8], seen.Order()); // every candidate was tried
    }

    /// <summary>
    /// A stream with a refused block in the middle: every block before it is applied (and was handed
    /// to the caller), the refused one changes nothing, and nothing after it is applied.
    /// </summary>
    [Theory]
    [InlineData(false, ApplyMode.Lanes)]
    [InlineData(false, ApplyMode.InOrder)]
    [InlineData(true, ApplyMode.Lanes)]
    public async Task A_refusal_in_the_middle_of_a_stream_keeps_the_blocks_before_it_and_nothing_after(bool useIlgpu, ApplyMode mode)
    {
        var blocks = Chain(new GeneratorOptions { Accounts = 30, TxsPerBlock = 120, Pools = 2, Skew = 0.9, InvalidRatio = 0.1, Seed = 23, Blocks = 5 }, out var genesis);
        var bad = (byte[])blocks[2].Data.Clone();
        bad[80] ^= 1; // tx_root
        var stream = new List<Block> { blocks[0], blocks[1], BlockCodec.Decode(bad, "bad.gxb"), blocks[3], blocks[4] };
        var expected = genesis.Clone();
        SequentialExecutor.Execute(expected, blocks[0]);
        SequentialExecutor.Execute(expected, blocks[1]);
        var state = genesis.Clone();
        using var pipeline = Blocks.Pipeline(2, Dev(useIlgpu), mode);
        var seen = new List<ulong>();
        var e = await Assert.ThrowsAsync<BlockRejectedException>(async () =>
        {
            await foreach (var run in pipeline.ExecuteStreamAsync(stream, state, TestContext.Current.CancellationToken))
                seen.Add(run.Block.Header.Height);
        });
        Assert.Contains("bad.gxb: tx_root", e.Message);
        Assert.Equal([1UL, 2UL], seen);
        Assert.Equal(Blocks.Dump(expected), Blocks.Dump(state));
        Assert.Equal(expected.AccountCount, state.AccountCount);
        Assert.Equal(2UL, state.Height);
    }

    /// <summary>Cancelling a stream as each stage of its third block ends: the first two blocks stay applied, the third is absent.</summary>
    [Theory]
    [InlineData(StageTimings.TxRoot, ApplyMode.Lanes)]
    [InlineData(StageTimings.TxIds, ApplyMode.Lanes)]
    [InlineData(StageTimings.SigVerify, ApplyMode.Lanes)]
    [InlineData(StageTimings.Conflicts, ApplyMode.Lanes)]
    [InlineData(StageTimings.Schedule, ApplyMode.Lanes)]
    [InlineData(StageTimings.SigVerify, ApplyMode.InOrder)]
    public async Task Cancelling_a_stream_at_a_stage_boundary_keeps_whole_blocks(string afterStage, ApplyMode mode)
    {
        var blocks = Chain(new GeneratorOptions { Accounts = 30, TxsPerBlock = 150, Pools = 2, Skew = 0.9, InvalidRatio = 0.1, Seed = 31, Blocks = 4 }, out var genesis);
        using var cts = new CancellationTokenSource();
        var logs = new CapturingLoggerProvider(onMessage: (_, st) =>
        {
            if (st.TryGetValue("Stage", out var s) && (string?)s == afterStage && st.TryGetValue("Height", out var h) && Convert.ToUInt64(h) == 3) cts.Cancel();
        });
        using var factory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(logs));
        using var pipeline = new BlockPipeline(new GpuExecOptions { Device = DeviceKind.Cpu, Apply = mode, Threads = 2, Lanes = 2 }, factory.CreateLogger<BlockPipeline>());
        var state = genesis.Clone();
        var applied = new List<ulong>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var run in pipeline.ExecuteStreamAsync(blocks, state, cts.Token)) applied.Add(run.Block.Header.Height);
        });
        // Block 3's verification may run ahead while block 2 executes; whatever was applied is whole.
        Assert.InRange(applied.Count, 0, 2);
        var expected = genesis.Clone();
        foreach (var b in blocks.Take(applied.Count)) SequentialExecutor.Execute(expected, b);
        Assert.Equal(Blocks.Dump(expected), Blocks.Dump(state));
        Assert.Equal(expected.AccountCount, state.AccountCount);
        Assert.Equal((ulong)applied.Count, state.Height);
    }

    [Fact]
    public void Refused_block_changes_nothing()
    {
        var pre = Blocks.Genesis(S[..2]);
        var recs = new List<byte[]> { S[1].Transfer(Blocks.Chain, 0, 1, S[0].Address, 0, 5) };
        var bytes = BlockCodec.Encode(pre.ChainId, pre.Height + 2, S[0].Address, pre.StateRoot, recs); // wrong height
        var state = pre.Clone();
        string before = Blocks.Dump(state);
        using var pipeline = Blocks.Pipeline(2, null);
        Assert.Throws<BlockRejectedException>(() => pipeline.Execute(BlockCodec.Decode(bytes), state, TestContext.Current.CancellationToken));
        Assert.Equal(before, Blocks.Dump(state));
        Assert.Equal(pre.Height, state.Height);
    }

    [Fact]
    public async Task The_reference_executor_streams_the_same_results()
    {
        var blocks = Chain(new GeneratorOptions { Accounts = 20, TxsPerBlock = 80, Pools = 2, InvalidRatio = 0.2, Seed = 5, Blocks = 3 }, out var genesis);
        var a = genesis.Clone();
        var b = genesis.Clone();
        IBlockExecutor reference = new ReferenceExecutor();
        int i = 0;
        await foreach (var run in reference.ExecuteStreamAsync(blocks, a, TestContext.Current.CancellationToken))
        {
            var expected = SequentialExecutor.Execute(b, blocks[i++]);
            Assert.Equal(expected.Statuses, run.Result.Statuses);
            Assert.Equal(expected.StateRoot, run.Result.StateRoot);
        }
        Assert.Equal(3, i);
    }
}
