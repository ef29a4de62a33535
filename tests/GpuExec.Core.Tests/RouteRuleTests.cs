using System.Numerics;
using CsCheck;
using GpuExec.Execution;
using GpuExec.Generation;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Core.Tests;

/// <summary>
/// SPEC section 4's route rule (kind 3) on the sequential reference: every status in its order,
/// hops computed in order on the reserves earlier hops left, repeated pools, cycles, the fee token
/// on either end, atomicity (a failing route leaves nothing but its fee and nonce), and the
/// encoding's well-formedness. Expected values come from a big-integer model of the SPEC's
/// formula written here, not from the engine's own arithmetic.
/// </summary>
public class RouteRuleTests
{
    private const uint Chain = 9;
    private static readonly Signer Alice = new(11), Collector = new(13);

    // Tokens 0..3; pools chain 1 -> 2 -> 3 -> 1 and 0 <-> 1, with different reserves and fees.
    private static readonly Pool[] Pools =
    [
        new() { Id = 10, TokenA = 1, TokenB = 2, ReserveA = 1_000_000, ReserveB = 2_000_000, FeeBps = 30 },
        new() { Id = 11, TokenA = 2, TokenB = 3, ReserveA = 3_000_000, ReserveB = 1_500_000, FeeBps = 5 },
        new() { Id = 12, TokenA = 3, TokenB = 1, ReserveA = 700_000, ReserveB = 900_000, FeeBps = 0 },
        new() { Id = 13, TokenA = 0, TokenB = 1, ReserveA = 5_000_000, ReserveB = 5_000_000, FeeBps = 9000 },
        new() { Id = 14, TokenA = 1, TokenB = 3, ReserveA = 1, ReserveB = 1, FeeBps = 0 },
    ];

    private static WorldState NewState()
    {
        var s = new WorldState(Chain);
        var a = s.GenesisAccount(Alice.Address);
        a.SetBalance(0, 10_000); a.SetBalance(1, 50_000); a.SetBalance(2, 7);
        foreach (var p in Pools) s.SetPool(p);
        return s;
    }

    private static (TxStatus Status, WorldState Before, WorldState After) Run(byte[] record)
    {
        var before = NewState();
        var after = before.Clone();
        var block = BlockCodec.Decode(Signer.NextBlock(after, Collector.Address, record));
        var r = SequentialExecutor.Execute(after, block);
        EffectsAssert.Model(before, block, r);
        return (r.Statuses[0], before, after);
    }

    private static byte[] Route(ulong fee, uint[] pools, bool[] aToB, ulong amountIn, ulong minOut) =>
        Alice.Route(Chain, 0, fee, pools, aToB, amountIn, minOut);

    /// <summary>The SPEC's swap formula in big integers.</summary>
    private static ulong Out(ulong amountIn, ulong rin, ulong rout, ushort fee)
    {
        var w = new BigInteger(amountIn) * (10000 - fee);
        return (ulong)(w * rout / (new BigInteger(rin) * 10000 + w));
    }

    /// <summary>The route on a dictionary of pools: per hop its output, and the pools as the hops leave them.</summary>
    private static (List<ulong> Outs, Dictionary<uint, Pool> Pools) Model(uint[] ids, bool[] aToB, ulong amountIn)
    {
        var pools = Pools.ToDictionary(p => p.Id);
        var outs = new List<ulong>();
        ulong amount = amountIn;
        for (int h = 0; h < ids.Length; h++)
        {
            var p = pools[ids[h]];
            ulong rin = aToB[h] ? p.ReserveA : p.ReserveB, rout = aToB[h] ? p.ReserveB : p.ReserveA;
            ulong o = Out(amount, rin, rout, p.FeeBps);
            outs.Add(o);
            if (aToB[h]) { p.ReserveA = rin + amount; p.ReserveB = rout - o; }
            else { p.ReserveB = rin + amount; p.ReserveA = rout - o; }
            pools[ids[h]] = p;
            amount = o;
        }
        return (outs, pools);
    }

