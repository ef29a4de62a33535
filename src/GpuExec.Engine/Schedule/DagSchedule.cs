using GpuExec.Engine.Conflicts;

namespace GpuExec.Engine.Schedule;

/// <summary>
/// A dependency-counting schedule over runs, the alternative to level batches: no barrier between
/// levels, a transaction starts as soon as its own predecessors are done. Edges stay implicit in the
/// <see cref="ConflictGraph"/>: a run (sorted positions <c>[s, s + RunSize[s])</c>) is complete when
/// all its transactions are, and then releases every record of the next run of its key. A
/// transaction is ready when every one of its records whose run has a predecessor run was released.
/// </summary>
public sealed class DagSchedule
{
    private DagSchedule(int[] runSize, int[] initialPending, int[] roots, int scheduled, int criticalPath)
    {
        RunSize = runSize;
        InitialPending = initialPending;
        Roots = roots;
        ScheduledCount = scheduled;
        CriticalPath = criticalPath;
    }

    /// <summary>At a run's first sorted position: the number of records in the run (0 elsewhere).</summary>
    public int[] RunSize { get; }
    /// <summary>Per transaction: how many releases it waits for (0 for roots and unscheduled ones).</summary>
    public int[] InitialPending { get; }
    /// <summary>Scheduled transactions with no predecessor, in block order.</summary>
    public int[] Roots { get; }
    public int ScheduledCount { get; }
    public int CriticalPath { get; }

    /// <summary>Builds the counters; <paramref name="plan"/> supplies the critical path (levels are cheap and kept for the figures).</summary>
    public static DagSchedule Build(AccessSets sets, ConflictGraph graph, ExecutionPlan plan)
    {
        ArgumentNullException.ThrowIfNull(sets);
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(plan);
        int m = graph.RecordCount;
        var runSize = new int[m];
        var pred = graph.PredRange;
        for (int p = 0; p < m; p++) runSize[pred[2 * p + 1]]++;
        int n = sets.TxCount;
        var pending = new int[n];
        var slotPos = graph.RecordSlotAndPosition;
        var roots = new List<int>();
        for (int tx = 0; tx < n; tx++)
        {
            if (!sets.Scheduled[tx]) continue;
            int c = 0;
            for (int k = 0; k < AccessSets.Stride; k++)
            {
                int p = slotPos[2 * (tx * AccessSets.Stride + k) + 1];
                if (p >= 0 && pred[2 * p] != pred[2 * p + 1]) c++;
            }
            pending[tx] = c;
            if (c == 0) roots.Add(tx);
        }
        return new DagSchedule(runSize, pending, roots.ToArray(), plan.ScheduledCount, plan.CriticalPath);
    }
}
