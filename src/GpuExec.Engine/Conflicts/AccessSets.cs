using GpuExec.Kernels.Conflicts;
using GpuExec.Model;
using GpuExec.State;

namespace GpuExec.Engine.Conflicts;

/// <summary>
/// The declared access sets of one block (SPEC section 4): for every transaction that still has to
/// run the stateful rules, the state keys it may touch and how, in the fixed layout of
/// <see cref="AccessLayout"/> (record id <c>AccessLayout.Stride * tx + position</c>).
/// A key named at two positions of one transaction is held by the first, with the combined mode
/// (<see cref="AccessModes.Combine"/>); the later position aliases it. A swap on an unknown pool
/// names only positions 0-2. Statelessly decided transactions (MALFORMED, WRONG_CHAIN,
/// BAD_SIGNATURE) name nothing.
/// </summary>
internal sealed class AccessSets
{
    public const int Stride = AccessLayout.Stride;
    public const int PosNonce = AccessLayout.Nonce, PosFee = AccessLayout.Fee, PosCollector = AccessLayout.Collector,
        PosDebit = AccessLayout.Debit, PosCredit = AccessLayout.Credit, PosPool = AccessLayout.Pool;
    /// <summary>An <see cref="Alias"/> entry for a position that names no key.</summary>
    public const byte Absent = 0xFF;

    internal AccessSets(int txCount)
    {
        if ((long)txCount * Stride > AccessRecord.MaxRecordId) throw new ArgumentOutOfRangeException(nameof(txCount), txCount, "too many transactions for one block's access records");
        TxCount = txCount;
        Scheduled = new bool[txCount];
        Alias = new byte[txCount * Stride];
        Keys = new ulong[txCount * Stride];
        Records = new AccessRecord[txCount * Stride];
        TxPool = new int[txCount];
    }

    public int TxCount { get; }
    /// <summary>True for the transactions that run the stateful rules (they have an access set).</summary>
    public bool[] Scheduled { get; }
    public int ScheduledCount { get; internal set; }
    /// <summary>Per record id: the position (0-5) of the same transaction that holds its key, or <see cref="Absent"/>.</summary>
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

    /// <summary>The pools the block's swaps name, by ordinal, as they stand in the pre-state.</summary>
    public Pool[] Pools { get; internal set; } = [];
    /// <summary>Per transaction: the ordinal of its swap's pool in <see cref="Pools"/>, or -1.</summary>
    public int[] TxPool { get; }
}
