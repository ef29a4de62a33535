using GpuExec.Kernels.Conflicts;
using GpuExec.Model;
using GpuExec.State;

namespace GpuExec.Engine.Conflicts;

/// <summary>
/// The declared access sets of one block (SPEC section 4): for every transaction that still has to
/// run the stateful rules, the state keys it may touch and how, in the fixed layout of
/// <see cref="AccessLayout"/> (record id <c>AccessLayout.Stride * tx + position</c>).
/// A key named at two positions of one transaction is held by the first, with the combined mode
/// (<see cref="AccessModes.Combine"/>); the later position aliases it. A swap or route that will
/// fail UNKNOWN_POOL or BAD_ROUTE (decided from the pre-state: pools are never created and their
/// tokens never change) names only positions 0-2. Statelessly decided transactions (MALFORMED,
/// WRONG_CHAIN, BAD_SIGNATURE) name nothing.
/// </summary>
internal sealed class AccessSets
{
    public const int Stride = AccessLayout.Stride;
    public const int PosNonce = AccessLayout.Nonce, PosFee = AccessLayout.Fee, PosCollector = AccessLayout.Collector,
        PosDebit = AccessLayout.Debit, PosCredit = AccessLayout.Credit, PosPool = AccessLayout.Pool;
    /// <summary>Pool entries per transaction in <see cref="TxPools"/>: one per hop.</summary>
    public const int MaxPools = AccessLayout.Pools;
    /// <summary>An <see cref="Alias"/> entry for a position that names no key.</summary>
    public const byte Absent = 0xFF;
    /// <summary>A <see cref="TxPools"/> entry past the transaction's last hop (or of a transfer).</summary>
    public const int NoPool = -1;

    internal AccessSets(int txCount)
    {
        if (txCount > AccessRecord.MaxTransactions) throw new ArgumentOutOfRangeException(nameof(txCount), txCount, "too many transactions for one block's access records");
        TxCount = txCount;
        Scheduled = new bool[txCount];
        Alias = new byte[txCount * Stride];
        Keys = new ulong[txCount * Stride];
        Records = new AccessRecord[txCount * Stride];
        TxPools = new int[txCount * MaxPools];
        Cost = new byte[txCount];
    }

    public int TxCount { get; }
    /// <summary>True for the transactions that run the stateful rules (they have an access set).</summary>
    public bool[] Scheduled { get; }
    public int ScheduledCount { get; internal set; }
    /// <summary>Per record id: the position (0-8) of the same transaction that holds its key, or <see cref="Absent"/>.</summary>
    public byte[] Alias { get; }
    /// <summary>The number of access records (distinct keys per transaction, summed).</summary>
    public int RecordCount { get; internal set; }
    /// <summary>Record keys, in block order (first <see cref="RecordCount"/> entries).</summary>
    public ulong[] Keys { get; }
    /// <summary>The records (record id and mode), beside <see cref="Keys"/>.</summary>
    public AccessRecord[] Records { get; }
    /// <summary>
    /// Interned accounts: account id to the state's account object (only read), or null for an
    /// address the state does not hold (its values read as 0).
    /// </summary>
    public Account?[] Accounts { get; internal set; } = [];
    /// <summary>Interned addresses, by account id (beside <see cref="Accounts"/>).</summary>
    public Address[] Addresses { get; internal set; } = [];
    public int AccountCount { get; internal set; }

    /// <summary>
    /// Every pool the block's scheduled swaps and routes name, by ordinal, as it stands in the
    /// pre-state; a pool that does not exist is held too (its id alone, <see cref="PoolExists"/>
    /// false), so that an executor can tell an unknown pool from one the transaction never named.
    /// </summary>
    public Pool[] Pools { get; internal set; } = [];
    /// <summary>Per ordinal of <see cref="Pools"/>: whether the pre-state holds the pool.</summary>
    public bool[] PoolExists { get; internal set; } = [];
    /// <summary>
    /// Per transaction, <see cref="MaxPools"/> entries: the ordinal in <see cref="Pools"/> of the
    /// pool its swap (entry 0) or each hop of its route names, <see cref="NoPool"/> past the last.
    /// A pool is written only where its layout position (<c>PosPool + hop</c>) names a key.
    /// </summary>
    public int[] TxPools { get; }
    /// <summary>
    /// Per transaction, its expected work in transfer units for the lane scheduler: 1, plus 1 per
    /// hop it computes (a swap 2, a route of n hops 1 + n; 1 for one that will fail before its
    /// pools); 0 when not scheduled.
    /// </summary>
    public byte[] Cost { get; }
}
