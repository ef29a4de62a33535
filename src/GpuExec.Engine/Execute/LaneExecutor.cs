using System.Diagnostics;
using GpuExec.Engine.Conflicts;
using GpuExec.Engine.Schedule;
using GpuExec.Execution;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;
using ILGPU.Runtime;

namespace GpuExec.Engine.Execute;

/// <summary>Schedule figures of one block.</summary>
/// <param name="Transactions">All transactions of the block.</param>
/// <param name="Scheduled">Those that ran the stateful rules (the others were decided statelessly: malformed, wrong chain, bad signature).</param>
/// <param name="CriticalPath">Longest dependency chain, in transactions (in-order application does not compute one: 0).</param>
/// <param name="Records">Access records (distinct keys per transaction, summed; 0 in order).</param>
/// <param name="Slots">Distinct state keys the block touches (0 in order).</param>
/// <param name="Lanes">Lanes (threads, each running its transactions in block order) that applied the block; 1 in order.</param>
public readonly record struct ScheduleStats(int Transactions, int Scheduled, int CriticalPath, int Records, int Slots, int Lanes)
{
    /// <summary>
    /// Scheduled transactions per step of the critical path: the speed-up over one core that
    /// unlimited cores could reach on this block (0 when no critical path was computed).
    /// </summary>
    public double EffectiveParallelism => CriticalPath == 0 ? 0 : (double)Scheduled / CriticalPath;
}

/// <summary>
/// The lanes apply strategy: the conflicts, schedule and execute stages for a block whose
/// signatures are verified. <see cref="DetectConflicts"/> builds the access sets and the exact
/// dependency graph (ILGPU kernels on an accelerator, the same algorithm in C# without one),
/// <see cref="Plan"/> lays the transactions on lanes (<see cref="LaneScheduler"/>), and
/// <see cref="Execute"/> loads the touched values into slots, runs each lane on a thread of its own
/// through <see cref="TxRules.Apply{TState}(ref TState, ReadOnlySpan{byte}, ref TxEffect)"/> and writes the slots back. Results equal
/// <see cref="SequentialExecutor"/>'s. Not thread-safe: one block at a time per instance.
/// </summary>
internal sealed class LaneExecutor : IDisposable
{
    private readonly ConflictDetector _detector;
    private readonly ParallelOptions _parallel;
    private readonly WorkerTeam _team;
    private readonly LaneTuner? _tuner;
    private readonly int _threads, _lanes, _slack;

