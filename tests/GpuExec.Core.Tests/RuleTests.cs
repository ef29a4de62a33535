using System.Buffers.Binary;
using CsCheck;
using GpuExec.Execution;
using GpuExec.Generation;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Core.Tests;

/// <summary>Every rule of SPEC section 4, one block at a time, on a small hand-made state.</summary>
public class RuleTests
{
    private const uint Chain = 9;
    private static readonly Signer Alice = new(1), Bob = new(2), Collector = new(3);

    private static WorldState NewState()
    {
        var s = new WorldState(Chain);
        var a = s.GenesisAccount(Alice.Address);
        a.SetBalance(0, 1000); a.SetBalance(1, 500); a.SetBalance(2, 0);
        var b = s.GenesisAccount(Bob.Address);
        b.SetBalance(0, 10);
        s.SetPool(new Pool { Id = 5, TokenA = 1, TokenB = 2, ReserveA = 1_000_000, ReserveB = 2_000_000, FeeBps = 30 });
        return s;
    }

    private static (TxStatus status, WorldState state) Run(params byte[][] records) => RunOn(NewState(), records);

    private static (TxStatus status, WorldState state) RunOn(WorldState s, params byte[][] records)
    {
        var block = BlockCodec.Decode(Signer.NextBlock(s, Collector.Address, records));
        var pre = s.Clone();
        var r = SequentialExecutor.Execute(s, block);
        EffectsAssert.Model(pre, block, r);
        return (r.Statuses[^1], s);
    }

    [Fact]
    public void Ok_transfer_moves_amount_charges_fee_and_bumps_nonce()
    {
        var (st, s) = Run(Alice.Transfer(Chain, 0, 7, Bob.Address, 1, 100));
        Assert.Equal(TxStatus.Ok, st);
        var a = s.TryGetAccount(Alice.Address)!;
        Assert.Equal(993UL, a.Balance(0));
        Assert.Equal(400UL, a.Balance(1));
        Assert.Equal(1UL, a.Nonce);
        Assert.Equal(100UL, s.TryGetAccount(Bob.Address)!.Balance(1));
        Assert.Equal(7UL, s.TryGetAccount(Collector.Address)!.Balance(0));
    }

    [Fact]
    public void Zero_amount_and_self_transfer_are_ok()
    {
        var (st, s) = Run(Alice.Transfer(Chain, 0, 1, Bob.Address, 1, 0), Alice.Transfer(Chain, 1, 1, Alice.Address, 1, 500));
        Assert.Equal(TxStatus.Ok, st);
        Assert.Equal(500UL, s.TryGetAccount(Alice.Address)!.Balance(1));
        Assert.Equal(2UL, s.TryGetAccount(Alice.Address)!.Nonce);
    }

    [Fact]
    public void Malformed_records_change_nothing()
    {
        var good = Alice.Transfer(Chain, 0, 1, Bob.Address, 1, 1);
        byte[][] bad =
        [
            good[..^1], [.. good, 0], [], [1],
            WithByte(good, 0, 2), WithByte(good, 1, 3), WithByte(good, 1, 2),
            WithByte(Alice.Swap(Chain, 0, 1, 5, true, 10, 0), 58, 2),
        ];
        foreach (var rec in bad)
        {
            var s = NewState();
            var before = s.StateRoot;
            var (st, after) = RunOn(s, rec);
            Assert.Equal(TxStatus.Malformed, st);
            Assert.Equal(before, after.StateRoot);
        }
    }

    private static byte[] WithByte(byte[] rec, int at, byte value) { var r = (byte[])rec.Clone(); r[at] = value; return r; }

    [Fact]
    public void Wrong_chain_is_refused_before_the_signature()
    {
        var rec = Alice.Transfer(Chain + 1, 0, 1, Bob.Address, 1, 1);
        rec[100] ^= 1; // a bad signature too: WRONG_CHAIN comes first
        Assert.Equal(TxStatus.WrongChain, Run(rec).status);
    }

    [Fact]
    public void Bad_signature_changes_nothing()
    {
        var rec = Alice.Transfer(Chain, 0, 1, Bob.Address, 1, 1);
        rec[^1] ^= 0x40;
        var (st, s) = Run(rec);
        Assert.Equal(TxStatus.BadSignature, st);
        Assert.Equal(0UL, s.TryGetAccount(Alice.Address)!.Nonce);
    }

    [Fact]
    public void A_body_signed_by_another_key_is_a_bad_signature()
    {
        var rec = Alice.Transfer(Chain, 0, 1, Bob.Address, 1, 1);
        Bob.Sign(rec);
        Assert.Equal(TxStatus.BadSignature, Run(rec).status);
    }

