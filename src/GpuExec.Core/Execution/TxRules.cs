using System.Runtime.CompilerServices;
using GpuExec.Model;

namespace GpuExec.Execution;

/// <summary>
/// What the rules of SPEC section 4 read and write, seen from one transaction. Executors supply
/// it as a struct (the sequential one over <see cref="State.WorldState"/>, the parallel one over
/// the block's loaded slots), so the rules below are written once and inlined into each.
/// Credits (<see cref="CreditCollector"/>, <see cref="CreditRecipient"/>, <see cref="CreditSender"/>)
/// are commutative adds; everything else is a read-modify-write of the sender or the pool.
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

        if (tx.Kind == TxKind.Transfer)
        {
            uint token = tx.Token;
            ulong amount = tx.Amount;
            ulong have = s.SenderBalance(token);
            if (have < amount) return TxStatus.InsufficientBalance;
            s.SetSenderBalance(token, have - amount);
            s.CreditRecipient(tx.To, token, amount);
            return TxStatus.Ok;
        }

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
        return TxStatus.Ok;
    }
}