    /// <param name="threads">Worker threads (1 runs everything on the caller's thread).</param>
    /// <param name="accelerator">Accelerator for conflict detection (its context needs <c>EnableAlgorithms()</c>), or null for the host path. Not owned.</param>
    /// <param name="lanes">How many lanes (at most <paramref name="threads"/>); 0: chosen by measurement, block after block (<see cref="LaneTuner"/>).</param>
    /// <param name="slack">The simulated cost of a cross-lane dependency, in transfers (see <see cref="LaneScheduler"/>).</param>
    public LaneExecutor(int threads, Accelerator? accelerator = null, int lanes = 0, int slack = LaneScheduler.DefaultSlack)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(lanes);
        _threads = threads;
        _lanes = Math.Min(lanes, threads);
        _slack = slack;
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = threads };
        _detector = new ConflictDetector(accelerator);
        _team = new WorkerTeam(threads);
        if (_lanes == 0 && threads > 1) _tuner = new LaneTuner(threads);
    }

    /// <summary>The schedule figures of the last block executed.</summary>
    public ScheduleStats LastStats { get; private set; }

    /// <summary>Access sets of the transactions still <see cref="TxStatus.Ok"/> (the state is only read), then their dependency graph.</summary>
    public (AccessSets Sets, ConflictGraph Graph) DetectConflicts(IStateReader state, Block block, ReadOnlySpan<TxStatus> statuses)
    {
        var sets = AccessSetBuilder.Build(state, block, statuses);
        return (sets, Detect(sets));
    }

    /// <summary>The dependency graph of access sets built elsewhere (on the accelerator if there is one).</summary>
    public ConflictGraph Detect(AccessSets sets) => _detector.Detect(sets);

    /// <summary>One lane per thread, or as many as were fixed or measured best.</summary>
    public LanePlan Plan(AccessSets sets, ConflictGraph graph)
    {
        ArgumentNullException.ThrowIfNull(sets);
        int lanes = _tuner?.Choose(sets.ScheduledCount) ?? (_lanes == 0 ? _threads : _lanes);
        return LaneScheduler.Plan(sets, graph, lanes, _slack);
    }

    /// <summary>
    /// Loads the touched values into slots (from the state objects the access sets hold), runs the
    /// lanes and fills the scheduled transactions' statuses (and <paramref name="effects"/>, when
    /// given: one per transaction); returns the block's change set. The state is only read.
    /// </summary>
    public ChangeSet Execute(Block block, AccessSets sets, ConflictGraph graph, LanePlan plan, TxStatus[] statuses, TxEffect[]? effects = null)
    {
        ArgumentNullException.ThrowIfNull(block);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(statuses);
        if (effects is not null && effects.Length != block.Count) throw new ArgumentException("one effect per transaction", nameof(effects));
        if (plan.LaneCount > _threads) throw new ArgumentException($"the plan has {plan.LaneCount} lanes, the executor only {_threads} threads", nameof(plan));
        var table = SlotTable.Load(sets, graph, _parallel);
        table.PrepareLanes(plan.LaneCount);
        long t0 = Stopwatch.GetTimestamp();
        RunLanes(table, block, plan, statuses, effects);
        _tuner?.Record(plan.LaneCount, plan.ScheduledCount, Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        table.FoldDeltas();
        var changes = table.ToChangeSet(_parallel);
        LastStats = new ScheduleStats(block.Count, plan.ScheduledCount, plan.CriticalPath, graph.RecordCount, graph.UniqueCount, plan.LaneCount);
        return changes;
    }

    /// <summary>
    /// Lane execution: thread <c>l</c> runs lane <c>l</c> in order; before each transaction it waits
    /// until every lane named in its wait pairs has published enough progress (a volatile counter per
    /// lane, on its own cache line; the last value seen is cached, so a satisfied wait costs a compare).
    /// The release/acquire pair orders the predecessor's slot writes before the reader's. A failing
    /// lane sets the abort flag, so the others stop instead of waiting for ever.
    /// </summary>
    private const int ProgressPad = 32; // ints between two lanes' progress counters: 128 bytes, a line and its prefetch pair

    private void RunLanes(SlotTable table, Block block, LanePlan plan, TxStatus[] statuses, TxEffect[]? effects)
    {
        int lanes = plan.LaneCount;
        if (lanes == 1)
        {
            // One lane: the block in order on this thread, no waits, no atomics.
            TxEffect scratch = default;
            foreach (int tx in plan.LaneTxs)
            {
                if (statuses[tx] != TxStatus.Ok) continue; // a signature found bad after planning
                var st = new SlotTxState(table, tx, exclusive: true);
                statuses[tx] = TxRules.Apply(ref st, block.Record(tx), ref effects is null ? ref scratch : ref effects[tx]);
            }
            return;
        }
        var progress = new int[(lanes + 1) * ProgressPad];
        var laneStatus = new TxStatus[plan.LaneTxs.Length];
        // Effects, like statuses, are written in lane order and put in block order afterwards.
        var laneEffects = effects is null ? null : new TxEffect[plan.LaneTxs.Length];
        int abort = 0;
        _team.Run(l =>
        {
            if (l >= lanes) return; // the measured lane count may be below the team's size
            try
            {
                RunLane(table, block, plan, statuses, laneStatus, laneEffects, l, progress, ref abort);
            }
            catch
            {
                Volatile.Write(ref abort, 1);
                throw;
            }
        });
        if (abort != 0) throw new InvalidOperationException("a lane stopped early");
        var txs = plan.LaneTxs;
        for (int i = 0; i < txs.Length; i++) statuses[txs[i]] = laneStatus[i];
        if (laneEffects is not null)
            for (int i = 0; i < txs.Length; i++) effects![txs[i]] = laneEffects[i];
    }

    private static void RunLane(SlotTable table, Block block, LanePlan plan, TxStatus[] statuses, TxStatus[] laneStatus, TxEffect[]? laneEffects, int lane, int[] progress, ref int abort)
    {
        TxEffect scratch = default;
        int lanes = plan.LaneCount;
        Span<int> known = lanes <= 256 ? stackalloc int[lanes] : new int[lanes];
        known.Clear();
        var waitStart = plan.WaitStart;
        var waits = plan.Waits;
        var txs = plan.LaneTxs;
        int first = plan.LaneStart[lane], end = plan.LaneStart[lane + 1];
        // Statuses are read and written in lane order: block-order neighbours sit on other lanes,
        // and sharing their cache lines would cost more than the transactions.
        for (int i = first; i < end; i++) laneStatus[i] = statuses[txs[i]];
        ref int mine = ref progress[(lane + 1) * ProgressPad];
        for (int i = first; i < end; i++)
        {
            int tx = txs[i];
            for (int w = waitStart[tx]; w < waitStart[tx + 1]; w += 2)
            {
                int u = waits[w], c = waits[w + 1];
                if (known[u] >= c) continue;
                var spin = new SpinWait();
                int v;
                while ((v = Volatile.Read(ref progress[(u + 1) * ProgressPad])) < c)
                {
                    if (Volatile.Read(ref abort) != 0) return;
                    spin.SpinOnce(sleep1Threshold: -1);
                }
                known[u] = v;
            }
            if (laneStatus[i] == TxStatus.Ok) // a signature found bad after planning is skipped
            {
                var st = new SlotTxState(table, tx, lane);
                laneStatus[i] = TxRules.Apply(ref st, block.Record(tx), ref laneEffects is null ? ref scratch : ref laneEffects[i]);
            }
            Volatile.Write(ref mine, i - first + 1);
        }
    }

    public void Dispose()
    {
        _detector.Dispose();
        _team.Dispose();
    }
}