    /// <summary>Only the charge happened: nonce + 1, fee moved to the collector, every other balance and every pool as before.</summary>
    private static void OnlyCharged(WorldState before, WorldState after, ulong fee)
    {
        var a0 = before.TryGetAccount(Alice.Address)!;
        var a1 = after.TryGetAccount(Alice.Address)!;
        Assert.Equal(a0.Nonce + 1, a1.Nonce);
        Assert.Equal(a0.Balance(0) - fee, a1.Balance(0));
        for (uint t = 1; t <= 3; t++) Assert.Equal(a0.Balance(t), a1.Balance(t));
        Assert.Equal(fee, after.TryGetAccount(Collector.Address)?.Balance(0) ?? 0);
        foreach (var p in Pools)
        {
            Assert.True(after.TryGetPool(p.Id, out var q));
            Assert.Equal((p.ReserveA, p.ReserveB), (q.ReserveA, q.ReserveB));
        }
    }

    private static void AssertApplied(uint[] ids, bool[] aToB, ulong amountIn, uint tin, uint tout, ulong fee = 3)
    {
        var (outs, pools) = Model(ids, aToB, amountIn);
        Assert.All(outs, o => Assert.NotEqual(0UL, o));
        var (st, before, after) = Run(Route(fee, ids, aToB, amountIn, outs[^1]));
        Assert.Equal(TxStatus.Ok, st);
        foreach (var p in Pools)
        {
            Assert.True(after.TryGetPool(p.Id, out var q));
            Assert.Equal((pools[p.Id].ReserveA, pools[p.Id].ReserveB), (q.ReserveA, q.ReserveB));
        }
        var a0 = before.TryGetAccount(Alice.Address)!;
        var a1 = after.TryGetAccount(Alice.Address)!;
        for (uint t = 0; t <= 3; t++)
        {
            ulong expected = a0.Balance(t) - (t == 0 ? fee : 0) - (t == tin ? amountIn : 0) + (t == tout ? outs[^1] : 0);
            Assert.Equal(expected, a1.Balance(t));
        }
        Assert.Equal(1UL, a1.Nonce);
    }

    [Fact]
    public void One_hop_route_is_the_swap()
    {
        var swapState = NewState();
        SequentialExecutor.Execute(swapState, BlockCodec.Decode(Signer.NextBlock(swapState, Collector.Address, Alice.Swap(Chain, 0, 3, 10, true, 1234, 1))));
        var (st, _, after) = Run(Route(3, [10], [true], 1234, 1));
        Assert.Equal(TxStatus.Ok, st);
        Assert.Equal(swapState.StateRoot, after.StateRoot);
        AssertApplied([10], [true], 1234, 1, 2);
        AssertApplied([10], [false], 5, 2, 1);
    }

    [Fact]
    public void Four_hops_run_in_order_and_only_the_ends_touch_the_sender()
    {
        // 1 -> 2 -> 3 -> 1 -> 0: the intermediate tokens 2 and 3 never reach Alice's balances.
        AssertApplied([10, 11, 12, 13], [true, true, true, false], 20_000, 1, 0);
    }

    [Fact]
    public void A_pool_twice_sees_the_reserves_its_first_hop_left()
    {
        // 1 -> 2 through pool 10, 2 -> 3, 3 -> 2, 2 -> 1 through pool 10 again: pools 10 and 11 twice each.
        uint[] ids = [10, 11, 11, 10];
        bool[] dir = [true, true, false, false];
        AssertApplied(ids, dir, 40_000, 1, 1);
        // The second visit's output differs from one on the pre-state's reserves.
        var (outs, _) = Model(ids, dir, 40_000);
        var fresh = Pools[0];
        Assert.NotEqual(Out(outs[2], fresh.ReserveB, fresh.ReserveA, fresh.FeeBps), outs[3]);
    }

    [Fact]
    public void Cycles_are_allowed_and_net_out_on_one_balance()
    {
        AssertApplied([10, 11, 12], [true, true, true], 30_000, 1, 1);   // a triangle back to token 1
        AssertApplied([13, 13], [true, false], 9_000, 0, 0);                // the fee token, there and back
        AssertApplied([10, 10], [true, false], 1_000, 1, 1);                // there and back through one pool
    }

    [Fact]
    public void The_fee_token_in_is_checked_after_the_fee()
    {
        // Alice holds 10,000 of token 0; a fee of 100 leaves 9,900 for amount_in.
        var (st, before, after) = Run(Route(100, [13], [true], 9_901, 0));
        Assert.Equal(TxStatus.InsufficientBalance, st);
        OnlyCharged(before, after, 100);
        AssertApplied([13, 10], [true, true], 9_900, 0, 2, fee: 100);
    }