    [Fact]
    public void Bad_nonce_and_insufficient_fee_are_not_charged()
    {
        var (st, s) = Run(Alice.Transfer(Chain, 1, 1, Bob.Address, 1, 1));
        Assert.Equal(TxStatus.BadNonce, st);
        Assert.Equal(1000UL, s.TryGetAccount(Alice.Address)!.Balance(0));
        (st, s) = Run(Alice.Transfer(Chain, 0, 1001, Bob.Address, 1, 1));
        Assert.Equal(TxStatus.InsufficientFee, st);
        Assert.Equal(0UL, s.TryGetAccount(Alice.Address)!.Nonce);
        // An unknown sender has nonce 0 and no balance.
        Assert.Equal(TxStatus.InsufficientFee, Run(new Signer(77).Transfer(Chain, 0, 1, Bob.Address, 0, 0)).status);
    }

    [Fact]
    public void Insufficient_balance_keeps_fee_and_nonce()
    {
        var (st, s) = Run(Alice.Transfer(Chain, 0, 5, Bob.Address, 1, 501));
        Assert.Equal(TxStatus.InsufficientBalance, st);
        var a = s.TryGetAccount(Alice.Address)!;
        Assert.Equal((995UL, 1UL, 500UL), (a.Balance(0), a.Nonce, a.Balance(1)));
        Assert.Equal(5UL, s.TryGetAccount(Collector.Address)!.Balance(0));
    }

    [Fact]
    public void The_balance_check_comes_after_the_fee()
    {
        // 1000 token-0: fee 1 then amount 1000 of token 0 is one too many.
        Assert.Equal(TxStatus.InsufficientBalance, Run(Alice.Transfer(Chain, 0, 1, Bob.Address, 0, 1000)).status);
        Assert.Equal(TxStatus.Ok, Run(Alice.Transfer(Chain, 0, 1, Bob.Address, 0, 999)).status);
    }

    [Fact]
    public void Swap_ok_moves_reserves_exactly()
    {
        var (st, s) = Run(Alice.Swap(Chain, 0, 2, 5, true, 100, 1));
        Assert.Equal(TxStatus.Ok, st);
        ulong expected = (ulong)((UInt128)(100 * 9970) * 2_000_000 / ((UInt128)1_000_000 * 10000 + 100 * 9970));
        Assert.True(s.TryGetPool(5, out var p));
        Assert.Equal((1_000_100UL, 2_000_000UL - expected), (p.ReserveA, p.ReserveB));
        var a = s.TryGetAccount(Alice.Address)!;
        Assert.Equal((400UL, expected, 998UL), (a.Balance(1), a.Balance(2), a.Balance(0)));
    }

    [Fact]
    public void Swap_failures_in_rule_order()
    {
        Assert.Equal(TxStatus.UnknownPool, Run(Alice.Swap(Chain, 0, 1, 6, true, 1, 0)).status);
        Assert.Equal(TxStatus.InsufficientBalance, Run(Alice.Swap(Chain, 0, 1, 5, true, 501, 0)).status);
        Assert.Equal(TxStatus.ZeroOutput, Run(Alice.Swap(Chain, 0, 1, 5, true, 0, 0)).status);
        // Insufficient balance comes before zero output: b_to_a with no token 2.
        Assert.Equal(TxStatus.InsufficientBalance, Run(Alice.Swap(Chain, 0, 1, 5, false, 1, 0)).status);
        Assert.Equal(TxStatus.Slippage, Run(Alice.Swap(Chain, 0, 1, 5, true, 100, 1_000_000)).status);
        var (st, s) = Run(Alice.Swap(Chain, 0, 1, 5, true, 100, 1_000_000));
        Assert.Equal(TxStatus.Slippage, st);
        Assert.True(s.TryGetPool(5, out var p));
        Assert.Equal(1_000_000UL, p.ReserveA);
        Assert.Equal(1UL, s.TryGetAccount(Alice.Address)!.Nonce);
    }

    [Fact]
    public void Fee_collector_that_sends_sees_its_own_credits_in_order()
    {
        var s = NewState();
        // The collector starts with nothing; Alice's fee gives it 50, then it pays a fee of 10 (to itself)
        // and sends 30: 50 - 10 + 10 - 30.
        var (st, after) = RunOn(s, Alice.Transfer(Chain, 0, 50, Bob.Address, 1, 1), Collector.Transfer(Chain, 0, 10, Bob.Address, 0, 30));
        Assert.Equal(TxStatus.Ok, st);
        Assert.Equal(20UL, after.TryGetAccount(Collector.Address)!.Balance(0));
    }

