using System.Diagnostics;
using GpuExec.Engine.Conflicts;
using GpuExec.Engine.Verify;
using GpuExec.Engine.Schedule;
using GpuExec.Execution;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;
using ILGPU.Runtime;

namespace GpuExec.Engine.Execute;

/// <summary>Settings of a <see cref="ParallelExecutor"/>.</summary>
public sealed class ParallelExecutorOptions
{
    /// <summary>Worker threads for verification, loading and execution (1 runs everything on the caller's thread).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;
    /// <summary>Accelerator for conflict detection (its context needs <c>EnableAlgorithms()</c>), or null for the plain CPU path. The executor does not own it.</summary>
    public Accelerator? Accelerator { get; init; }
    /// <summary>Lanes (default), level batches or a dependency-counting DAG.</summary>
    public ScheduleMode Schedule { get; init; } = ScheduleMode.Lanes;
    /// <summary>
    /// Lanes mode: how many lanes (at most <see cref="Threads"/>). 0 (default): chosen by measurement,
    /// per executor (<see cref="LaneTuner"/>): on some machines one core applying the block from the
    /// dense slots outruns several cores that share those slots' cache lines.
    /// </summary>
    public int Lanes { get; init; }
    /// <summary>Lanes mode: the simulated cost of a cross-lane dependency, in transfers (see <see cref="LaneScheduler"/>).</summary>
    public int LaneSlack { get; init; } = LaneScheduler.DefaultSlack;
    /// <summary>Batches smaller than this run on the calling thread: handing them to workers costs more than it saves.</summary>
    public int MinParallelBatch { get; init; } = 256;
}

/// <summary>How <see cref="ParallelExecutor.ExecutePlan"/> orders the work.</summary>
public enum ScheduleMode
{
    /// <summary>One lane per thread in block order, cross-lane dependencies as waits on progress counters (<see cref="LaneScheduler"/>).</summary>
    Lanes,
    /// <summary>Level batches, a barrier between levels.</summary>
    Levels,
    /// <summary>Dependency counting: each transaction starts when its own predecessors are done.</summary>
    Dag,
}

/// <summary>Schedule figures of one block.</summary>
/// <param name="Transactions">All transactions of the block.</param>
/// <param name="Scheduled">Those that ran the stateful rules (the others were decided statelessly).</param>
/// <param name="Batches">Level batches executed one after the other (0 in lanes mode, which has none).</param>
/// <param name="CriticalPath">Longest dependency chain, in transactions.</param>
/// <param name="Records">Access records (distinct keys per transaction, summed).</param>
/// <param name="Slots">Distinct state keys the block touches.</param>
/// <param name="Lanes">Lanes (threads, each running its transactions in block order) that applied the block; 0 with level batches or the DAG.</param>
public readonly record struct ScheduleStats(int Transactions, int Scheduled, int Batches, int CriticalPath, int Records, int Slots, int Lanes = 0)
{
    /// <summary>Scheduled transactions per step of the critical path.</summary>
    public double EffectiveParallelism => CriticalPath == 0 ? 0 : (double)Scheduled / CriticalPath;
}

/// <summary>
/// Executes a block on all cores with results identical to <see cref="SequentialExecutor"/>.
/// <para>Stages, each public so a pipeline can time or replace it:</para>
/// <list type="number">
/// <item><see cref="CheckBlock"/>: tx_root and the whole-block checks; a refusal changes nothing.</item>
/// <item><see cref="Precheck"/> (MALFORMED, WRONG_CHAIN), then <see cref="VerifySignatures"/> (libsodium, parallel)
/// or <see cref="ApplyVerdicts"/> (verdicts computed elsewhere, e.g. on a GPU).</item>
/// <item><see cref="BuildAccessSets"/>: declared keys and modes; reads the state only.</item>
/// <item><see cref="DetectConflicts"/>: sort, boundaries, scans (ILGPU kernels or plain C#).</item>
/// <item><see cref="Plan"/>: lanes or level batches.</item>
/// <item><see cref="ExecutePlan"/>: load slots, run the batches through <see cref="TxRules.Apply{TState}"/>, write back.</item>
/// </list>
/// Not thread-safe: one block at a time per instance.
/// </summary>
public sealed class ParallelExecutor : IDisposable
{
    private readonly ConflictDetector _detector;
    private readonly ParallelOptions _parallel;
    private readonly WorkerTeam _team;
    private readonly LaneTuner? _tuner;

