using GpuExec.Kernels.Conflicts;

namespace GpuExec.Engine.Conflicts;

/// <summary>
/// What conflict detection produces for a block: the access records sorted by (key, block
/// position), the exact dependency graph as one <see cref="PredecessorRange"/> per sorted record,
/// and the slot numbering (unique keys in sorted order) that execution loads the state into. The
/// element layouts are those of <c>kernels/GpuExec.Kernels/Conflicts/ConflictLayout.cs</c>, which the
/// kernels write directly.
/// <para>
/// The record at sorted position <c>p</c> depends on the transactions of the records at sorted
/// positions <c>Predecessors[p]</c>: the previous run of its key. All of them come earlier in the block.
/// </para>
/// </summary>
internal sealed class ConflictGraph
{
    public ConflictGraph(int txCount, int recordCount, AccessRecord[] sortedRecords, PredecessorRange[] predecessors, RecordSlot[] recordSlots, ulong[] uniqueKeys, int uniqueCount)
    {
        TxCount = txCount;
        RecordCount = recordCount;
        SortedRecords = sortedRecords;
        Predecessors = predecessors;
        RecordSlots = recordSlots;
        UniqueKeys = uniqueKeys;
        UniqueCount = uniqueCount;
    }

    public int TxCount { get; }
    public int RecordCount { get; }
    /// <summary>The records in sorted order (by key, then block position).</summary>
    public AccessRecord[] SortedRecords { get; }
    /// <summary>Per sorted position: its predecessors, as a range of sorted positions.</summary>
    public PredecessorRange[] Predecessors { get; }
    /// <summary>Per record id (<c>AccessLayout.Stride * tx + position</c>): its slot and sorted position, or <see cref="RecordSlot.None"/>.</summary>
    public RecordSlot[] RecordSlots { get; }
    /// <summary>The block's distinct keys, ascending: slot s holds key <c>UniqueKeys[s]</c>.</summary>
    public ulong[] UniqueKeys { get; }
    public int UniqueCount { get; }

    /// <summary>The transaction of the record at sorted position <paramref name="p"/>.</summary>
    public int TxAt(int p) => SortedRecords[p].Tx;

    /// <summary>The slot entry of transaction <paramref name="tx"/>'s layout position <paramref name="position"/>.</summary>
    public RecordSlot Slot(int tx, int position) => RecordSlots[tx * AccessLayout.Stride + position];

    /// <summary>Appends the direct predecessors of <paramref name="tx"/> (with repeats when several keys order the same pair). For tests and tools.</summary>
    public void PredecessorsOf(int tx, List<int> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        for (int k = 0; k < AccessLayout.Stride; k++)
        {
            var slot = Slot(tx, k);
            if (!slot.IsNamed) continue;
            var range = Predecessors[slot.SortedPosition];
            for (int q = range.Start; q < range.End; q++) into.Add(TxAt(q));
        }
    }
}
