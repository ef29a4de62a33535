using System.Diagnostics;
using GpuExec.Engine.Conflicts;
using GpuExec.Engine.Devices;
using GpuExec.Engine.Execute;
using GpuExec.Engine.Verify;
using GpuExec.Execution;
using GpuExec.Kernels.Verify;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GpuExec.Engine;

/// <summary>
/// The block pipeline, one stage per place in the source tree:
/// <code>
/// tx_root     Verify/  IHasher.MerkleRoot over the raw records (device or CPU)   then BlockChecks
/// txids       Verify/  IHasher.Sha256 of every record
/// sigverify   Verify/  ISignatureVerifier over the records in place (rules 1-3)
/// conflicts   Conflicts/  access sets, sort by key, dependency graph (device or CPU)   [parallel mode]
/// schedule    Schedule/   one lane per thread in block order, cross-lane waits          [parallel mode]
/// execute     Execute/    lanes on the worker threads over loaded slots, then write-back, or
///                         the rules in block order on one thread (in-order mode)      (the commit step)
/// state_root  Core/Commitments, incremental over changed accounts
/// </code>
/// The state is touched only in the execute stage; everything before it can be cancelled or
/// refused with the state unchanged. In parallel mode, verification runs on the device while the
/// host builds the access sets; <see cref="StageTimings"/> then times each from its own start, so
/// sigverify and conflicts overlap and their sum can exceed the block's total.
/// </summary>
public sealed class BlockPipeline : IBlockExecutor, IDisposable
{
    private readonly ComputeDevice _device;
    private readonly ISignatureVerifier _verifier;
    private readonly IHasher _hasher;
    private readonly ParallelExecutor _executor;
    private readonly ILogger _logger;
    private readonly GpuExecOptions _options;

    /// <summary>Opens the device and loads every kernel once (compiling them is the slow part).</summary>
    /// <exception cref="DeviceUnavailableException">An explicitly requested device is not present.</exception>
    public BlockPipeline(GpuExecOptions options, ILogger<BlockPipeline>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _device = ComputeDevice.Open(options.Device, _logger);
        try
        {
            if (_device.Accelerator is { } acc)
            {
                _verifier = new IlgpuSignatureVerifier(acc, options.VerifyChunkSize);
                _hasher = new IlgpuHasher(acc);
            }
            else
            {
                _verifier = VerifierSelection.Create(options.Verifier, options.Threads, out var kind, out string reason);
                VerifierKind = kind;
                Log.Verifier(_logger, kind.ToName(), reason);
                _hasher = CpuHasher.Instance;
            }
            _executor = new ParallelExecutor(new ParallelExecutorOptions
            {
                Threads = options.Threads,
                Accelerator = _device.Accelerator,
                MinParallelBatch = options.MinParallelBatch,
                Lanes = Math.Min(options.Lanes, options.Threads),
            });
        }
        catch
        {
            (_verifier as IDisposable)?.Dispose();
            (_hasher as IDisposable)?.Dispose();
            _device.Dispose();
            throw;
        }
        DeviceDescription = $"{_device.Kind.ToName()} ({_device.Info.Name})";
        Mode = options.Execute != ExecuteMode.Auto ? options.Execute
            : _device.Accelerator is null ? ExecuteMode.InOrder : ExecuteMode.Parallel;
        Log.Ready(_logger, DeviceDescription, options.Threads, Mode.ToString());
    }

    public string DeviceDescription { get; }

    /// <summary>The verifier of the <c>cpu</c> device (<see cref="GpuExecOptions.Verifier"/> resolved); null on ILGPU devices, which verify in kernels.</summary>
    public VerifierKind? VerifierKind { get; }

    /// <summary>How blocks are applied (<see cref="ExecuteMode.Auto"/> resolved for the device).</summary>
    public ExecuteMode Mode { get; }

    /// <summary>The device kind actually in use (never <see cref="DeviceKind.Auto"/>).</summary>
    public DeviceKind DeviceKind => _device.Kind;

    public Task<BlockExecution> ExecuteAsync(Block block, WorldState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(block);
        ArgumentNullException.ThrowIfNull(state);
        return Task.Run(() => Execute(block, state, cancellationToken), cancellationToken);
    }

    /// <summary>The synchronous form of <see cref="ExecuteAsync"/>, same contract.</summary>
    /// <param name="source">Names the block in a refusal's message (e.g. its file path).</param>
    /// <remarks>Blocks run one at a time: the device buffers are reused, so concurrent calls wait for each other.</remarks>
    public BlockExecution Execute(Block block, WorldState state, CancellationToken cancellationToken = default, string source = "block")
    {
        ArgumentNullException.ThrowIfNull(block);
        ArgumentNullException.ThrowIfNull(state);
        lock (_gate)
        {
            return ExecuteOne(block, state, cancellationToken, source);
        }
    }

