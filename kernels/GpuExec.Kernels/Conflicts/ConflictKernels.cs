using ILGPU;

namespace GpuExec.Kernels.Conflicts;

/// <summary>
/// Conflict detection over access records sorted by (key, block position).
/// <para>
/// A record is a 64-bit state key and an <see cref="AccessRecord"/> (record id and mode). Once the
/// records are sorted by key with a stable sort, each key is a segment in block order. A segment
/// splits into <em>runs</em>: every Write is a run of its own, and consecutive Reads (or
/// consecutive Adds) form one run. A record depends on every record of the run just before its own,
/// and only on those: earlier runs are reached through it. That is the exact dependency graph of
/// SPEC section 4, held as one <see cref="PredecessorRange"/> per sorted record.
/// </para>
/// <para>Pipeline: <see cref="MarkBoundaries"/>, three inclusive scans (max, max, add), <see cref="DerivePredecessors"/>.</para>
/// </summary>
internal static class ConflictKernels
{
    /// <summary>Marks every record id as naming no key (the slot table starts empty).</summary>
    public static void ClearSlots(Index1D i, ArrayView<RecordSlot> view) => view[i] = RecordSlot.None;

    /// <summary>
    /// Boundary detection on sorted records: writes <c>p</c> where a run (resp. a key segment)
    /// starts and 0 elsewhere, so that an inclusive max-scan gives each position its run start
    /// (resp. segment start); and 1 at each segment start for the add-scan that numbers unique keys.
    /// </summary>
    public static void MarkBoundaries(
        Index1D p,
        ArrayView<ulong> keys,
        ArrayView<AccessRecord> records,
        ArrayView<int> runStartMark,
        ArrayView<int> segmentStartMark,
        ArrayView<int> segmentFlag)
    {
        var mode = records[p].Mode;
        bool newSegment = p == 0 || keys[p] != keys[p - 1];
        bool newRun = newSegment || mode == AccessMode.Write || mode != records[p - 1].Mode;
        runStartMark[p] = newRun ? p : 0;
        segmentStartMark[p] = newSegment ? p : 0;
        segmentFlag[p] = newSegment ? 1 : 0;
    }

    /// <summary>
    /// For each sorted position: the predecessor range (the previous run of its key; empty at the
    /// first run), the slot and sorted position of its record id, and the unique key table.
    /// </summary>
    public static void DerivePredecessors(
        Index1D p,
        ArrayView<ulong> keys,
        ArrayView<AccessRecord> records,
        ArrayView<int> runStart,
        ArrayView<int> segmentStart,
        ArrayView<int> segmentNumber,
        ArrayView<PredecessorRange> predecessors,
        ArrayView<RecordSlot> recordSlots,
        ArrayView<ulong> uniqueKeys)
    {
        int end = runStart[p];
        int start = end > segmentStart[p] ? runStart[end - 1] : end;
        predecessors[p] = new PredecessorRange(start, end);
        int slot = segmentNumber[p] - 1;
        recordSlots[records[p].RecordId] = new RecordSlot(slot, p);
        if (segmentStart[p] == p) uniqueKeys[slot] = keys[p];
    }
}
