using ILGPU;

namespace GpuExec.Kernels.Conflicts;

/// <summary>
/// Conflict detection over access records sorted by (key, block position).
/// <para>
/// A record is a 64-bit state key and an int value <c>record_id &lt;&lt; 2 | mode</c>, where
/// <c>record_id = 6 * tx + position</c> and the position names the access in the transaction's
/// fixed layout. Once the records are sorted by key with a stable sort, each key is a segment in
/// block order. A segment splits into <em>runs</em>: every Write is a run of its own, and
/// consecutive Reads (or consecutive Adds) form one run. A record depends on every record of the
/// run just before its own, and only on those: earlier runs are reached through it. That is the
/// exact dependency graph of SPEC section 4, held as one range of sorted positions per record.
/// </para>
/// <para>Pipeline: <see cref="MarkBoundaries"/>, three inclusive scans (max, max, add), <see cref="DerivePredecessors"/>.</para>
/// </summary>
public static class ConflictKernels
{
    /// <summary>Fills a view with one value (slot and position tables start at -1).</summary>
    public static void Fill(Index1D i, ArrayView<int> view, int value) => view[i] = value;

    /// <summary>
    /// Boundary detection on sorted records: writes <c>p</c> where a run (resp. a key segment)
    /// starts and 0 elsewhere, so that an inclusive max-scan gives each position its run start
    /// (resp. segment start); and 1 at each segment start for the add-scan that numbers unique keys.
    /// </summary>
    public static void MarkBoundaries(
        Index1D p,
        ArrayView<ulong> keys,
        ArrayView<int> values,
        ArrayView<int> runStartMark,
        ArrayView<int> segmentStartMark,
        ArrayView<int> segmentFlag)
    {
        int mode = values[p] & 3;
        bool newSegment = p == 0 || keys[p] != keys[p - 1];
        bool newRun = newSegment || mode == (int)AccessMode.Write || mode != (values[p - 1] & 3);
        runStartMark[p] = newRun ? p : 0;
        segmentStartMark[p] = newSegment ? p : 0;
        segmentFlag[p] = newSegment ? 1 : 0;
    }

    /// <summary>
    /// For each sorted position: the predecessor range <c>[predStart, predEnd)</c> (the previous run
    /// of its key; empty at the first run), the slot (unique key number) of its record, the sorted
    /// position of its record, and the unique key table.
    /// </summary>
    public static void DerivePredecessors(
        Index1D p,
        ArrayView<ulong> keys,
        ArrayView<int> values,
        ArrayView<int> runStart,
        ArrayView<int> segmentStart,
        ArrayView<int> segmentNumber,
        ArrayView<int> predRange,
        ArrayView<int> recordSlotAndPosition,
        ArrayView<ulong> uniqueKeys)
    {
        int end = runStart[p];
        int start = end > segmentStart[p] ? runStart[end - 1] : end;
        predRange[2 * p] = start;
        predRange[2 * p + 1] = end;
        int record = values[p] >> 2;
        int slot = segmentNumber[p] - 1;
        recordSlotAndPosition[2 * record] = slot;
        recordSlotAndPosition[2 * record + 1] = p;
        if (segmentStart[p] == p) uniqueKeys[slot] = keys[p];
    }
}