    [Theory]
    [InlineData(1UL, 1UL, 1UL, (ushort)0)]
    [InlineData(ulong.MaxValue, ulong.MaxValue, ulong.MaxValue, (ushort)0)]
    [InlineData(ulong.MaxValue, 1UL, ulong.MaxValue, (ushort)9999)]
    [InlineData(12345678901234567UL, 98765432109876543UL, 18446744073709551557UL, (ushort)30)]
    public void Swap_math_is_exact_past_128_bits(ulong amountIn, ulong rin, ulong rout, ushort fee)
    {
        var w = new System.Numerics.BigInteger(amountIn) * (10000 - fee);
        var expected = (ulong)(w * rout / (new System.Numerics.BigInteger(rin) * 10000 + w));
        Assert.Equal(expected, SwapMath.AmountOut(amountIn, rin, rout, fee));
    }

    [Fact]
    public void Swap_math_matches_big_integers_on_random_inputs()
    {
        Gen.Select(Gen.ULong, Gen.ULong[1, ulong.MaxValue], Gen.ULong, Gen.UShort[0, 9999])
            .Sample((a, rin, rout, fee) =>
            {
                var w = new System.Numerics.BigInteger(a) * (10000 - fee);
                var den = new System.Numerics.BigInteger(rin) * 10000 + w;
                var expected = (ulong)(w * rout / den);
                return SwapMath.AmountOut(a, rin, rout, fee) == expected;
            }, iter: 20000);
    }

    [Fact]
    public void Block_refusals_name_the_reason_and_change_nothing()
    {
        var s = NewState();
        var root = s.StateRoot;
        var rec = Alice.Transfer(Chain, 0, 1, Bob.Address, 1, 1);
        void Refused(byte[] block, string reason)
        {
            var e = Assert.Throws<BlockRejectedException>(() => SequentialExecutor.Execute(s, BlockCodec.Decode(block)));
            Assert.Contains(reason, e.Message);
            Assert.Equal(root, s.StateRoot);
            Assert.Equal(0UL, s.Height);
        }
        Refused(BlockCodec.Encode(Chain + 1, 1, Collector.Address, root, [rec]), "chain_id");
        Refused(BlockCodec.Encode(Chain, 2, Collector.Address, root, [rec]), "height");
        Refused(BlockCodec.Encode(Chain, 0, Collector.Address, root, [rec]), "height");
        Refused(BlockCodec.Encode(Chain, 1, Collector.Address, default, [rec]), "parent_state_root");
        var badRoot = BlockCodec.Encode(Chain, 1, Collector.Address, root, [rec]);
        badRoot[80] ^= 1;
        Refused(badRoot, "tx_root");
        // Changing a transaction byte without fixing tx_root is also a tx_root refusal.
        var tampered = BlockCodec.Encode(Chain, 1, Collector.Address, root, [rec]);
        tampered[^1] ^= 1;
        Refused(tampered, "tx_root");
    }

    [Fact]
    public void Block_format_errors_name_the_fault()
    {
        var ok = Signer.NextBlock(NewState(), Collector.Address, Alice.Transfer(Chain, 0, 1, Bob.Address, 1, 1));
        Assert.Contains("magic", Assert.Throws<BlockFormatException>(() => BlockCodec.Decode(WithByte(ok, 0, (byte)'X'))).Message);
        Assert.Contains("truncated", Assert.Throws<BlockFormatException>(() => BlockCodec.Decode(ok[..^1])).Message);
        Assert.Contains("truncated", Assert.Throws<BlockFormatException>(() => BlockCodec.Decode(ok[..50])).Message);
        Assert.Contains("trailing", Assert.Throws<BlockFormatException>(() => BlockCodec.Decode([.. ok, 0])).Message);
        var count = (byte[])ok.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(count.AsSpan(112), 2);
        Assert.Contains("truncated", Assert.Throws<BlockFormatException>(() => BlockCodec.Decode(count)).Message);
        BinaryPrimitives.WriteUInt32LittleEndian(count.AsSpan(112), 0);
        Assert.Contains("trailing", Assert.Throws<BlockFormatException>(() => BlockCodec.Decode(count)).Message);
    }

    [Fact]
    public void An_empty_block_only_advances_the_height()
    {
        var s = NewState();
        var root = s.StateRoot;
        var r = SequentialExecutor.Execute(s, BlockCodec.Decode(Signer.NextBlock(s, Collector.Address)));
        Assert.Equal(0, r.Count);
        Assert.Equal(root, r.StateRoot);
        Assert.Equal(1UL, s.Height);
    }
}
