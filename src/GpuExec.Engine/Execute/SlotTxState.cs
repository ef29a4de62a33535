using System.Runtime.CompilerServices;
using GpuExec.Engine.Conflicts;
using GpuExec.Execution;
using GpuExec.Model;

namespace GpuExec.Engine.Execute;

/// <summary>
/// <see cref="ITxState"/> over a <see cref="SlotTable"/> for one transaction. Write-mode slots
/// (nonce, debited balances, pools) belong to this transaction alone within its batch, so they are
/// read and written plainly; credits (Add mode) may be shared with other transactions of the batch
/// and use <see cref="Interlocked.Add(ref ulong, ulong)"/>, or in lanes mode the lane's own
/// accumulator when the slot is hot (<see cref="SlotTable.Deltas"/>). Every credit is checked.
/// </summary>
internal struct SlotTxState : ITxState
{
    private readonly ulong[] _values;
    private readonly PaddedPool[] _pools;
    private readonly AccessSets _sets;
    private readonly int _tx;
    private readonly int _nonce, _fee, _collector, _debit, _credit;
    private readonly uint _debitToken, _creditToken; // the tokens of the declared debit and credit keys
    private readonly ulong[]? _deltas; // lanes mode: this lane's hot credit accumulators (see SlotTable.Deltas)
    private readonly int[] _hot;
    private readonly int _deltaBase;
    private readonly bool _exclusive; // one thread runs the whole block: credits need no atomics

    /// <param name="lane">Lanes mode with two lanes or more: this transaction's lane (its credit accumulators).</param>
    /// <param name="exclusive">True when one thread runs every transaction of the block.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public SlotTxState(SlotTable table, int tx, int lane = -1, bool exclusive = false)
    {
        _exclusive = exclusive;
        _hot = table.HotIndex;
        if (lane >= 0 && table.Deltas is { } deltas)
        {
            _deltas = deltas;
            _deltaBase = lane * table.DeltaStride;
        }
        _values = table.Values;
        _pools = table.Pools;
        // Slots straight from the access sets and the graph: alias position, then that record's slot.
        _nonce = table.SlotOf(tx, AccessSets.PosNonce);
        _fee = table.SlotOf(tx, AccessSets.PosFee);
        _collector = table.SlotOf(tx, AccessSets.PosCollector);
        _debit = table.SlotOf(tx, AccessSets.PosDebit);
        _credit = table.SlotOf(tx, AccessSets.PosCredit);
        _sets = table.Sets;
        _tx = tx;
        var keys = table.Graph.UniqueKeys;
        _debitToken = _debit < 0 ? uint.MaxValue : StateKey.Low(keys[_debit]);
        _creditToken = _credit < 0 ? uint.MaxValue : StateKey.Low(keys[_credit]);
        if (_deltas is not null)
        {
            // The balances this transaction reads: bring in the credits pending in every lane.
            if (_fee >= 0 && _hot[_fee] >= 0) table.Fold(_fee);
            if (_debit >= 0 && _debit != _fee && _hot[_debit] >= 0) table.Fold(_debit);
        }
    }

    /// <summary>
    /// A credit. To a slot this transaction also debits (the collector paying itself its fee, a
    /// self-transfer) it goes straight into the value, since the rules may read that balance again
    /// right after; to a hot slot, into this lane's accumulator; else an atomic add.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly void Credit(int slot, ulong amount)
    {
        // Checked as the sequential executor's credits are: the supply invariant rules overflow out,
        // and a state that breaks it fails the same way (OverflowException) on every path.
        int h;
        if (_exclusive) _values[slot] = checked(_values[slot] + amount);
        else if (_deltas is not null && slot != _fee && slot != _debit && (h = _hot[slot]) >= 0) _deltas[_deltaBase + h] = checked(_deltas[_deltaBase + h] + amount);
        else if (Interlocked.Add(ref _values[slot], amount) < amount) throw new OverflowException("Arithmetic operation resulted in an overflow.");
    }

    public ulong SenderNonce
    {
        readonly get => _values[_nonce];
        set => _values[_nonce] = value;
    }

    // The rules ask for the sender's balance of token 0 (fee) and of the debited token, and credit
    // the declared credit key. Each access is checked against the keys the access sets declared: a
    // rule that reads anything else fails here instead of reading the wrong slot.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly int SenderSlot(uint token) =>
        token == 0 ? _fee : token == _debitToken ? _debit : throw Undeclared($"the sender's balance of token {token}");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly int CreditSlot(uint token) =>
        token == _creditToken ? _credit : throw Undeclared($"a credit of token {token}");

    private static InvalidOperationException Undeclared(string what) =>
        new($"the rules touched {what}, which the transaction's access set does not declare");

    public readonly ulong SenderBalance(uint token) => _values[SenderSlot(token)];
    public readonly void SetSenderBalance(uint token, ulong amount) => _values[SenderSlot(token)] = amount;
    public readonly void CreditCollector(ulong fee) => Credit(_collector, fee);
    public readonly void CreditRecipient(Address to, uint token, ulong amount) => Credit(CreditSlot(token), amount);
    public readonly void CreditSender(uint token, ulong amount) => Credit(CreditSlot(token), amount);

    /// <summary>
    /// The ordinal of pool <paramref name="id"/> among the block's pools and the first hop that
    /// names it; a pool the transaction does not name is undeclared.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly int PoolOrdinal(uint id, out int hop)
    {
        var txPools = _sets.TxPools;
        var pools = _sets.Pools;
        int at = _tx * AccessSets.MaxPools;
        for (hop = 0; hop < AccessSets.MaxPools; hop++)
        {
            int ordinal = txPools[at + hop];
            if (ordinal < 0) break;
            if (pools[ordinal].Id == id) return ordinal;
        }
        throw Undeclared($"pool {id}");
    }

    /// <summary>A pool's reserves: only where the transaction declared the pool (Write), so it owns them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly ref Model.Pool OwnedPool(uint id)
    {
        int ordinal = PoolOrdinal(id, out int hop);
        if (_sets.Alias[_tx * AccessSets.Stride + AccessSets.PosPool + hop] == AccessSets.Absent)
            throw Undeclared($"the reserves of pool {id}");
        return ref _pools[ordinal].Value;
    }

    public readonly bool TryGetPool(uint id, out Model.Pool pool)
    {
        int ordinal = PoolOrdinal(id, out _);
        if (!_sets.PoolExists[ordinal]) { pool = default; return false; }
        pool = OwnedPool(id);
        return true;
    }

    // Tokens never change: read from the pre-state's copy, with no ordering and no declared key.
    public readonly bool TryGetPoolTokens(uint id, out uint tokenA, out uint tokenB)
    {
        int ordinal = PoolOrdinal(id, out _);
        if (!_sets.PoolExists[ordinal]) { tokenA = tokenB = 0; return false; }
        var pool = _sets.Pools[ordinal];
        tokenA = pool.TokenA;
        tokenB = pool.TokenB;
        return true;
    }

    public readonly void SetPoolReserves(uint id, ulong reserveA, ulong reserveB)
    {
        ref var p = ref OwnedPool(id);
        p.ReserveA = reserveA;
        p.ReserveB = reserveB;
    }
}