    private readonly Lock _gate = new();

    private BlockExecution ExecuteOne(Block block, WorldState state, CancellationToken cancellationToken, string source)
    {
        var stages = new StageTimings();
        ulong height = block.Header.Height;
        int n = block.Count;
        var total = Stopwatch.StartNew();
        var sw = Stopwatch.StartNew();

        // tx_root, then the whole-block checks: a refusal leaves everything as it was.
        Checkpoint(StageTimings.TxRoot);
        var leaves = HashJobs.ForRecords(block);
        Span<byte> root = stackalloc byte[32];
        _hasher.MerkleRoot(block.Data, leaves, root);
        try
        {
            BlockChecks.Check(state, block, new Hash32(root), source);
        }
        catch (BlockRejectedException e)
        {
            Log.Refused(_logger, height, e.Message);
            throw;
        }
        End(StageTimings.TxRoot);

        Checkpoint(StageTimings.TxIds);
        var txids = new byte[n * 32];
        _hasher.Sha256(block.Data, leaves, txids);
        End(StageTimings.TxIds);

        Checkpoint(StageTimings.SigVerify);
        var statuses = ParallelExecutor.Precheck(block, state.ChainId);
        var jobs = SignatureJobs.ForBlock(block, statuses);
        var verdicts = new bool[n];

        ScheduleStats stats;
        if (Mode == ExecuteMode.Parallel)
        {
            // Verification (on the device) overlaps building the access sets (on the host). The sets
            // are built from the precheck alone, so a transaction whose signature turns out bad still
            // has keys: they only over-constrain the order, and execution skips it.
            var verifyClock = Stopwatch.StartNew();
            var verify = Task.Run(() =>
            {
                _verifier.Verify(block.Data, jobs, verdicts);
                return verifyClock.Elapsed.TotalMilliseconds;
            }, CancellationToken.None);
            var setsClock = Stopwatch.StartNew();
            AccessSets sets;
            double setsMs;
            try
            {
                sets = ParallelExecutor.BuildAccessSets(state, block, statuses);
                setsMs = setsClock.Elapsed.TotalMilliseconds;
            }
            finally
            {
                // Never leave the device working on buffers this call owns.
                verify.GetAwaiter().GetResult();
            }
            ParallelExecutor.ApplyVerdicts(verdicts, statuses);
            stages[StageTimings.SigVerify] = verify.Result;
            Log.Stage(_logger, height, StageTimings.SigVerify, verify.Result, n);

            Checkpoint(StageTimings.Conflicts);
            var graph = _executor.DetectConflicts(sets);
            End(StageTimings.Conflicts, extraMs: setsMs);

            Checkpoint(StageTimings.Schedule);
            var plan = _executor.Plan(sets, graph);
            End(StageTimings.Schedule);

            // The commit step: from here on the block is applied whole.
            Checkpoint(StageTimings.Execute);
            _executor.ExecutePlan(state, block, sets, graph, plan, statuses);
            state.Height = height;
            End(StageTimings.Execute);
            stats = _executor.LastStats;
        }
        else
        {
            _verifier.Verify(block.Data, jobs, verdicts);
            ParallelExecutor.ApplyVerdicts(verdicts, statuses);
            End(StageTimings.SigVerify);

            // No conflicts to find when nothing runs side by side: the stages are empty.
            Checkpoint(StageTimings.Conflicts);
            End(StageTimings.Conflicts);
            Checkpoint(StageTimings.Schedule);
            End(StageTimings.Schedule);

            Checkpoint(StageTimings.Execute);
            int applied = SequentialExecutor.ApplyInOrder(state, block, statuses);
            state.Height = height;
            End(StageTimings.Execute);
            stats = new ScheduleStats(n, applied, 0, applied, 0, 0, Lanes: 1);
        }

        var stateRoot = state.ComputeStateRoot();
        End(StageTimings.StateRoot);

        Log.Schedule(_logger, height, n, stats.Batches, stats.Lanes, stats.CriticalPath, stats.EffectiveParallelism);
        Log.Done(_logger, height, DeviceDescription, n, total.Elapsed.TotalMilliseconds, stateRoot.ToHex());
        return new BlockExecution(new BlockResult(statuses, txids, stateRoot), stages, stats);

        void Checkpoint(string stage)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                Log.Cancelled(_logger, height, stage);
                cancellationToken.ThrowIfCancellationRequested();
            }
            sw.Restart();
        }

        void End(string stage, double extraMs = 0)
        {
            double ms = sw.Elapsed.TotalMilliseconds + extraMs;
            stages[stage] = ms;
            Log.Stage(_logger, height, stage, ms, n);
            sw.Restart();
        }
    }

    public void Dispose()
    {
        _executor.Dispose();
        (_verifier as IDisposable)?.Dispose();
        (_hasher as IDisposable)?.Dispose();
        _device.Dispose();
    }
}