    public ParallelExecutor(ParallelExecutorOptions? options = null)
    {
        Options = options ?? new ParallelExecutorOptions();
        if (Options.Threads < 1) throw new ArgumentOutOfRangeException(nameof(options), "Threads must be at least 1");
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = Options.Threads };
        _detector = new ConflictDetector(Options.Accelerator);
        if (Options.Lanes < 0) throw new ArgumentOutOfRangeException(nameof(options), "Lanes must be 0 (measured) or positive");
        _team = new WorkerTeam(Options.Threads);
        if (Options.Schedule == ScheduleMode.Lanes && Options.Lanes == 0 && Options.Threads > 1) _tuner = new LaneTuner(Options.Threads);
    }

    public ParallelExecutorOptions Options { get; }

    /// <summary>The schedule figures of the last block executed.</summary>
    public ScheduleStats LastStats { get; private set; }

    /// <summary>
    /// Same contract as <see cref="SequentialExecutor.Execute"/>: checks the block, applies it in
    /// place and returns the receipts and new root. A refused block throws
    /// <see cref="BlockRejectedException"/> before anything changes.
    /// </summary>
    /// <param name="verifySignatures">False only for benchmarks: every signature is then taken as valid.</param>
    public BlockResult Execute(WorldState state, Block block, bool verifySignatures = true, string source = "block")
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(block);
        CheckBlock(state, block, source);
        var statuses = Precheck(block, state.ChainId);
        if (verifySignatures) VerifySignatures(block, statuses);
        return Run(state, block, statuses);
    }

    /// <summary>
    /// As <see cref="Execute(WorldState, Block, bool, string)"/>, with signature verdicts computed
    /// elsewhere: <c>verdicts[i]</c> is libsodium's verdict for transaction i (read only where the
    /// transaction is well-formed and on the right chain).
    /// </summary>
    public BlockResult Execute(WorldState state, Block block, ReadOnlySpan<bool> verdicts, string source = "block")
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(block);
        CheckBlock(state, block, source);
        var statuses = Precheck(block, state.ChainId);
        ApplyVerdicts(verdicts, statuses);
        return Run(state, block, statuses);
    }

    private BlockResult Run(WorldState state, Block block, TxStatus[] statuses)
    {
        var sets = BuildAccessSets(state, block, statuses);
        var graph = DetectConflicts(sets);
        var plan = Plan(sets, graph);
        ExecutePlan(state, block, sets, graph, plan, statuses);
        var txids = ComputeTxIds(block);
        state.Height = block.Header.Height;
        return new BlockResult(statuses, txids, state.ComputeStateRoot());
    }

    /// <summary>Stage 1: tx_root and <see cref="BlockChecks"/>; throws <see cref="BlockRejectedException"/>.</summary>
    public static void CheckBlock(WorldState state, Block block, string source = "block")
    {
        BlockChecks.Check(state, block, source);
    }

    /// <summary>Stage 2a: rules 1-2 (MALFORMED, WRONG_CHAIN); <see cref="TxStatus.Ok"/> for the rest.</summary>
    public static TxStatus[] Precheck(Block block, uint chainId)
    {
        ArgumentNullException.ThrowIfNull(block);
        var statuses = new TxStatus[block.Count];
        for (int i = 0; i < statuses.Length; i++) statuses[i] = TxRules.Precheck(block.Record(i), chainId);
        return statuses;
    }

    /// <summary>Stage 2b: rule 3 with libsodium on the worker threads: BAD_SIGNATURE where a still-Ok transaction's signature fails.</summary>
    public void VerifySignatures(Block block, TxStatus[] statuses)
    {
        ArgumentNullException.ThrowIfNull(block);
        ArgumentNullException.ThrowIfNull(statuses);
        var verdicts = new bool[block.Count];
        new CpuSignatureVerifier(Options.Threads).Verify(block.Data, SignatureJobs.ForBlock(block, statuses), verdicts);
        ApplyVerdicts(verdicts, statuses);
    }

    /// <summary>Stage 2b with precomputed verdicts: BAD_SIGNATURE where a still-Ok transaction's verdict is false.</summary>
    public static void ApplyVerdicts(ReadOnlySpan<bool> verdicts, Span<TxStatus> statuses)
    {
        if (verdicts.Length != statuses.Length) throw new ArgumentException("one verdict per transaction", nameof(verdicts));
        for (int i = 0; i < statuses.Length; i++)
            if (statuses[i] == TxStatus.Ok && !verdicts[i]) statuses[i] = TxStatus.BadSignature;
    }

    /// <summary>Stage 3: access sets of the transactions still <see cref="TxStatus.Ok"/>; the state is only read.</summary>
    public static AccessSets BuildAccessSets(WorldState state, Block block, ReadOnlySpan<TxStatus> statuses) =>
        AccessSetBuilder.Build(state, block, statuses);

    /// <summary>Stage 4: the dependency graph, on the accelerator if one was given.</summary>
    public ConflictGraph DetectConflicts(AccessSets sets) => _detector.Detect(sets);

    /// <summary>Stage 5: lanes (one per thread) or level batches, as <see cref="ParallelExecutorOptions.Schedule"/> says.</summary>
    public ExecutionPlan Plan(AccessSets sets, ConflictGraph graph)
    {
        ArgumentNullException.ThrowIfNull(sets);
        if (Options.Schedule != ScheduleMode.Lanes) return LevelScheduler.Plan(sets, graph);
        int lanes = _tuner?.Choose(sets.ScheduledCount) ?? Math.Min(Options.Threads, Options.Lanes == 0 ? Options.Threads : Options.Lanes);
        return new ExecutionPlan(LaneScheduler.Plan(sets, graph, lanes, Options.LaneSlack));
    }

    /// <summary>
    /// Stage 6: loads the touched values into slots, runs the plan (lanes, each on a thread of its
    /// own, or batches in order, each on the worker threads), writes the slots back into <paramref name="state"/> and fills the scheduled
    /// transactions' statuses. A planned transaction whose status is no longer <see cref="TxStatus.Ok"/>
    /// (its signature was found bad after the access sets were built, as when verification overlaps
    /// planning) is skipped: its keys only over-constrain the order. Does not set the height or
    /// compute the root.
    /// </summary>
    public void ExecutePlan(WorldState state, Block block, AccessSets sets, ConflictGraph graph, ExecutionPlan plan, TxStatus[] statuses)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(block);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(statuses);
        var table = SlotTable.Load(sets, graph, _parallel);
        int threads = Options.Threads;
        if (plan.Lanes is { } lanes)
        {
            if (lanes.LaneCount > threads) throw new ArgumentException($"the plan has {lanes.LaneCount} lanes, the executor only {threads} threads", nameof(plan));
            table.PrepareLanes(lanes.LaneCount);
            long t0 = Stopwatch.GetTimestamp();
            RunLanes(table, block, lanes, statuses);
            _tuner?.Record(lanes.LaneCount, lanes.ScheduledCount, Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            table.FoldDeltas();
            table.WriteBack(state, _parallel);
            LastStats = new ScheduleStats(block.Count, plan.ScheduledCount, 0, plan.CriticalPath, graph.RecordCount, graph.UniqueCount, lanes.LaneCount);
            return;
        }
        if (plan.BatchCount == 0 && plan.ScheduledCount > 0) throw new ArgumentException("the plan has no batches", nameof(plan));
        if (Options.Schedule == ScheduleMode.Dag && threads > 1)
        {
            RunDag(table, block, graph, DagSchedule.Build(sets, graph, plan), statuses);
            table.WriteBack(state, _parallel);
            LastStats = new ScheduleStats(block.Count, plan.ScheduledCount, plan.BatchCount, plan.CriticalPath, graph.RecordCount, graph.UniqueCount);
            return;
        }
        int minParallel = Math.Max(1, Options.MinParallelBatch);
        for (int b = 0; b < plan.BatchCount; b++)
        {
            int start = plan.BatchStart[b], end = plan.BatchStart[b + 1];
            int count = end - start;
            if (threads == 1 || count < minParallel)
            {
                RunRange(table, block, plan.BatchTxs, start, end, statuses);
                continue;
            }
            int chunks = Math.Min(count / 32 + 1, threads * 4);
            int per = (count + chunks - 1) / chunks;
            var txs = plan.BatchTxs;
            Parallel.For(0, chunks, _parallel, c =>
            {
                int s = start + c * per;
                RunRange(table, block, txs, s, Math.Min(end, s + per), statuses);
            });
        }
        table.WriteBack(state, _parallel);
        LastStats = new ScheduleStats(block.Count, plan.ScheduledCount, plan.BatchCount, plan.CriticalPath, graph.RecordCount, graph.UniqueCount);
    }

    /// <summary>
    /// Dependency-counting execution: a single-use MPMC ring of ready transactions (each is pushed
    /// exactly once), counters decremented with <see cref="Interlocked"/>; the decrement chain orders
    /// every transaction after its predecessors' writes.
    /// </summary>
    private void RunDag(SlotTable table, Block block, ConflictGraph graph, DagSchedule dag, TxStatus[] statuses)
    {
        int total = dag.ScheduledCount;
        var ready = new int[Math.Max(1, total)];
        ready.AsSpan().Fill(-1);
        dag.Roots.CopyTo(ready, 0);
        int tail = dag.Roots.Length, head = 0;
        var runPending = (int[])dag.RunSize.Clone();
        var txPending = (int[])dag.InitialPending.Clone();
        var pred = graph.PredRange;
        var sorted = graph.SortedValues;
        var slotPos = graph.RecordSlotAndPosition;
        int m = graph.RecordCount;
        Parallel.For(0, Options.Threads, _parallel, _ =>
        {
            var spin = new SpinWait();
            while (true)
            {
                int h = Volatile.Read(ref head);
                if (h >= total) return;
                if (h >= Volatile.Read(ref tail)) { spin.SpinOnce(); continue; }
                if (Interlocked.CompareExchange(ref head, h + 1, h) != h) continue;
                int tx;
                while ((tx = Volatile.Read(ref ready[h])) < 0) spin.SpinOnce(); // reserved, not yet written
                spin.Reset();
                if (statuses[tx] == TxStatus.Ok) // a signature found bad after planning is skipped
                {
                    var st = new SlotTxState(table, tx);
                    statuses[tx] = TxRules.Apply(ref st, block.Record(tx));
                }
                for (int k = 0; k < AccessSets.Stride; k++)
                {
                    int p = slotPos[2 * (tx * AccessSets.Stride + k) + 1];
                    if (p < 0) continue;
                    int run = pred[2 * p + 1];
                    if (Interlocked.Decrement(ref runPending[run]) != 0) continue;
                    int next = run + dag.RunSize[run];
                    if (next >= m || pred[2 * next] != run || pred[2 * next + 1] != next) continue; // last run of its key
                    int nextEnd = next + dag.RunSize[next];
                    for (int q = next; q < nextEnd; q++)
                    {
                        int t = (sorted[q] >> 2) / AccessSets.Stride;
                        if (Interlocked.Decrement(ref txPending[t]) == 0)
                            Volatile.Write(ref ready[Interlocked.Increment(ref tail) - 1], t);
                    }
                }
            }
        });
    }

    /// <summary>
    /// Lane execution: thread <c>l</c> runs lane <c>l</c> in order; before each transaction it waits
    /// until every lane named in its wait pairs has published enough progress (a volatile counter per
    /// lane, on its own cache line; the last value seen is cached, so a satisfied wait costs a compare).
    /// The release/acquire pair orders the predecessor's slot writes before the reader's. A failing
    /// lane sets the abort flag, so the others stop instead of waiting for ever.
    /// </summary>
    private const int ProgressPad = 32; // ints between two lanes' progress counters: 128 bytes, a line and its prefetch pair

    private void RunLanes(SlotTable table, Block block, LanePlan plan, TxStatus[] statuses)
    {
        int lanes = plan.LaneCount;
        if (lanes == 1)
        {
            // One lane: the block in order on this thread, no waits, no atomics.
            foreach (int tx in plan.LaneTxs)
            {
                if (statuses[tx] != TxStatus.Ok) continue; // a signature found bad after planning
                var st = new SlotTxState(table, tx, exclusive: true);
                statuses[tx] = TxRules.Apply(ref st, block.Record(tx));
            }
            return;
        }
        var progress = new int[(lanes + 1) * ProgressPad];
        var laneStatus = new TxStatus[plan.LaneTxs.Length];
        int abort = 0;
        _team.Run(l =>
        {
            if (l >= lanes) return; // the measured lane count may be below the team's size
            try
            {
                RunLane(table, block, plan, statuses, laneStatus, l, progress, ref abort);
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
    }

    private static void RunLane(SlotTable table, Block block, LanePlan plan, TxStatus[] statuses, TxStatus[] laneStatus, int lane, int[] progress, ref int abort)
    {
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
                laneStatus[i] = TxRules.Apply(ref st, block.Record(tx));
            }
            Volatile.Write(ref mine, i - first + 1);
        }
    }

    private static void RunRange(SlotTable table, Block block, int[] txs, int start, int end, TxStatus[] statuses)
    {
        for (int j = start; j < end; j++)
        {
            int tx = txs[j];
            if (statuses[tx] != TxStatus.Ok) continue; // a signature found bad after planning
            var st = new SlotTxState(table, tx);
            statuses[tx] = TxRules.Apply(ref st, block.Record(tx));
        }
    }

    /// <summary>txid = SHA-256(record) for every transaction, on the worker threads.</summary>
    public byte[] ComputeTxIds(Block block)
    {
        ArgumentNullException.ThrowIfNull(block);
        var txids = new byte[block.Count * 32];
        CpuHasher.Instance.Sha256(block.Data, HashJobs.ForRecords(block), txids);
        return txids;
    }

    public void Dispose()
    {
        _detector.Dispose();
        _team.Dispose();
    }
}
