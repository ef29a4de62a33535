using GpuExec.Engine.Conflicts;

namespace GpuExec.Engine.Schedule;

/// <summary>
/// Turns a <see cref="ConflictGraph"/> into level batches on the host. Predecessors always come
/// earlier in the block, so one pass in block order computes every level; the highest level of a
/// predecessor run is computed once and cached by the run's first sorted position, which keeps the
/// pass linear in the number of records even when a Write follows thousands of credits.
/// </summary>
public static class LevelScheduler
{
    public static ExecutionPlan Plan(AccessSets sets, ConflictGraph graph)
    {
        var level = Levels(sets, graph, out int batches);
        int n = sets.TxCount;
        var start = new int[batches + 1];
        for (int tx = 0; tx < n; tx++) if (level[tx] >= 0) start[level[tx] + 1]++;
        for (int b = 0; b < batches; b++) start[b + 1] += start[b];
        var fill = start.AsSpan(0, Math.Max(batches, 0)).ToArray();
        var txs = new int[start[batches]];
        for (int tx = 0; tx < n; tx++) if (level[tx] >= 0) txs[fill[level[tx]]++] = tx;
        return new ExecutionPlan(level, start, txs, txs.Length);
    }

    /// <summary>Per transaction its level (-1 when not scheduled); <paramref name="count"/>: the number of levels, i.e. the critical path.</summary>
    public static int[] Levels(AccessSets sets, ConflictGraph graph, out int count)
    {
        ArgumentNullException.ThrowIfNull(sets);
        ArgumentNullException.ThrowIfNull(graph);
        int n = sets.TxCount;
        var level = new int[n];
        var runMax = new int[Math.Max(1, graph.RecordCount)];
        runMax.AsSpan().Fill(-1);
        var slotPos = graph.RecordSlotAndPosition;
        var pred = graph.PredRange;
        var sorted = graph.SortedValues;
        int maxLevel = -1;
        for (int tx = 0; tx < n; tx++)
        {
            if (!sets.Scheduled[tx]) { level[tx] = -1; continue; }
            int l = 0;
            int baseId = tx * AccessSets.Stride;
            for (int k = 0; k < AccessSets.Stride; k++)
            {
                int p = slotPos[2 * (baseId + k) + 1];
                if (p < 0) continue;
                int s = pred[2 * p], e = pred[2 * p + 1];
                if (s == e) continue;
                int mx = runMax[s];
                if (mx < 0)
                {
                    for (int q = s; q < e; q++)
                    {
                        int lq = level[(sorted[q] >> 2) / AccessSets.Stride];
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
