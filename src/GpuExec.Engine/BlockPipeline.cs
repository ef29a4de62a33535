using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using GpuExec.Engine.Load;
using GpuExec.Engine.Devices;
using GpuExec.Engine.Execute;
using GpuExec.Engine.Verify;
using GpuExec.Execution;
using GpuExec.State;
using GpuExec.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GpuExec.Engine;

/// <summary>
/// The block pipeline: the one place that runs the stages, in this order, each in the folder of
/// its name (see this project's README):
/// <code>
/// tx_root     Verify/     Merkle root of the raw records, then the whole-block checks (BlockChecks)
/// txids       Verify/     SHA-256 of every record
/// sigverify   Verify/     rules 1-2, then every signature (rule 3)
/// conflicts   Conflicts/  access sets and the exact dependency graph          [lanes]
/// schedule    Schedule/   one lane per thread in block order, cross-lane waits [lanes]
/// execute     Execute/    rules 4-7: lanes over loaded slots, or in block order on one thread
/// state_root  Core/Commitments (kernels: StateRoot/), the sparse Merkle tree updated from the change set
/// </code>
/// The first three need only the block's bytes; the state is read from conflicts on and changed
/// only in the execute stage. A refusal or a cancellation before the execute stage leaves the state
/// exactly as it was; once the execute stage has begun, the block completes.
/// <para>
/// <see cref="ExecuteStreamAsync"/> overlaps consecutive blocks: while block N executes, computes
/// its root and is committed by the caller, block N+1 (and at most <see cref="StreamDepth"/> blocks
/// in all) is already verified on the other cores or the device.
/// </para>
/// <para>Thread-safe. Blocks touch the state one at a time; <see cref="Dispose"/> waits for the
/// running work.</para>
/// </summary>
public sealed class BlockPipeline : IBlockExecutor, IDisposable
{
    /// <summary>Blocks verified ahead of the one executing, in a stream (a bound on the memory held).</summary>
    public const int StreamDepth = 2;

    private readonly ComputeDevice _device;
    private readonly bool _ownsDevice;
    private readonly VerifyStage _verify;
    private readonly LaneExecutor? _lanes;
    private readonly StateRoot.IlgpuHashPlanRunner? _stateRoot;
    private readonly ILogger _logger;
    // One block at a time touches the state (and the lane executor's buffers).
    private readonly Lock _stateGate = new();
    // An ILGPU accelerator is used by one stage at a time (verifying block N+1, detecting block N's conflicts).
    private readonly Lock _deviceGate = new();
    // Every running operation holds it for reading; Dispose takes it for writing, so it waits for them.
    private readonly ReaderWriterLockSlim _life = new(LockRecursionPolicy.SupportsRecursion);
    private bool _disposed;

    /// <summary>Opens the device (<see cref="GpuExecOptions.Device"/>) and loads every kernel once (compiling them is the slow part).</summary>
    /// <exception cref="DeviceUnavailableException">An explicitly requested device is not present.</exception>
    public BlockPipeline(GpuExecOptions options, ILogger<BlockPipeline>? logger = null)
        : this(options, OpenDevice(options, logger), ownsDevice: true, logger, signatures: null)
    {
    }

    /// <summary>Runs on a device the caller opened, keeps open and disposes after the pipeline (several pipelines may share one).</summary>
    public BlockPipeline(GpuExecOptions options, ComputeDevice device, ILogger<BlockPipeline>? logger = null)
        : this(options, device ?? throw new ArgumentNullException(nameof(device)), ownsDevice: false, logger, signatures: null)
    {
    }

    /// <summary>On a shared device with the signatures checked by <paramref name="signatures"/> (not owned) instead of the device's verifier.</summary>
    internal BlockPipeline(GpuExecOptions options, ComputeDevice device, ISignatureVerifier signatures, ILogger? logger = null)
        : this(options, device, ownsDevice: false, logger, signatures)
    {
    }

