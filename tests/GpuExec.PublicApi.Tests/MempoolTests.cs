using System.Security.Cryptography;
using GpuExec.Engine;
using GpuExec.Engine.Verify;
using GpuExec.Execution;
using GpuExec.Model;
using GpuExec.State;
using NSec.Cryptography;

namespace GpuExec.PublicApi.Tests;

/// <summary>Mempool admission through the public API: the transaction builder, txids, pre-verification verdicts and the check against the state.</summary>
public class MempoolTests
{
    [Fact]
    public void The_builder_writes_well_formed_signed_records_and_their_txids()
    {
        using var key = World.KeyFrom(77);
        var b = new TransactionBuilder(key, World.Chain);
        Assert.Equal(key.PublicKey.Export(KeyBlobFormat.RawPublicKey), b.Sender.ToArray());
        var to = new TransactionBuilder(World.KeyFrom(78), World.Chain).Sender;

        var t = b.Transfer(3, 9, to, 2, 1234);
        var v = new TransactionView(t.Record);
        Assert.True(v.IsWellFormed);
        Assert.Equal((TxKind.Transfer, World.Chain, b.Sender, 3UL, 9UL, to, 2u, 1234UL), (v.Kind, v.ChainId, v.Sender, v.Nonce, v.Fee, v.To, v.Token, v.Amount));
        Assert.True(SignatureAlgorithm.Ed25519.Verify(key.PublicKey, v.Body, v.Signature));
        Assert.Equal(TxId.Of(t.Record), t.TxId);
        Assert.Equal(SHA256.HashData(t.Record), t.TxId.ToArray());

        var s = b.Swap(4, 1, 7, aToB: false, 500, 400);
        v = new TransactionView(s.Record);
        Assert.Equal((TxKind.Swap, 7u, false, 500UL, 400UL), (v.Kind, v.PoolId, v.AToB, v.AmountIn, v.MinOut));
        Assert.True(v.IsWellFormed && SignatureAlgorithm.Ed25519.Verify(key.PublicKey, v.Body, v.Signature));

        var r = b.Route(5, 2, [new RouteHop(1, true), new RouteHop(2, false), new RouteHop(1, false)], 900, 3);
        v = new TransactionView(r.Record);
        Assert.Equal((TxKind.Route, 3, 900UL, 3UL), (v.Kind, v.Hops, v.AmountIn, v.MinOut));
        Assert.Equal((1u, true, 2u, false, 1u, false), (v.HopPool(0), v.HopAToB(0), v.HopPool(1), v.HopAToB(1), v.HopPool(2), v.HopAToB(2)));
        Assert.True(v.IsWellFormed && SignatureAlgorithm.Ed25519.Verify(key.PublicKey, v.Body, v.Signature));

        // Deterministic signatures: the same arguments give the same bytes.
        Assert.Equal(t.Record, b.Transfer(3, 9, to, 2, 1234).Record);
        Assert.Throws<ArgumentOutOfRangeException>(() => b.Route(0, 0, [], 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => b.Route(0, 0, new RouteHop[5], 1, 1));
        using var x25519 = Key.Create(KeyAgreementAlgorithm.X25519);
        Assert.Throws<ArgumentException>(() => new TransactionBuilder(x25519, World.Chain));
    }

    private static List<byte[]> Candidates(World world)
    {
        var a = world.Builders[1];
        var good = a.Transfer(0, 1, world.Collector, 0, 5).Record;
        var bad = (byte[])a.Transfer(1, 1, world.Collector, 0, 5).Record.Clone();
        bad[^5] ^= 0x40;
        var otherChain = new TransactionBuilder(world.Keys[2], World.Chain + 1).Swap(0, 1, 0, true, 10, 1).Record;
        return [good, bad, good[..^2], otherChain, world.Builders[2].Route(0, 1, [new RouteHop(0, true)], 10, 1).Record];
    }

    public static TheoryData<string> Executors => ["reference", "pipeline"];

    [Theory]
    [MemberData(nameof(Executors))]
    public async Task PreVerifyAsync_gives_a_verdict_per_record_by_index_and_txid(string name)
    {
        var world = new World(accounts: 3);
        using var pipeline = name == "pipeline" ? World.Pipeline(ApplyMode.InOrder) : null;
        IBlockExecutor executor = pipeline ?? (IBlockExecutor)new ReferenceExecutor();
        var records = Candidates(world);
        var memory = records.Select(r => (ReadOnlyMemory<byte>)r).ToList();

        var report = await executor.PreVerifyAsync(memory, World.Chain, TestContext.Current.CancellationToken);
        Assert.Equal([TxStatus.Ok, TxStatus.BadSignature, TxStatus.Malformed, TxStatus.WrongChain, TxStatus.Ok], report.Verdicts.Select(v => v.Status));
        Assert.Equal(Enumerable.Range(0, records.Count), report.Verdicts.Select(v => v.Index));
        Assert.Equal(records.Select(r => TxId.Of(r)), report.Verdicts.Select(v => v.TxId));
        Assert.All(report.Verdicts, v => Assert.False(v.FromCache));
        Assert.Equal(new PreVerifyResult(5, 2, 0, 3, 1), report.Summary);

        // Without a chain id, another chain's record is verified like the rest (its signature is good).
        var any = await executor.PreVerifyAsync(memory, null, TestContext.Current.CancellationToken);
        Assert.Equal(TxStatus.Ok, any.Verdicts[3].Status);

        if (pipeline is not null)
        {
            // The second time the verdicts come from the cache, and the block that includes them takes them too.
            var again = await executor.PreVerifyAsync(memory, World.Chain, TestContext.Current.CancellationToken);
            Assert.Equal(report.Verdicts.Select(v => (v.TxId, v.Status)), again.Verdicts.Select(v => (v.TxId, v.Status)));
            Assert.Equal([true, true, false, false, true], again.Verdicts.Select(v => v.FromCache));
            var run = await pipeline.ExecuteAsync(world.Next(world.Genesis, [records[0], records[1], records[4]]), world.Genesis, TestContext.Current.CancellationToken);
            Assert.Equal((3, 0), (run.Verify.CacheHits, run.Verify.Verified));
            Assert.Equal([TxStatus.Ok, TxStatus.BadSignature, TxStatus.Ok], run.Result.Statuses);
        }
    }

    [Theory]
    [MemberData(nameof(Executors))]
    public async Task PreVerifyAsync_honours_cancellation(string name)
    {
        var world = new World(accounts: 3);
        using var pipeline = name == "pipeline" ? World.Pipeline(ApplyMode.InOrder) : null;
        IBlockExecutor executor = pipeline ?? (IBlockExecutor)new ReferenceExecutor();
        var memory = Candidates(world).Select(r => (ReadOnlyMemory<byte>)r).ToList();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => executor.PreVerifyAsync(memory, World.Chain, cts.Token));
        if (pipeline is not null) Assert.Equal(0, pipeline.SignatureCache.Count);
    }