    [Fact]
    public void Unknown_pool_comes_first_whatever_the_hop()
    {
        foreach (var (ids, dir) in new (uint[], bool[])[]
        {
            ([99], [true]),
            ([10, 11, 12, 99], [true, true, true, true]),
            ([10, 99, 11], [true, true, true]),
            // broken chain before the unknown pool, and an amount Alice does not hold: still UNKNOWN_POOL
            ([10, 12, 99], [true, true, false]),
        })
        {
            var (st, before, after) = Run(Route(4, ids, dir, 1_000_000_000, 0));
            Assert.Equal(TxStatus.UnknownPool, st);
            OnlyCharged(before, after, 4);
        }
    }

    [Fact]
    public void Bad_route_when_a_hop_does_not_take_the_previous_output()
    {
        foreach (var (ids, dir) in new (uint[], bool[])[]
        {
            ([10, 12], [true, true]),                    // 1 -> 2, then 3 -> 1
            ([10, 10], [true, true]),                    // 1 -> 2, then 1 -> 2 again
            ([10, 11, 12, 11], [true, true, true, true]), // the fourth hop breaks
            ([13, 11], [true, false]),                   // 0 -> 1, then 3 -> 2
        })
        {
            // A huge amount and min_out: BAD_ROUTE comes before INSUFFICIENT_BALANCE and SLIPPAGE.
            var (st, before, after) = Run(Route(2, ids, dir, ulong.MaxValue, ulong.MaxValue));
            Assert.Equal(TxStatus.BadRoute, st);
            OnlyCharged(before, after, 2);
        }
    }

    [Fact]
    public void Insufficient_balance_comes_before_the_hops()
    {
        // Alice holds 7 of token 2: 8 is one too many.
        var (st, before, after) = Run(Route(1, [11], [true], 8, 0));
        Assert.Equal(TxStatus.InsufficientBalance, st);
        OnlyCharged(before, after, 1);
        (st, before, after) = Run(Route(1, [10, 11], [true, true], 50_001, 0));
        Assert.Equal(TxStatus.InsufficientBalance, st);
        OnlyCharged(before, after, 1);
    }

    [Fact]
    public void A_zero_output_at_any_hop_undoes_the_earlier_hops()
    {
        // Pool 14 (1 and 3, reserves 1) pays nothing for small inputs: at the end, in the middle, first.
        foreach (var (ids, dir, amount) in new (uint[], bool[], ulong)[]
        {
            ([10, 11, 14], [true, true, false], 1_000UL),
            ([10, 11, 14, 10], [true, true, false, true], 1_000UL),
            ([14, 11], [true, false], 1UL),
            ([10], [true], 0UL),
        })
        {
            var (outs, _) = Model(ids, dir, amount);
            Assert.Contains(0UL, outs);
            var (st, before, after) = Run(Route(6, ids, dir, amount, 0));
            Assert.Equal(TxStatus.ZeroOutput, st);
            OnlyCharged(before, after, 6);
        }
    }

    [Fact]
    public void Slippage_is_measured_on_the_last_output()
    {
        uint[] ids = [10, 11, 12];
        bool[] dir = [true, true, true];
        var (outs, _) = Model(ids, dir, 10_000);
        var (st, before, after) = Run(Route(5, ids, dir, 10_000, outs[^1] + 1));
        Assert.Equal(TxStatus.Slippage, st);
        OnlyCharged(before, after, 5);
        // min_out equal to the last output is fine.
        Assert.Equal(TxStatus.Ok, Run(Route(5, ids, dir, 10_000, outs[^1])).Status);
    }

    [Fact]
    public void Failed_routes_are_charged_like_any_failing_payload()
    {
        Assert.True(TxStatus.BadRoute.IsCharged());
        Assert.Equal("BAD_ROUTE", TxStatus.BadRoute.Name());
        Assert.True(TxStatusNames.TryParse("BAD_ROUTE", out var s) && s == TxStatus.BadRoute);
        // Stored receipts keep their numbers: the new status comes after every v1 status.
        Assert.Equal(10, (int)TxStatus.BadRoute);
        Assert.Equal(TxStatusNames.Last, Enum.GetValues<TxStatus>().Max());
    }