    private BlockPipeline(GpuExecOptions options, ComputeDevice device, bool ownsDevice, ILogger? logger, ISignatureVerifier? signatures)
    {
        options.Validate();
        _logger = logger ?? NullLogger.Instance;
        _device = device;
        _ownsDevice = ownsDevice;
        Mode = options.Apply != ApplyMode.Auto ? options.Apply
            : device.Accelerator is null ? ApplyMode.InOrder : ApplyMode.Lanes;
        try
        {
            _verify = VerifyStage.For(device, options, signatures);
            if (Mode == ApplyMode.Lanes) _lanes = new LaneExecutor(options.Threads, device.Accelerator, options.Lanes);
            if (device.Accelerator is { } accelerator) _stateRoot = new StateRoot.IlgpuHashPlanRunner(accelerator);
            if (_verify.VerifierKind is { } kind)
            {
                VerifierKind = kind;
                Log.Verifier(_logger, kind.ToName(), _verify.VerifierReason!);
            }
        }
        catch
        {
            _stateRoot?.Dispose();
            _lanes?.Dispose();
            _verify?.Dispose();
            if (ownsDevice) device.Dispose();
            throw;
        }
        DeviceDescription = $"{device.Kind.ToName()} ({device.Info.Name})";
        Log.Ready(_logger, DeviceDescription, options.Threads, Mode.ToString());
    }

    private static ComputeDevice OpenDevice(GpuExecOptions options, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return ComputeDevice.Open(options.Device, logger);
    }

    /// <inheritdoc/>
    public string DeviceDescription { get; }

    /// <summary>
    /// The signature cache (<see cref="GpuExecOptions.SignatureCache"/>): verdicts of transactions
    /// verified before their block arrived, by txid; the sigverify stage takes them and verifies the rest.
    /// </summary>
    public SignatureCache SignatureCache => _verify.Cache;

    /// <summary>Keys whose tables the verifier keeps at most (<see cref="GpuExecOptions.KeyTables"/>; 0 but for the SIMD verifier).</summary>
    internal int KeyTables => _verify.KeyTables;

    /// <summary>Drops what the verifier remembers of public keys (benchmarks start each run cold).</summary>
    internal void ForgetKeyTables() => _verify.ForgetKeyTables();

    /// <summary>
    /// Verifies transaction records as they arrive (a mempool), on this pipeline's verifier, and
    /// remembers each verdict by txid (SHA-256 of the whole record, signature included, so a hit is
    /// exact). Malformed records are not remembered; with <paramref name="chainId"/>, neither are
    /// other chains'. Thread-safe, and may run beside blocks.
    /// </summary>
    public PreVerifyResult PreVerify(IReadOnlyList<ReadOnlyMemory<byte>> records, uint? chainId = null)
    {
        ArgumentNullException.ThrowIfNull(records);
        var result = Running(() => OnDevice(() => _verify.PreVerify(records, chainId)));
        GpuExecTelemetry.PreVerified(result, _device.Kind.ToName());
        return result;
    }

    /// <summary>As <see cref="PreVerify(IReadOnlyList{ReadOnlyMemory{byte}}, uint?)"/> for every record of <paramref name="block"/>.</summary>
    public PreVerifyResult PreVerify(Block block, uint? chainId = null)
    {
        ArgumentNullException.ThrowIfNull(block);
        var result = Running(() => OnDevice(() => _verify.PreVerify(block, chainId)));
        GpuExecTelemetry.PreVerified(result, _device.Kind.ToName());
        return result;
    }

    /// <summary>Records per pre-verification batch: cancellation is honoured between batches.</summary>
    private const int PreVerifyBatch = 16_384;

