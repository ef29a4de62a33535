using GpuExec.Engine.Devices;
using GpuExec.Engine.Execute;
using GpuExec.Execution;
using GpuExec.Generation;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;
using Microsoft.Extensions.Logging;

namespace GpuExec.Engine.Tests;

/// <summary>
/// The state boundary of <see cref="IBlockExecutor"/>, taken literally: nothing is added to the
/// state before the execute stage (a refusal or cancellation at any stage boundary leaves every
/// account, the account count included, as it was), and accounts that end a block empty are not kept.
/// </summary>
public class StateBoundaryTests
{
    private static readonly Signer[] Known = Blocks.Signers(6);

    /// <summary>
    /// A block that names many addresses the state does not hold: fresh senders that fail (bad nonce,
    /// no fee), zero transfers to fresh recipients, real transfers to fresh recipients, a fresh collector.
    /// </summary>
    private static (WorldState pre, Block block, int freshSenders) FreshAddressBlock(int fresh = 300)
    {
        var pre = Blocks.Genesis(Known);
        var strangers = Blocks.Signers(fresh, offset: 10_000);
        var records = new List<byte[]>();
        var nonces = new ulong[Known.Length];
        for (int i = 0; i < fresh; i++)
        {
            var s = strangers[i];
            records.Add(i % 3 == 0 ? s.Transfer(Blocks.Chain, 5, 0, Known[0].Address, 0, 1)       // bad nonce
                : i % 3 == 1 ? s.Transfer(Blocks.Chain, 0, 10, Known[1].Address, 0, 1)            // no fee to pay
                : s.Swap(Blocks.Chain, 0, 1, 0, true, 5, 0));                                      // no fee to pay
            int k = i % Known.Length;
            var recipient = new Signer(50_000 + (ulong)i).Address;
            records.Add(Known[k].Transfer(Blocks.Chain, nonces[k]++, 0, recipient, 1, i % 2 == 0 ? 0UL : 7UL));
        }
        var collector = new Signer(99_999).Address;
        return (pre, Blocks.Encode(pre, collector, records), fresh);
    }

    [Theory]
    [InlineData(ApplyMode.InOrder)]
    [InlineData(ApplyMode.Lanes)]
    public void Failing_transactions_from_fresh_keys_leave_no_accounts_behind(ApplyMode mode)
    {
        var (pre, block, fresh) = FreshAddressBlock();
        var seq = pre.Clone();
        var expected = SequentialExecutor.Execute(seq, block);
        // Known senders, the recipients of non-zero transfers (every second one) and no one else:
        // zero credits, failing fresh senders and the collector paid nothing leave nothing.
        Assert.Equal(Known.Length + fresh / 2, seq.AccountCount);

        using var pipeline = new BlockPipeline(new GpuExecOptions { Device = DeviceKind.Cpu, Apply = mode, Threads = 2, Lanes = 2 });
        var state = pre.Clone();
        var run = pipeline.Execute(block, state, TestContext.Current.CancellationToken);
        Assert.Equal(expected.Statuses, run.Result.Statuses);
        Assert.Equal(expected.StateRoot, run.Result.StateRoot);
        Assert.Equal(seq.AccountCount, state.AccountCount);
        Assert.Equal(Blocks.Dump(seq), Blocks.Dump(state));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void The_parallel_executor_keeps_the_same_accounts_as_the_sequential_one(int threads)
    {
        var (pre, block, _) = FreshAddressBlock(200);
        Blocks.AssertSame(pre, block, threads, device: null);
    }

    private static (string dump, int accounts, Wire.Hash32 root, ulong height) Snapshot(WorldState s) =>
        (Blocks.Dump(s), s.AccountCount, s.StateRoot, s.Height);

    /// <summary>Cancels as each stage ends, in both modes: the next stage's check stops the block, and the whole state, account count included, is as before.</summary>
    [Theory]
    [InlineData(StageTimings.TxRoot, ApplyMode.InOrder)]
    [InlineData(StageTimings.TxIds, ApplyMode.InOrder)]
    [InlineData(StageTimings.SigVerify, ApplyMode.InOrder)]
    [InlineData(StageTimings.Conflicts, ApplyMode.InOrder)]
    [InlineData(StageTimings.Schedule, ApplyMode.InOrder)]
    [InlineData(StageTimings.TxRoot, ApplyMode.Lanes)]
    [InlineData(StageTimings.TxIds, ApplyMode.Lanes)]
    [InlineData(StageTimings.SigVerify, ApplyMode.Lanes)]
    [InlineData(StageTimings.Conflicts, ApplyMode.Lanes)]
    [InlineData(StageTimings.Schedule, ApplyMode.Lanes)]
    public void Cancelling_at_a_stage_boundary_leaves_every_account_as_it_was(string afterStage, ApplyMode mode)
    {
        var (pre, block, _) = FreshAddressBlock(150);
        using var cts = new CancellationTokenSource();
        var logs = new CapturingLoggerProvider(onMessage: (_, st) =>
        {
            if (st.TryGetValue("Stage", out var s) && (string?)s == afterStage) cts.Cancel();
        });
        using var factory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(logs));
        using var pipeline = new BlockPipeline(new GpuExecOptions { Device = DeviceKind.Cpu, Apply = mode }, factory.CreateLogger<BlockPipeline>());
        var state = pre.Clone();
        var before = Snapshot(state);
        Assert.ThrowsAny<OperationCanceledException>(() => pipeline.Execute(block, state, cts.Token));
        Assert.Equal(before, Snapshot(state));
        Assert.Contains(logs.Messages, m => m.Contains("cancelled before stage", StringComparison.Ordinal));

        // The same pipeline then executes the block normally.
        var expected = SequentialExecutor.Execute(pre.Clone(), block);
        Assert.Equal(expected.StateRoot, pipeline.Execute(block, state, TestContext.Current.CancellationToken).Result.StateRoot);
    }

