using GpuExec.Model;
using GpuExec.State;

namespace GpuExec.Execution;

/// <summary><see cref="ITxState"/> over a <see cref="WorldState"/>: the sender's account object and the collector's.</summary>
internal struct WorldStateTxState(WorldState state, Account collector) : ITxState
{
    public readonly WorldState State = state;
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

    public readonly void CreditRecipient(Address to, uint token, ulong amount) =>
        State.GetOrCreateAccount(to).Credit(token, amount);

    public readonly bool TryGetPool(uint id, out Pool pool) => State.TryGetPool(id, out pool);

    public readonly void SetPoolReserves(uint id, ulong reserveA, ulong reserveB)
    {
        ref var p = ref State.PoolRef(id);
        p.ReserveA = reserveA;
        p.ReserveB = reserveB;
    }
}
