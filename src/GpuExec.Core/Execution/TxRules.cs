using System.Runtime.CompilerServices;
using GpuExec.Model;

namespace GpuExec.Execution;

/// <summary>
/// What the rules of SPEC section 4 read and write, seen from one transaction. Executors supply
/// it as a struct (the sequential one over <see cref="State.WorldState"/>, the parallel one over
/// the block's loaded slots), so the rules below are written once and inlined into each.
/// Credits (<see cref="CreditCollector"/>, <see cref="CreditRecipient"/>, <see cref="CreditSender"/>)
/// are commutative adds; everything else is a read-modify-write of the sender or the pools.
/// <see cref="TryGetPoolTokens"/> reads only what never changes (a pool's existence and tokens:
/// blocks create no pool), so it needs no ordering against other transactions.
/// </summary>
internal interface ITxState
{
    ulong SenderNonce { get; set; }
    ulong SenderBalance(uint token);
    void SetSenderBalance(uint token, ulong amount);
    void CreditCollector(ulong fee);
    void CreditRecipient(Address to, uint token, ulong amount);
    void CreditSender(uint token, ulong amount);
    bool TryGetPool(uint id, out Pool pool);
    bool TryGetPoolTokens(uint id, out uint tokenA, out uint tokenB);
    void SetPoolReserves(uint id, ulong reserveA, ulong reserveB);
}

/// <summary>The rules of SPEC section 4, in order; the single definition every executor runs.</summary>
internal static class TxRules
{
    /// <summary>
    /// Rules 1-2: the stateless part that needs no signature check.
    /// Returns <see cref="TxStatus.Ok"/> when the transaction still has to be verified and applied.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TxStatus Precheck(ReadOnlySpan<byte> record, uint chainId)
    {
        var tx = new TransactionView(record);
        if (!tx.IsWellFormed) return TxStatus.Malformed;
        if (tx.ChainId != chainId) return TxStatus.WrongChain;
        return TxStatus.Ok;
    }

    /// <summary>Rules 4-7 for a well-formed, right-chain, correctly signed transaction.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TxStatus Apply<TState>(ref TState s, ReadOnlySpan<byte> record) where TState : struct, ITxState
    {
        TxEffect ignored = default;
        return Apply(ref s, record, ref ignored);
    }

    /// <summary>
    /// Rules 4-7 for a well-formed, right-chain, correctly signed transaction, recording what it moved
    /// in <paramref name="effect"/> (written whatever the status: <c>default</c> when nothing was charged).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TxStatus Apply<TState>(ref TState s, ReadOnlySpan<byte> record, ref TxEffect effect) where TState : struct, ITxState
    {
        effect = default;
        var tx = new TransactionView(record);
        ulong nonce = s.SenderNonce;
        // No nonce wraps: at 2^64-1 the account can send nothing more, or its old transactions would replay.
        if (tx.Nonce != nonce || nonce == ulong.MaxValue) return TxStatus.BadNonce;
        ulong fee = tx.Fee;
        ulong fee0 = s.SenderBalance(0);
        if (fee0 < fee) return TxStatus.InsufficientFee;

        // 6. Charged: fee and nonce stay whatever the payload does.
        s.SetSenderBalance(0, fee0 - fee);
        s.CreditCollector(fee);
        s.SenderNonce = nonce + 1;
        effect = new TxEffect { Fee = fee };

        if (tx.Kind == TxKind.Transfer)
        {
            uint token = tx.Token;
            ulong amount = tx.Amount;
            ulong have = s.SenderBalance(token);
            if (have < amount) return TxStatus.InsufficientBalance;
            s.SetSenderBalance(token, have - amount);
            s.CreditRecipient(tx.To, token, amount);
            effect = new TxEffect { Fee = fee, DebitToken = token, DebitAmount = amount, CreditToken = token, CreditAmount = amount };
            return TxStatus.Ok;
        }
        if (tx.Kind == TxKind.Route) return ApplyRoute(ref s, tx, ref effect);

        uint poolId = tx.PoolId;
        if (!s.TryGetPool(poolId, out var pool)) return TxStatus.UnknownPool;
        bool aToB = tx.AToB;
        uint tin = aToB ? pool.TokenA : pool.TokenB;
        uint tout = aToB ? pool.TokenB : pool.TokenA;
        ulong rin = aToB ? pool.ReserveA : pool.ReserveB;
        ulong rout = aToB ? pool.ReserveB : pool.ReserveA;
        ulong amountIn = tx.AmountIn;
        ulong amountOut = SwapMath.AmountOut(amountIn, rin, rout, pool.FeeBps);
        ulong balIn = s.SenderBalance(tin);
        if (balIn < amountIn) return TxStatus.InsufficientBalance;
        if (amountOut == 0) return TxStatus.ZeroOutput;
        if (amountOut < tx.MinOut) return TxStatus.Slippage;
        s.SetSenderBalance(tin, balIn - amountIn);
        // rin + amount_in cannot overflow: both count towards tin's supply, which fits in u64.
        rin += amountIn;
        rout -= amountOut;
        if (aToB) s.SetPoolReserves(poolId, rin, rout);
        else s.SetPoolReserves(poolId, rout, rin);
        s.CreditSender(tout, amountOut);
        effect = new TxEffect { Fee = fee, DebitToken = tin, DebitAmount = amountIn, CreditToken = tout, CreditAmount = amountOut, AmountOut = amountOut };
        return TxStatus.Ok;
    }