    /// <summary>Refusals (each rule of SPEC section 3) leave the whole state as it was, in both modes.</summary>
    [Theory]
    [InlineData(ApplyMode.InOrder)]
    [InlineData(ApplyMode.Lanes)]
    public void A_refused_block_leaves_every_account_as_it_was(ApplyMode mode)
    {
        var (pre, block, _) = FreshAddressBlock(100);
        using var pipeline = new BlockPipeline(new GpuExecOptions { Device = DeviceKind.Cpu, Apply = mode });
        var bytes = block.Data;
        foreach (int offset in new[] { 4, 8, 48, 80 }) // chain_id, height, parent_state_root, tx_root
        {
            var bad = (byte[])bytes.Clone();
            bad[offset] ^= 1;
            var state = pre.Clone();
            var before = Snapshot(state);
            Assert.Throws<BlockRejectedException>(() => pipeline.Execute(BlockCodec.Decode(bad), state, TestContext.Current.CancellationToken));
            Assert.Equal(before, Snapshot(state));
        }
    }

    [Theory]
    [InlineData(ApplyMode.InOrder)]
    [InlineData(ApplyMode.Lanes)]
    public void A_sender_at_nonce_2_pow_64_minus_1_can_send_nothing(ApplyMode mode)
    {
        var pre = Blocks.Genesis(Known);
        pre.GenesisAccount(Known[0].Address).Nonce = ulong.MaxValue;
        pre.GenesisAccount(Known[1].Address).Nonce = ulong.MaxValue - 1;
        var records = new List<byte[]>
        {
            Known[0].Transfer(Blocks.Chain, ulong.MaxValue, 1, Known[2].Address, 0, 5),
            Known[1].Transfer(Blocks.Chain, ulong.MaxValue - 1, 1, Known[2].Address, 0, 5), // reaches 2^64-1
            Known[1].Transfer(Blocks.Chain, ulong.MaxValue, 1, Known[2].Address, 0, 5),     // and stops there
            Known[0].Transfer(Blocks.Chain, 0, 1, Known[2].Address, 0, 5),                  // no wrap to 0 either
        };
        var block = Blocks.Encode(pre, Known[3].Address, records);
        var seq = pre.Clone();
        var expected = SequentialExecutor.Execute(seq, block);
        Assert.Equal([TxStatus.BadNonce, TxStatus.Ok, TxStatus.BadNonce, TxStatus.BadNonce], expected.Statuses);
        Assert.Equal(ulong.MaxValue, seq.TryGetAccount(Known[0].Address)!.Nonce);
        Assert.Equal(ulong.MaxValue, seq.TryGetAccount(Known[1].Address)!.Nonce);

        using var pipeline = new BlockPipeline(new GpuExecOptions { Device = DeviceKind.Cpu, Apply = mode, Threads = 2, Lanes = 2 });
        var state = pre.Clone();
        var run = pipeline.Execute(block, state, TestContext.Current.CancellationToken);
        Assert.Equal(expected.Statuses, run.Result.Statuses);
        Assert.Equal(Blocks.Dump(seq), Blocks.Dump(state));
        foreach (int threads in new[] { 1, 2, 4 }) Blocks.AssertSame(pre, block, threads, device: null);
    }

