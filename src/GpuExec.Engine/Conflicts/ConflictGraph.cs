namespace GpuExec.Engine.Conflicts;

/// <summary>
/// What conflict detection produces for a block: the access records sorted by (key, block
/// position), the exact dependency graph as one predecessor range per sorted record, and the slot
/// numbering (unique keys in sorted order) that execution loads the state into.
/// <para>
/// Record at sorted position <c>p</c> depends on the transactions of the records at sorted
/// positions <c>[PredRange[2p], PredRange[2p+1])</c>: the previous run of its key (a Write, or
/// the Reads or Adds since the previous Write). All of them come earlier in the block.
/// </para>
/// </summary>
public sealed class ConflictGraph
{
    public ConflictGraph(int txCount, int recordCount, int[] sortedValues, int[] predRange, int[] recordSlotAndPosition, ulong[] uniqueKeys, int uniqueCount)
    {
        TxCount = txCount;
        RecordCount = recordCount;
        SortedValues = sortedValues;
        PredRange = predRange;
        RecordSlotAndPosition = recordSlotAndPosition;
        UniqueKeys = uniqueKeys;
        UniqueCount = uniqueCount;
    }

    public int TxCount { get; }
    public int RecordCount { get; }
    /// <summary>Record values (<c>record_id &lt;&lt; 2 | mode</c>) in sorted order.</summary>
    public int[] SortedValues { get; }
    /// <summary>Two ints per sorted position: the predecessor range.</summary>
    public int[] PredRange { get; }
    /// <summary>Two ints per record id (<c>6 * tx + position</c>): its slot and its sorted position; -1 when the position names no key of its own.</summary>
    public int[] RecordSlotAndPosition { get; }
    /// <summary>The block's distinct keys, ascending: slot s holds key <c>UniqueKeys[s]</c>.</summary>
    public ulong[] UniqueKeys { get; }
    public int UniqueCount { get; }

    /// <summary>The transaction of the record at sorted position <paramref name="p"/>.</summary>
    public int TxAt(int p) => (SortedValues[p] >> 2) / AccessSets.Stride;

    /// <summary>Appends the direct predecessors of <paramref name="tx"/> (with repeats when several keys order the same pair). For tests and tools.</summary>
    public void Predecessors(int tx, List<int> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        for (int k = 0; k < AccessSets.Stride; k++)
        {
            int p = RecordSlotAndPosition[2 * (tx * AccessSets.Stride + k) + 1];
            if (p < 0) continue;
            for (int q = PredRange[2 * p]; q < PredRange[2 * p + 1]; q++) into.Add(TxAt(q));
        }
    }
}
