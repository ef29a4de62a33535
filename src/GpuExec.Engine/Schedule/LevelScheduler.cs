using GpuExec.Engine.Conflicts;

namespace GpuExec.Engine.Schedule;

/// <summary>
/// The level of every transaction of a <see cref="ConflictGraph"/> (1 + the highest level of its
/// predecessors), hence the critical path, on the host: what a one-lane plan needs. Predecessors always come
/// earlier in the block, so one pass in block order computes every level; the highest level of a
/// predecessor run is computed once and cached by the run's first sorted position, which keeps the
/// pass linear in the number of records even when a Write follows thousands of credits.
/// </summary>
internal static class LevelScheduler
{
    /// <summary>Per transaction its level (-1 when not scheduled); <paramref name="count"/>: the number of levels, i.e. the critical path.</summary>
    public static int[] Levels(AccessSets sets, ConflictGraph graph, out int count)
    {
        ArgumentNullException.ThrowIfNull(sets);
        ArgumentNullException.ThrowIfNull(graph);
        int n = sets.TxCount;
        var level = new int[n];
        var runMax = new int[Math.Max(1, graph.RecordCount)];
        runMax.AsSpan().Fill(-1);
        var slots = graph.RecordSlots;
        var pred = graph.Predecessors;
        var sorted = graph.SortedRecords;
        int maxLevel = -1;
        for (int tx = 0; tx < n; tx++)
        {
            if (!sets.Scheduled[tx]) { level[tx] = -1; continue; }
            int l = 0;
            int baseId = tx * AccessSets.Stride;
            for (int k = 0; k < AccessSets.Stride; k++)
            {
                var slot = slots[baseId + k];
                if (!slot.IsNamed) continue;
                var range = pred[slot.SortedPosition];
                int s = range.Start, e = range.End;
                if (s == e) continue;
                int mx = runMax[s];
                if (mx < 0)
                {
                    for (int q = s; q < e; q++)
                    {
                        int lq = level[sorted[q].Tx];
                        if (lq > mx) mx = lq;
                    }
                    runMax[s] = mx;
                }
                if (mx + 1 > l) l = mx + 1;
            }
            level[tx] = l;
            if (l > maxLevel) maxLevel = l;
        }
        count = maxLevel + 1;
        return level;
    }
}