    [Fact]
    public void TxCheck_says_which_rule_a_transaction_would_fail_now_as_a_block_would()
    {
        var world = new World(accounts: 4, balance: 10_000);
        var a = world.Builders[1];
        var to = world.Builders[2].Sender;
        var cases = new (byte[] Record, TxStatus Expected)[]
        {
            (a.Transfer(0, 1, to, 1, 100).Record, TxStatus.Ok),
            (a.Transfer(1, 1, to, 1, 100).Record, TxStatus.BadNonce),
            (a.Transfer(0, 20_000, to, 1, 100).Record, TxStatus.InsufficientFee),
            (a.Transfer(0, 1, to, 1, 20_000).Record, TxStatus.InsufficientBalance),
            (a.Swap(0, 1, 42, true, 10, 1).Record, TxStatus.UnknownPool),
            (a.Route(0, 1, [new RouteHop(0, true), new RouteHop(0, true)], 10, 1).Record, TxStatus.BadRoute),
            (a.Swap(0, 1, 0, true, 1, 0).Record, TxStatus.ZeroOutput),
            (a.Swap(0, 1, 0, true, 100, ulong.MaxValue).Record, TxStatus.Slippage),
            (a.Route(0, 1, [new RouteHop(0, true), new RouteHop(1, true)], 100, 1).Record, TxStatus.Ok),
            (a.Transfer(0, 1, to, 1, 100).Record[..^1], TxStatus.Malformed),
            (new TransactionBuilder(world.Keys[1], World.Chain + 1).Transfer(0, 1, to, 1, 1).Record, TxStatus.WrongChain),
            (Flip(a.Transfer(0, 1, to, 1, 100).Record), TxStatus.BadSignature),
        };
        var state = world.Genesis;
        var root = state.StateRoot;
        foreach (var (record, expected) in cases)
        {
            var check = TxCheck.Check(state, record);
            Assert.Equal(expected, check.Status);
            // The same transaction alone in a block on a copy of the state: the same status and effect.
            var copy = Copy(state);
            var result = new ReferenceExecutor().Execute(world.Next(copy, [record]), copy).Result;
            Assert.Equal(result.Statuses[0], check.Status);
            Assert.Equal(result.Effects![0], check.Effect);
        }
        Assert.Equal(root, state.StateRoot);
        Assert.Equal(TxStatus.Ok, TxCheck.Check(state, Flip(a.Transfer(0, 1, to, 1, 100).Record), verifySignature: false).Status);

        // The collector's own transaction: its fee comes back to it only when it is the block's collector.
        var poor = world.Builders[3];
        var spendAll = poor.Transfer(0, 10_000, to, 0, 10_000).Record;
        Assert.Equal(TxStatus.InsufficientBalance, TxCheck.Check(state, spendAll).Status);
        Assert.Equal(TxStatus.Ok, TxCheck.Check(state, spendAll, feeCollector: poor.Sender).Status);
    }

    [Fact]
    public void CheckSequence_equals_the_statuses_and_effects_of_the_block_that_holds_them()
    {
        var world = new World(accounts: 12, balance: 50_000);
        var records = world.Mix(400, seed: 5);
        var state = world.Genesis;
        var root = state.StateRoot;
        var checks = TxCheck.CheckSequence(state, records.Select(r => (ReadOnlyMemory<byte>)r).ToList(), feeCollector: world.Collector);
        Assert.Equal(root, state.StateRoot);
        var copy = Copy(state);
        var result = new ReferenceExecutor().Execute(world.Next(copy, records), copy).Result;
        Assert.Equal(result.Statuses, checks.Select(c => c.Status));
        Assert.Equal(result.Effects, checks.Select(c => c.Effect));
        Assert.True(result.Statuses.Distinct().Count() >= 8, "the mix reaches most statuses");
    }

    private static byte[] Flip(byte[] record)
    {
        var r = (byte[])record.Clone();
        r[^3] ^= 2;
        return r;
    }

    private static WorldState Copy(WorldState s)
    {
        using var ms = new MemoryStream();
        StateJson.WriteDump(s, ms);
        return StateJson.Parse(ms.ToArray());
    }
}
