using System.Runtime.CompilerServices;
using GpuExec.Engine.Conflicts;
using GpuExec.Execution;
using GpuExec.Model;

namespace GpuExec.Engine.Execute;

/// <summary>
/// <see cref="ITxState"/> over a <see cref="SlotTable"/> for one transaction. Write-mode slots
/// (nonce, debited balances, pool) belong to this transaction alone within its batch, so they are
/// read and written plainly; credits (Add mode) may be shared with other transactions of the batch
/// and use <see cref="Interlocked.Add(ref ulong, ulong)"/>. The supply invariant rules out overflow.
/// </summary>
internal struct SlotTxState : ITxState
{
    private readonly ulong[] _values;
    private readonly Model.Pool[] _pools;
    private readonly int _nonce, _fee, _collector, _debit, _credit, _pool;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public SlotTxState(SlotTable table, int tx)
    {
        _values = table.Values;
        _pools = table.Pools;
        var slots = table.TxSlots.AsSpan(tx * AccessSets.Stride, AccessSets.Stride);
        _nonce = slots[AccessSets.PosNonce];
        _fee = slots[AccessSets.PosFee];
        _collector = slots[AccessSets.PosCollector];
        _debit = slots[AccessSets.PosDebit];
        _credit = slots[AccessSets.PosCredit];
        _pool = table.Sets.TxPool[tx];
    }

    public ulong SenderNonce
    {
        readonly get => _values[_nonce];
        set => _values[_nonce] = value;
    }

    // The rules ask for the sender's balance of token 0 (fee) and of the debited token only.
    public readonly ulong SenderBalance(uint token) => _values[token == 0 ? _fee : _debit];
    public readonly void SetSenderBalance(uint token, ulong amount) => _values[token == 0 ? _fee : _debit] = amount;
    public readonly void CreditCollector(ulong fee) => Interlocked.Add(ref _values[_collector], fee);
    public readonly void CreditRecipient(Address to, uint token, ulong amount) => Interlocked.Add(ref _values[_credit], amount);
    public readonly void CreditSender(uint token, ulong amount) => Interlocked.Add(ref _values[_credit], amount);

    public readonly bool TryGetPool(uint id, out Model.Pool pool)
    {
        if (_pool < 0) { pool = default; return false; }
        pool = _pools[_pool];
        return true;
    }

    public readonly void SetPoolReserves(uint id, ulong reserveA, ulong reserveB)
    {
        ref var p = ref _pools[_pool];
        p.ReserveA = reserveA;
        p.ReserveB = reserveB;
    }
}
