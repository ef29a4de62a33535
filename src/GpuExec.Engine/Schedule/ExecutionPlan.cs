namespace GpuExec.Engine.Schedule;

/// <summary>
/// A block's schedule. As level batches: every transaction of batch <c>b</c> depends only on
/// transactions of earlier batches, so a batch runs on all cores at once and batches run in order;
/// within a batch transactions are listed in block order. Or as <see cref="Lanes"/>.
/// </summary>
public sealed class ExecutionPlan
{
    internal ExecutionPlan(int[] level, int[] batchStart, int[] batchTxs, int scheduled)
    {
        CriticalPath = batchStart.Length - 1;
        Level = level;
        BatchStart = batchStart;
        BatchTxs = batchTxs;
        ScheduledCount = scheduled;
    }

    /// <summary>Per transaction: its level (0-based; 1 + the highest level of its predecessors), or -1 when it is not scheduled.</summary>
    public int[] Level { get; }
    /// <summary>Batch <c>b</c> is <c>BatchTxs[BatchStart[b]..BatchStart[b+1]]</c>.</summary>
    public int[] BatchStart { get; }
    public int[] BatchTxs { get; }
    public int BatchCount => BatchStart.Length - 1;
    /// <summary>Transactions that run the stateful rules.</summary>
    public int ScheduledCount { get; }
    /// <summary>The longest dependency chain, in transactions (with level batches, equal to <see cref="BatchCount"/>).</summary>
    public int CriticalPath { get; }
    /// <summary>Scheduled transactions per step of the critical path: the speed-up an unlimited number of cores could reach.</summary>
    public double EffectiveParallelism => CriticalPath == 0 ? 0 : (double)ScheduledCount / CriticalPath;

    /// <summary>The lane schedule that execution follows instead of batches, when one was planned (<see cref="LaneScheduler"/>); the plan then has no batches.</summary>
    public LanePlan? Lanes { get; }

    /// <summary>A plan that runs as lanes.</summary>
    internal ExecutionPlan(LanePlan lanes)
    {
        Lanes = lanes;
        Level = lanes.Level;
        BatchStart = [0];
        BatchTxs = [];
        ScheduledCount = lanes.ScheduledCount;
        CriticalPath = lanes.CriticalPath;
    }

    public ReadOnlySpan<int> Batch(int b) => BatchTxs.AsSpan(BatchStart[b], BatchStart[b + 1] - BatchStart[b]);
}