    [Fact]
    public void Route_accessors_read_the_spec_offsets()
    {
        var rec = Route(77, [0xA1B2C3D4, 5, 6], [true, false, true], 0x1122334455667788, 0x99AABBCCDDEEFF00);
        Assert.Equal(135 + 15, rec.Length);
        var tx = new TransactionView(rec);
        Assert.True(tx.IsWellFormed);
        Assert.Equal(TxKind.Route, tx.Kind);
        Assert.Equal(3, tx.Hops);
        Assert.Equal(0xA1B2C3D4u, tx.HopPool(0));
        Assert.Equal((true, false, true), (tx.HopAToB(0), tx.HopAToB(1), tx.HopAToB(2)));
        Assert.Equal(6u, tx.HopPool(2));
        Assert.Equal(0x1122334455667788UL, tx.AmountIn);
        Assert.Equal(0x99AABBCCDDEEFF00UL, tx.MinOut);
        Assert.Equal(77UL, tx.Fee);
        Assert.Equal(rec.Length - 64, tx.Body.Length);
        Assert.Equal(TransactionView.RouteBodySize(3), tx.Body.Length);
        // The SPEC's byte layout: hops at 54, hop i at 55 + 5i, the amounts after the last hop.
        Assert.Equal(3, rec[54]);
        Assert.Equal(1, rec[59]);
        Assert.Equal(0, rec[64]);
        Assert.Equal(0x88, rec[70]);
        Assert.Throws<ArgumentOutOfRangeException>(() => TransactionView.BodyLength(TxKind.Route));
    }

    /// <summary>Well-formed exactly when SPEC section 2 says: hops 1..4, length 135 + 5 hops, every a_to_b 0 or 1.</summary>
    [Fact]
    public void Route_well_formedness_over_lengths_hops_and_directions()
    {
        Gen.Select(Gen.Int[0, 7], Gen.Int[-6, 6], Gen.Byte[0, 3].Array[7], Gen.Byte)
            .Sample((hops, lengthDelta, directions, hopsByte) =>
            {
                int written = Math.Min(hops, 6);
                var rec = new byte[Math.Max(2, TransactionView.RouteSize(written) + lengthDelta)];
                rec[0] = 1;
                rec[1] = 3;
                if (rec.Length > 54) rec[54] = hopsByte < 16 ? hopsByte : (byte)written;
                for (int i = 0; i < written; i++)
                    if (59 + 5 * i < rec.Length) rec[59 + 5 * i] = directions[i];
                int n = rec.Length > 54 ? rec[54] : -1;
                bool expected = n is >= 1 and <= 4 && rec.Length == 135 + 5 * n;
                for (int i = 0; expected && i < n; i++) expected = rec[59 + 5 * i] <= 1;
                var tx = new TransactionView(rec);
                Assert.Equal(expected, tx.IsWellFormed);
                Assert.Equal(expected ? TxStatus.Ok : TxStatus.Malformed, TxRules.Precheck(rec, 0));
            }, iter: 20000);
    }

    [Fact]
    public void Malformed_routes_change_nothing_in_a_block()
    {
        var good = Route(1, [10, 11], [true, true], 100, 0);
        byte[][] bad =
        [
            good[..^1], [.. good, 0],
            Set(good, 54, 0), Set(good, 54, 1), Set(good, 54, 3), Set(good, 54, 5), Set(good, 54, 255),
            Set(good, 59, 2), Set(good, 64, 7),
            Alice.Route(Chain, 0, 1, [], [], 1, 0),
            Alice.Route(Chain, 0, 1, [10, 11, 12, 10, 11], [true, true, true, true, true], 1, 0),
        ];
        foreach (var rec in bad)
        {
            var (st, before, after) = Run(rec);
            Assert.Equal(TxStatus.Malformed, st);
            Assert.Equal(before.StateRoot, after.StateRoot);
        }
    }

    private static byte[] Set(byte[] rec, int at, byte value) { var r = (byte[])rec.Clone(); r[at] = value; return r; }

    [Fact]
    public void Route_encoder_refuses_mismatched_arguments()
    {
        var body = new byte[TransactionView.RouteBodySize(2)];
        Assert.Throws<ArgumentException>(() => TransactionEncoder.WriteRouteBody(body, 1, Alice.Address, 0, 0, [1, 2], [true], 0, 0));
        Assert.Throws<ArgumentException>(() => TransactionEncoder.WriteRouteBody(body.AsSpan(1), 1, Alice.Address, 0, 0, [1, 2], [true, true], 0, 0));
    }
}
