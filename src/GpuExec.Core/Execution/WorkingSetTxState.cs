using System.Runtime.CompilerServices;
using GpuExec.Model;
using GpuExec.State;

namespace GpuExec.Execution;

/// <summary><see cref="ITxState"/> over a block's <see cref="WorkingSet"/>: the sender's copy, the collector's copy, and the pools.</summary>
internal struct WorkingSetTxState(WorkingSet set, Account collector) : ITxState
{
    public readonly WorkingSet Set = set;
    public Account Sender = null!;
    private readonly Account _collector = collector;

    public ulong SenderNonce
    {
        readonly get => Sender.Nonce;
        set => Sender.Nonce = value;
    }

    public readonly ulong SenderBalance(uint token) => Sender.Balance(token);
    public readonly void SetSenderBalance(uint token, ulong amount) => Sender.SetBalance(token, amount);
    public readonly void CreditCollector(ulong fee) => _collector.Credit(0, fee);
    public readonly void CreditSender(uint token, ulong amount) => Sender.Credit(token, amount);

    public readonly void CreditRecipient(Address to, uint token, ulong amount) => Set.Account(to).Credit(token, amount);

    public readonly bool TryGetPool(uint id, out Pool pool)
    {
        ref var p = ref Set.Pool(id);
        if (Unsafe.IsNullRef(ref p)) { pool = default; return false; }
        pool = p;
        return true;
    }

    public readonly bool TryGetPoolTokens(uint id, out uint tokenA, out uint tokenB)
    {
        ref var p = ref Set.Pool(id);
        if (Unsafe.IsNullRef(ref p)) { tokenA = tokenB = 0; return false; }
        tokenA = p.TokenA;
        tokenB = p.TokenB;
        return true;
    }

    public readonly void SetPoolReserves(uint id, ulong reserveA, ulong reserveB)
    {
        ref var p = ref Set.Pool(id);
        p.ReserveA = reserveA;
        p.ReserveB = reserveB;
    }
}
