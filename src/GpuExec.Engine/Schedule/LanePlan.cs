namespace GpuExec.Engine.Schedule;

/// <summary>
/// A block's schedule as lanes, one per worker thread: each lane lists its transactions in block
/// order and runs them one after the other, with no barrier. A dependency on another lane is a
/// wait for that lane's progress counter: before transaction <c>tx</c> runs, for every pair
/// <c>(u, c)</c> in <c>Waits[WaitStart[tx]..WaitStart[tx + 1]]</c>, lane <c>u</c> must have finished
/// its first <c>c</c> transactions. Dependencies on the own lane hold by order. Built by
/// <see cref="LaneScheduler"/>.
/// </summary>
internal sealed class LanePlan
{
    internal LanePlan(int[] level, int[] laneStart, int[] laneTxs, int[] waitStart, int[] waits, int scheduled, int criticalPath, int crossWaits, long makespan)
    {
        Level = level;
        LaneStart = laneStart;
        LaneTxs = laneTxs;
        WaitStart = waitStart;
        Waits = waits;
        ScheduledCount = scheduled;
        CriticalPath = criticalPath;
        CrossWaits = crossWaits;
        Makespan = makespan;
    }

    /// <summary>Per transaction: its level (0-based; 1 + the highest level of its predecessors), or -1 when it is not scheduled.</summary>
    public int[] Level { get; }
    /// <summary>Lane <c>l</c> runs <c>LaneTxs[LaneStart[l]..LaneStart[l+1]]</c>, in that order.</summary>
    public int[] LaneStart { get; }
    public int[] LaneTxs { get; }
    /// <summary>Per transaction, the start of its wait pairs in <see cref="Waits"/> (in ints; <c>n + 1</c> entries).</summary>
    public int[] WaitStart { get; }
    /// <summary>Pairs <c>(lane, count)</c>.</summary>
    public int[] Waits { get; }
    public int LaneCount => LaneStart.Length - 1;
    public int ScheduledCount { get; }
    /// <summary>The longest dependency chain, in transactions.</summary>
    public int CriticalPath { get; }
    /// <summary>Cross-lane waits emitted (after dropping those a lane already waited for).</summary>
    public int CrossWaits { get; }
    /// <summary>The simulated finish time of the slowest lane (in <see cref="Conflicts.AccessSets.Cost"/> units: a transfer 1, a swap 2, a route 1 + its hops).</summary>
    public long Makespan { get; }
    /// <summary>Scheduled transactions per step of the critical path.</summary>
    public double EffectiveParallelism => CriticalPath == 0 ? 0 : (double)ScheduledCount / CriticalPath;

    public ReadOnlySpan<int> Lane(int l) => LaneTxs.AsSpan(LaneStart[l], LaneStart[l + 1] - LaneStart[l]);
}