    /// <summary>
    /// Rule 6 for a route, after the charge: the hops' pools must exist (UNKNOWN_POOL) and chain
    /// (BAD_ROUTE), the sender must hold <c>amount_in</c> of the first input token
    /// (INSUFFICIENT_BALANCE); then the hops run in order on copies of the pools, each on the
    /// reserves the earlier hops left (a pool may come twice), and any zero output (ZERO_OUTPUT) or
    /// a last output below <c>min_out</c> (SLIPPAGE) fails the route with nothing applied. Only a
    /// route that passes every check writes: the debit, each pool's final reserves, the credit.
    /// </summary>
    private static TxStatus ApplyRoute<TState>(ref TState s, TransactionView tx, ref TxEffect effect) where TState : struct, ITxState
    {
        int hops = tx.Hops;
        HopTokens tin = default, tout = default;
        for (int h = 0; h < hops; h++)
        {
            if (!s.TryGetPoolTokens(tx.HopPool(h), out uint a, out uint b)) return TxStatus.UnknownPool;
            bool aToB = tx.HopAToB(h);
            tin[h] = aToB ? a : b;
            tout[h] = aToB ? b : a;
        }
        for (int h = 1; h < hops; h++)
            if (tin[h] != tout[h - 1]) return TxStatus.BadRoute;
        ulong amountIn = tx.AmountIn;
        ulong balIn = s.SenderBalance(tin[0]);
        if (balIn < amountIn) return TxStatus.InsufficientBalance;

        RoutePools pools = default;
        int distinct = 0;
        ulong amount = amountIn;
        for (int h = 0; h < hops; h++)
        {
            uint id = tx.HopPool(h);
            int j = 0;
            while (j < distinct && pools[j].Id != id) j++;
            if (j == distinct)
            {
                if (!s.TryGetPool(id, out var loaded)) throw new InvalidOperationException($"pool {id} has tokens but no reserves");
                pools[j] = loaded;
                distinct++;
            }
            ref var p = ref pools[j];
            bool aToB = tx.HopAToB(h);
            ulong rin = aToB ? p.ReserveA : p.ReserveB;
            ulong rout = aToB ? p.ReserveB : p.ReserveA;
            ulong amountOut = SwapMath.AmountOut(amount, rin, rout, p.FeeBps);
            if (amountOut == 0) return TxStatus.ZeroOutput;
            // The input comes from the sender (first hop) or from another reserve of the same token,
            // so the supply invariant keeps this sum in u64; checked all the same, never wrapped.
            rin = checked(rin + amount);
            rout -= amountOut; // amount_out < rout: the formula's denominator exceeds w
            if (aToB) { p.ReserveA = rin; p.ReserveB = rout; }
            else { p.ReserveA = rout; p.ReserveB = rin; }
            amount = amountOut;
        }
        if (amount < tx.MinOut) return TxStatus.Slippage;

        s.SetSenderBalance(tin[0], balIn - amountIn);
        for (int j = 0; j < distinct; j++) s.SetPoolReserves(pools[j].Id, pools[j].ReserveA, pools[j].ReserveB);
        s.CreditSender(tout[hops - 1], amount);
        effect = effect with { DebitToken = tin[0], DebitAmount = amountIn, CreditToken = tout[hops - 1], CreditAmount = amount, AmountOut = amount };
        return TxStatus.Ok;
    }

    /// <summary>One token per hop of a route, on the stack.</summary>
    [InlineArray(TransactionView.MaxHops)]
    private struct HopTokens
    {
        private uint _token;
    }

    /// <summary>The distinct pools of a route, as its hops leave them, on the stack.</summary>
    [InlineArray(TransactionView.MaxHops)]
    private struct RoutePools
    {
        private Pool _pool;
    }
}