    /// <inheritdoc/>
    /// <remarks>
    /// On this pipeline's verifier (the device's, or the <c>cpu</c> device's on all cores), in batches
    /// of 16,384 records between which cancellation is honoured; each verdict is remembered in the
    /// signature cache by txid (malformed records and, with <paramref name="chainId"/>, other chains'
    /// are not), so the block that includes the transaction takes it instead of verifying again.
    /// Verdicts of the batches finished before a cancellation stay remembered.
    /// </remarks>
    public Task<PreVerifyReport> PreVerifyAsync(IReadOnlyList<ReadOnlyMemory<byte>> records, uint? chainId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        return Task.Run(() =>
        {
            int n = records.Count;
            var statuses = new Model.TxStatus[n];
            var txids = new byte[32 * (long)n];
            var cached = new bool[n];
            PreVerifyResult total = default;
            cancellationToken.ThrowIfCancellationRequested();
            for (int from = 0; from < n; from += PreVerifyBatch)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int count = Math.Min(PreVerifyBatch, n - from);
                var batch = new ReadOnlyMemory<byte>[count];
                for (int i = 0; i < count; i++) batch[i] = records[from + i];
                var r = Running(() => OnDevice(() => _verify.PreVerify(batch, statuses.AsSpan(from, count), txids.AsSpan(32 * from, 32 * count), cached.AsSpan(from, count), chainId)));
                GpuExecTelemetry.PreVerified(r, _device.Kind.ToName());
                total = new PreVerifyResult(total.Records + r.Records, total.Skipped + r.Skipped, total.AlreadyCached + r.AlreadyCached,
                    total.Verified + r.Verified, total.BadSignatures + r.BadSignatures);
            }
            return PreVerifyReport.From(statuses, txids, cached, total);
        }, cancellationToken);
    }

    /// <summary>How blocks are applied (<see cref="ApplyMode.Auto"/> resolved for the device).</summary>
    public ApplyMode Mode { get; }

    /// <summary>The verifier of the <c>cpu</c> device (<see cref="GpuExecOptions.Verifier"/> resolved); null on ILGPU devices, which verify in kernels.</summary>
    public VerifierKind? VerifierKind { get; }

    /// <summary>The device kind actually in use (never <see cref="DeviceKind.Auto"/>).</summary>
    public DeviceKind DeviceKind => _device.Kind;

    /// <summary>Why <see cref="DeviceKind.Auto"/> chose the device, in words; null for a device named explicitly.</summary>
    internal string? DeviceChoice => _device.ChoiceReason;

    /// <inheritdoc/>
    public Task<BlockExecution> ExecuteAsync(Block block, WorldState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(block);
        ArgumentNullException.ThrowIfNull(state);
        return Task.Run(() => Execute(block, state, cancellationToken), cancellationToken);
    }

    /// <summary>The synchronous form of <see cref="ExecuteAsync"/>, same contract.</summary>
    public BlockExecution Execute(Block block, WorldState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(block);
        ArgumentNullException.ThrowIfNull(state);
        return Running(() =>
        {
            lock (_stateGate)
            {
                // One block: the whole-block checks run right after tx_root, before any more work.
                var clock = NewClock(block, cancellationToken);
                try
                {
                    var verified = Verify(block, state.ChainId, clock, root => Check(state, block, root));
                    return Apply(verified, state, checkFirst: false, adopt: true);
                }
                catch (Exception e)
                {
                    clock.Fail(e);
                    throw;
                }
            }
        });
    }

    /// <inheritdoc/>
    public Task<BlockExecution> ProposeAsync(Block block, IStateReader parent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(block);
        ArgumentNullException.ThrowIfNull(parent);
        return Task.Run(() => Propose(block, parent, cancellationToken), cancellationToken);
    }

    /// <summary>The synchronous form of <see cref="ProposeAsync"/>, same contract.</summary>
    public BlockExecution Propose(Block block, IStateReader parent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(block);
        ArgumentNullException.ThrowIfNull(parent);
        return Running(() =>
        {
            lock (_stateGate)
            {
                var clock = NewClock(block, cancellationToken);
                try
                {
                    var ready = VerifyAndLoad(block, parent.ChainId, parent as ILoadableState, clock, root => Check(parent, block, root), cancellationToken);
                    return Apply(ready.Verified, ready.View ?? parent, checkFirst: false) with { LoadWaitMs = ready.WaitMs };
                }
                catch (Exception e)
                {
                    clock.Fail(e);
                    throw;
                }
            }
        });
    }

    /// <summary>
    /// Applies <paramref name="blocks"/> in order to <paramref name="state"/>, yielding each block's
    /// result as soon as it is applied. While the caller handles a result (a node commits it to its
    /// store), the next blocks are verified. Each block is atomic as with <see cref="Execute"/>: a
    /// refused block throws from the enumerator with the state as the previous block left it, and
    /// no later block is applied. Enumerating <paramref name="blocks"/> (reading files) happens ahead,
    /// on another thread; an exception it throws surfaces in its turn.
    /// </summary>
    public async IAsyncEnumerable<BlockExecution> ExecuteStreamAsync(IEnumerable<Block> blocks, WorldState state,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentNullException.ThrowIfNull(state);
        await foreach (var run in StreamAsync(blocks, state.ChainId, loadable: null, ready => ApplyOne(ready.Verified, state), cancellationToken).ConfigureAwait(false))
            yield return run;
    }

    /// <summary>
    /// Executes <paramref name="blocks"/> in order on <paramref name="state"/> (the in-memory state, or
    /// a store's state on disk) and commits each to it (<see cref="IChainState.Commit"/>: for a store,
    /// one synced batch with its receipts), yielding each block's result once it is committed. While
    /// a block executes and is committed, the next ones are verified and, on a state on disk, their
    /// accounts and state tree buckets loaded (the load stage), which then see the committed block's
    /// writes. A refused block throws from the enumerator with the blocks before it committed.
    /// </summary>
    public async IAsyncEnumerable<BlockExecution> CommitStreamAsync(IEnumerable<Block> blocks, IChainState state,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentNullException.ThrowIfNull(state);
        if (state is WorldState world)
        {
            await foreach (var run in ExecuteStreamAsync(blocks, world, cancellationToken).ConfigureAwait(false)) yield return run;
            yield break;
        }
        await foreach (var run in StreamAsync(blocks, state.ChainId, state as ILoadableState, ready => ApplyAndCommit(ready, state), cancellationToken).ConfigureAwait(false))
            yield return run;
    }

    /// <summary>
    /// The stream both public streams are: blocks verified (and, on a state on disk, loaded) ahead
    /// on another thread, at most <see cref="StreamDepth"/> in flight, each handed to
    /// <paramref name="step"/> in order once the previous one returned; a refusal, a failed read or a
    /// cancellation ends it, and the blocks verified ahead are dropped with their spans ended.
    /// </summary>
    private async IAsyncEnumerable<BlockExecution> StreamAsync(IEnumerable<Block> blocks, uint chainId, ILoadableState? loadable,
        Func<LoadedBlock, BlockExecution> step, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var queue = Channel.CreateBounded<(LoadedBlock? Block, ExceptionDispatchInfo? Error)>(
            new BoundedChannelOptions(StreamDepth - 1) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var producer = Task.Run(() => Produce(blocks, chainId, loadable, queue.Writer, stop.Token), CancellationToken.None);
        try
        {
            while (await queue.Reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                if (!queue.Reader.TryRead(out var item)) continue;
                item.Error?.Throw();
                if (cancellationToken.IsCancellationRequested)
                {
                    item.Block!.Verified.Clock.Fail(new OperationCanceledException(cancellationToken));
                    cancellationToken.ThrowIfCancellationRequested();
                }
                yield return step(item.Block!);
            }
            // The producer stops quietly when cancelled; the caller learns it here.
            cancellationToken.ThrowIfCancellationRequested();
        }
        finally
        {
            stop.Cancel();
            while (queue.Reader.TryRead(out var dropped)) dropped.Block?.Verified.Clock.Fail(null);
            await producer.ConfigureAwait(false);
            while (queue.Reader.TryRead(out var dropped)) dropped.Block?.Verified.Clock.Fail(null);
        }
    }

    /// <summary>Applies a verified and loaded block to <paramref name="state"/> and commits it there, the commit timed as its stage.</summary>
    private BlockExecution ApplyAndCommit(LoadedBlock ready, IChainState state) =>
        Running(() =>
        {
            lock (_stateGate)
            {
                var clock = ready.Verified.Clock;
                BlockExecution r;
                try { r = Apply(ready.Verified, ready.View ?? state, checkFirst: true) with { LoadWaitMs = ready.WaitMs }; }
                catch (Exception e)
                {
                    clock.Fail(e);
                    throw;
                }
                clock.Begin(StageTimings.Commit);
                state.Commit(r.Block, r.Result, r.State!);
                clock.End();
                return r;
            }
        });

    /// <summary>Verifies a block while the load stage reads what it declares from a state on disk.</summary>
    private LoadedBlock VerifyAndLoad(Block block, uint chainId, ILoadableState? loadable, StageClock clock, Action<Wire.Hash32>? checks, CancellationToken stop)
    {
        var load = LoadStage.Start(loadable, block, stop);
        VerifiedBlock verified;
        try { verified = Verify(block, chainId, clock, checks); }
        catch
        {
            LoadStage.Abandon(load);
            throw;
        }
        return LoadStage.Join(verified, load);
    }

    private async Task Produce(IEnumerable<Block> blocks, uint chainId, ILoadableState? loadable, ChannelWriter<(LoadedBlock?, ExceptionDispatchInfo?)> writer, CancellationToken stop)
    {
        try
        {
            using var e = blocks.GetEnumerator();
            while (!stop.IsCancellationRequested)
            {
                LoadedBlock verified;
                StageClock? clock = null;
                try
                {
                    if (!e.MoveNext()) break;
                    var block = e.Current ?? throw new ArgumentException("a block of the sequence is null", nameof(blocks));
                    clock = NewClock(block, stop);
                    verified = Running(() => VerifyAndLoad(block, chainId, loadable, clock, checks: null, stop));
                }
                catch (OperationCanceledException ex) when (stop.IsCancellationRequested)
                {
                    clock?.Fail(ex);
                    break;
                }
                catch (Exception ex)
                {
                    clock?.Fail(ex);
                    await writer.WriteAsync((null, ExceptionDispatchInfo.Capture(ex)), CancellationToken.None).ConfigureAwait(false);
                    break;
                }
                try { await writer.WriteAsync((verified, null), stop).ConfigureAwait(false); }
                catch (OperationCanceledException ex)
                {
                    verified.Verified.Clock.Fail(ex);
                    break;
                }
            }
        }
        finally { writer.TryComplete(); }
    }

    private BlockExecution ApplyOne(VerifiedBlock verified, WorldState state) =>
        Running(() =>
        {
            lock (_stateGate)
            {
                try { return Apply(verified, state, checkFirst: true, adopt: true); }
                catch (Exception e)
                {
                    verified.Clock.Fail(e);
                    throw;
                }
            }
        });

    private StageClock NewClock(Block block, CancellationToken cancellationToken) =>
        new(_logger, block.Header.Height, block.Count, cancellationToken, _device.Kind.ToName());

    private VerifiedBlock Verify(Block block, uint chainId, StageClock clock, Action<Wire.Hash32>? checks) =>
        OnDevice(() => _verify.Run(block, chainId, clock, checks));

    /// <summary>Runs <paramref name="work"/> as one of the pipeline's running operations, which <see cref="Dispose"/> waits for.</summary>
    private T Running<T>(Func<T> work)
    {
        Enter();
        try { return work(); }
        finally { _life.ExitReadLock(); }
    }

    /// <summary>Runs <paramref name="work"/>, which uses the accelerator, alone on it (no lock without one).</summary>
    private T OnDevice<T>(Func<T> work)
    {
        if (_device.Accelerator is null) return work();
        lock (_deviceGate) return work();
    }

    private void Check(IStateReader state, Block block, Wire.Hash32 txRoot)
    {
        try
        {
            BlockChecks.Check(state, block, txRoot);
        }
        catch (BlockRejectedException e)
        {
            Log.Refused(_logger, block.Header.Height, e.Message);
            throw;
        }
    }

    /// <summary>
    /// The stages that read the state and make the block's change set and root. On a
    /// <see cref="WorldState"/> the state adopts them; on any other reader (a proposal's parent) the
    /// result carries the state after the block as a <see cref="PendingState"/> and nothing changes.
    /// The caller holds the state gate.
    /// </summary>
    private BlockExecution Apply(VerifiedBlock verified, IStateReader state, bool checkFirst, bool adopt = false)
    {
        var block = verified.Block;
        var clock = verified.Clock;
        var statuses = verified.Statuses;
        int n = block.Count;
        if (checkFirst) Check(state, block, verified.TxRoot);
        ScheduleStats stats;
        ChangeSet changes;
        var effects = new TxEffect[n];
        if (_lanes is { } lanes)
        {
            clock.Begin(StageTimings.Conflicts);
            var (sets, graph) = OnDevice(() => lanes.DetectConflicts(state, block, statuses));
            clock.End();

            clock.Begin(StageTimings.Schedule);
            var plan = lanes.Plan(sets, graph);
            clock.End();

            clock.Begin(StageTimings.Execute);
            changes = lanes.Execute(block, sets, graph, plan, statuses, effects);
            clock.End();
            stats = lanes.LastStats;
        }
        else
        {
            // Nothing runs side by side, so there are no conflicts to find and nothing to schedule.
            clock.Skip(StageTimings.Conflicts);
            clock.Skip(StageTimings.Schedule);
            clock.Begin(StageTimings.Execute);
            (changes, int applied) = SequentialExecutor.ApplyInOrder(state, block, statuses, effects);
            clock.End();
            stats = new ScheduleStats(n, applied, 0, 0, 0, Lanes: 1);
        }

        // The state adopts the change set and its tree computes the new root from it alone (on an
        // ILGPU device the tree's hashes run as kernels, one launch per level).
        clock.Begin(StageTimings.StateRoot);
        PendingState? pending = null;
        Wire.Hash32 stateRoot;
        var runner = _stateRoot;
        if (adopt)
        {
            var world = (WorldState)state;
            stateRoot = runner is not null ? OnDevice(() => world.Apply(changes, block.Header.Height, runner)) : world.Apply(changes, block.Header.Height);
        }
        else
        {
            pending = runner is not null
                ? OnDevice(() => PendingState.Create(state, changes, block.Header.Height, runner))
                : PendingState.Create(state, changes, block.Header.Height, null);
            stateRoot = pending.StateRoot;
        }
        clock.End();

        Log.Schedule(_logger, block.Header.Height, n, stats.Scheduled, stats.Lanes, stats.CriticalPath, stats.EffectiveParallelism);
        Log.Done(_logger, block.Header.Height, DeviceDescription, n, clock.Timings.TotalMs, verified.Stats.CacheHits, verified.Stats.Verified, stateRoot.ToHex());
        return clock.Finish(new BlockExecution(block, new BlockResult(statuses, verified.TxIds, stateRoot) { Changes = changes, Effects = effects }, clock.Timings, stats) { Verify = verified.Stats, State = pending });
    }

    private void Enter()
    {
        _life.EnterReadLock();
        if (!_disposed) return;
        _life.ExitReadLock();
        throw new ObjectDisposedException(nameof(BlockPipeline));
    }

    /// <summary>Waits for running blocks to finish, then releases the device (if the pipeline opened it); later calls throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        _life.EnterWriteLock();
        try
        {
            if (_disposed) return;
            _disposed = true;
            _lanes?.Dispose();
            _stateRoot?.Dispose();
            _verify.Dispose();
            if (_ownsDevice) _device.Dispose();
        }
        finally { _life.ExitWriteLock(); }
    }
}