    [Fact]
    public void No_block_follows_height_2_pow_64_minus_1()
    {
        var pre = Blocks.Genesis(Known);
        pre.Height = ulong.MaxValue;
        // The block's own height field wraps to 0, as a naive "height + 1" would expect.
        var bytes = BlockCodec.Encode(pre.ChainId, 0, Known[0].Address, pre.StateRoot, [Known[0].Transfer(Blocks.Chain, 0, 1, Known[1].Address, 0, 1)]);
        var block = BlockCodec.Decode(bytes);
        var e = Assert.Throws<BlockRejectedException>(() => SequentialExecutor.Execute(pre.Clone(), block));
        Assert.Contains("no block can follow height 18446744073709551615", e.Message);
        foreach (var mode in new[] { ApplyMode.InOrder, ApplyMode.Lanes })
        {
            using var pipeline = new BlockPipeline(new GpuExecOptions { Device = DeviceKind.Cpu, Apply = mode });
            var state = pre.Clone();
            Assert.Throws<BlockRejectedException>(() => pipeline.Execute(block, state, TestContext.Current.CancellationToken));
            Assert.Equal(ulong.MaxValue, state.Height);
        }
    }

    /// <summary>
    /// A state that breaks the supply invariant (built directly, a genesis file would be refused):
    /// a credit overflows. Every path fails the same way, with <see cref="OverflowException"/>, instead
    /// of one wrapping silently.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_credit_that_overflows_fails_the_same_way_on_every_path(int lanes)
    {
        var pre = Blocks.Genesis(Known);
        var collector = new Signer(77_777).Address;
        pre.GenesisAccount(collector).SetBalance(0, ulong.MaxValue - 3);
        var records = new List<byte[]>();
        for (int i = 0; i < 200; i++) records.Add(Known[i % Known.Length].Transfer(Blocks.Chain, (ulong)(i / Known.Length), 1, Known[(i + 1) % Known.Length].Address, 1, 1));
        var block = Blocks.Encode(pre, collector, records);
        Assert.Throws<OverflowException>(() => SequentialExecutor.Execute(pre.Clone(), block));
        using var pipeline = new BlockPipeline(new GpuExecOptions { Device = DeviceKind.Cpu, Apply = ApplyMode.Lanes, Threads = lanes, Lanes = lanes });
        Assert.Throws<OverflowException>(() => pipeline.Execute(block, pre.Clone(), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Dispose_waits_for_the_running_block_and_refuses_later_ones()
    {
        var gen = new BlockGenerator(new GeneratorOptions { Accounts = 50, TxsPerBlock = 3000, Pools = 2, Seed = 3 });
        var block = BlockCodec.Decode(gen.NextBlock());
        var state = gen.Genesis.Clone();
        using var started = new ManualResetEventSlim();
        var logs = new CapturingLoggerProvider(onMessage: (_, st) =>
        {
            if (st.TryGetValue("Stage", out var s) && (string?)s == StageTimings.TxRoot) started.Set();
        });
        using var factory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(logs));
        var pipeline = new BlockPipeline(new GpuExecOptions { Device = DeviceKind.Cpu }, factory.CreateLogger<BlockPipeline>());
        var ct = TestContext.Current.CancellationToken;
        var running = Task.Run(() => pipeline.Execute(block, state, ct), ct);
        Assert.True(started.Wait(TimeSpan.FromSeconds(60), ct));
        pipeline.Dispose();
        // Dispose returned only once the block was done with the state: it was applied whole.
        Assert.Equal(block.Header.Height, state.Height);
        var expected = gen.Genesis.Clone();
        Assert.Equal(SequentialExecutor.Execute(expected, block).StateRoot, (await running).Result.StateRoot);
        Assert.Throws<ObjectDisposedException>(() => pipeline.Execute(block, gen.Genesis.Clone(), ct));
    }
}
