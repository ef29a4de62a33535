namespace GpuExec.Engine.Schedule;

/// <summary>
/// A block's schedule as level batches: every transaction of batch <c>b</c> depends only on
/// transactions of earlier batches, so a batch runs on all cores at once and batches run in order.
/// Within a batch transactions are listed in block order.
/// </summary>
public sealed class ExecutionPlan
{
    internal ExecutionPlan(int[] level, int[] batchStart, int[] batchTxs, int scheduled)
    {
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
    public int CriticalPath => BatchCount;
    /// <summary>Scheduled transactions per step of the critical path: the speed-up an unlimited number of cores could reach.</summary>
    public double EffectiveParallelism => CriticalPath == 0 ? 0 : (double)ScheduledCount / CriticalPath;

    public ReadOnlySpan<int> Batch(int b) => BatchTxs.AsSpan(BatchStart[b], BatchStart[b + 1] - BatchStart[b]);
}
