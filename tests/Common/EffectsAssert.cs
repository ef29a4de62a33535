using System.Numerics;
using GpuExec.Execution;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Testing;

/// <summary>
/// Checks a block's per-transaction effects against a naive model written from SPEC section 4 with
/// big integers and only public types: given each transaction's status, what it must have charged,
/// debited and credited, with pool reserves followed through the block in order. Then the effects,
/// summed per account and token, must be exactly the balance differences between the states before
/// and after the block.
/// </summary>
internal static class EffectsAssert
{
    public static void Model(WorldState pre, Block block, BlockResult result)
    {
        var effects = result.Effects;
        Assert.NotNull(effects);
        Assert.Equal(block.Count, effects.Length);
        var pools = pre.Pools.ToDictionary(p => p.Id);
        var net = new Dictionary<(Address, uint), BigInteger>();
        void Add(Address a, uint token, BigInteger amount) => net[(a, token)] = net.GetValueOrDefault((a, token)) + amount;

        for (int i = 0; i < block.Count; i++)
        {
            var status = result.Statuses[i];
            var expected = default(TxEffect);
            var tx = new TransactionView(block.Record(i));
            if (status is not (TxStatus.Malformed or TxStatus.WrongChain or TxStatus.BadSignature or TxStatus.BadNonce or TxStatus.InsufficientFee))
            {
                expected = new TxEffect { Fee = tx.Fee };
                Add(tx.Sender, 0, -(BigInteger)tx.Fee);
                Add(block.Header.FeeCollector, 0, tx.Fee);
            }
            if (status == TxStatus.Ok)
            {
                switch (tx.Kind)
                {
                    case TxKind.Transfer:
                        expected = expected with { DebitToken = tx.Token, DebitAmount = tx.Amount, CreditToken = tx.Token, CreditAmount = tx.Amount };
                        Add(tx.Sender, tx.Token, -(BigInteger)tx.Amount);
                        Add(tx.To, tx.Token, tx.Amount);
                        break;
                    case TxKind.Swap:
                    {
                        var (tin, tout, amount) = Hop(pools, tx.PoolId, tx.AToB, tx.AmountIn);
                        expected = expected with { DebitToken = tin, DebitAmount = tx.AmountIn, CreditToken = tout, CreditAmount = amount, AmountOut = amount };
                        Add(tx.Sender, tin, -(BigInteger)tx.AmountIn);
                        Add(tx.Sender, tout, amount);
                        break;
                    }
                    case TxKind.Route:
                    {
                        ulong amount = tx.AmountIn;
                        uint first = 0, last = 0;
                        for (int h = 0; h < tx.Hops; h++)
                        {
                            var (tin, tout, o) = Hop(pools, tx.HopPool(h), tx.HopAToB(h), amount);
                            if (h == 0) first = tin;
                            last = tout;
                            amount = o;
                        }
                        expected = expected with { DebitToken = first, DebitAmount = tx.AmountIn, CreditToken = last, CreditAmount = amount, AmountOut = amount };
                        Add(tx.Sender, first, -(BigInteger)tx.AmountIn);
                        Add(tx.Sender, last, amount);
                        break;
                    }
                }
            }
            Assert.True(expected == effects[i], $"transaction {i} ({status}): expected {expected}, got {effects[i]}");
        }

        // The reserves the model followed are the pools after the block.
        var post = result.Changes!.Pools.ToDictionary(c => c.Id, c => c.After);
        foreach (var (id, p) in pools)
            Assert.Equal(post.TryGetValue(id, out var after) ? after : pre.TryGetPool(id, out var before) ? before : default, p);

        // Balances: before + effects = after, for every account and token the effects name or the block changed.
        var changed = result.Changes.Accounts.ToDictionary(c => c.Address);
        foreach (var c in changed.Values)
        {
            foreach (uint token in Tokens(c.Before).Union(Tokens(c.After)))
                net.TryAdd((c.Address, token), 0);
        }
        foreach (var ((address, token), delta) in net)
        {
            bool isChanged = changed.TryGetValue(address, out var c);
            BigInteger was = (isChanged ? c.Before : pre.TryGetAccount(address))?.Balance(token) ?? 0;
            BigInteger now = isChanged ? c.After?.Balance(token) ?? 0 : was;
            Assert.True(was + delta == now, $"{address} token {token}: {was} + {delta} != {now}");
        }
    }

    private static IEnumerable<uint> Tokens(Account? a) =>
        a is null ? [] : Enumerable.Range(0, a.EntryCount).Select(a.TokenAt);

    /// <summary>One swap through pool <paramref name="id"/> on the reserves followed so far: SPEC section 4's formula in big integers.</summary>
    private static (uint In, uint Out, ulong AmountOut) Hop(Dictionary<uint, Pool> pools, uint id, bool aToB, ulong amountIn)
    {
        var p = pools[id];
        BigInteger rin = aToB ? p.ReserveA : p.ReserveB, rout = aToB ? p.ReserveB : p.ReserveA;
        BigInteger w = (BigInteger)amountIn * (10000 - p.FeeBps);
        var o = (ulong)(w * rout / (rin * 10000 + w));
        if (aToB) { p.ReserveA += amountIn; p.ReserveB -= o; }
        else { p.ReserveB += amountIn; p.ReserveA -= o; }
        pools[id] = p;
        return (aToB ? p.TokenA : p.TokenB, aToB ? p.TokenB : p.TokenA, o);
    }
}
