using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace GpuExec.Engine;

/// <summary>
/// Times, logs, traces and checks cancellation for one block's stages, once per stage, so that no
/// stage does it by hand. Cancellation is honoured at the start of every stage up to and including
/// <see cref="StageTimings.Execute"/>; once the execute stage has begun the block completes whole.
/// The block's span (<see cref="GpuExecTelemetry"/>) begins with the clock and ends with
/// <see cref="Finish"/> or <see cref="Fail"/>; each stage is a child span and a duration measurement.
/// </summary>
internal sealed class StageClock
{
    private readonly ILogger _logger;
    private readonly ulong _height;
    private readonly int _transactions;
    private readonly CancellationToken _cancellationToken;
    private readonly string _device;
    private readonly Stopwatch _stage = new();
    private readonly Activity? _block;
    private Activity? _stageSpan;
    private string? _current;
    private bool _committed;
    private int _ended;

    /// <param name="device">The device kind's name, the telemetry's device tag.</param>
    public StageClock(ILogger logger, ulong height, int transactions, CancellationToken cancellationToken, string device = "")
    {
        _logger = logger;
        _height = height;
        _transactions = transactions;
        _cancellationToken = cancellationToken;
        _device = device;
        _block = GpuExecTelemetry.StartDetached(GpuExecTelemetry.BlockSpan);
        _block?.SetTag("gpuexec.height", height).SetTag("gpuexec.transactions", transactions).SetTag(GpuExecTelemetry.DeviceTag, device);
    }

    public StageTimings Timings { get; } = new();
    public ulong Height => _height;
    public int Transactions => _transactions;

    /// <summary>Starts <paramref name="stage"/>; before the execute stage has begun, a cancelled token stops the block here.</summary>
    public void Begin(string stage)
    {
        if (!_committed && _cancellationToken.IsCancellationRequested)
        {
            Log.Cancelled(_logger, _height, stage);
            _cancellationToken.ThrowIfCancellationRequested();
        }
        if (stage == StageTimings.Execute) _committed = true;
        _current = stage;
        if (_block is not null) _stageSpan = GpuExecTelemetry.StartDetached(stage, _block.Context);
        _stage.Restart();
    }

    /// <summary>Ends the current stage, recording and logging its time.</summary>
    public void End()
    {
        var stage = _current ?? throw new InvalidOperationException("no stage has begun");
        double ms = _stage.Elapsed.TotalMilliseconds;
        Timings[stage] = ms;
        Log.Stage(_logger, _height, stage, ms, _transactions);
        GpuExecTelemetry.StageHistogram.Record(ms / 1000, new(GpuExecTelemetry.DeviceTag, _device), new(GpuExecTelemetry.StageTag, stage));
        GpuExecTelemetry.StopDetached(_stageSpan);
        _stageSpan = null;
        _current = null;
    }

    /// <summary>Records a stage that ran beside the others (the load, on a worker of its own), timed by its caller.</summary>
    public void Record(string stage, double ms)
    {
        Timings[stage] = ms;
        Log.Stage(_logger, _height, stage, ms, _transactions);
        GpuExecTelemetry.StageHistogram.Record(ms / 1000, new(GpuExecTelemetry.DeviceTag, _device), new(GpuExecTelemetry.StageTag, stage));
    }

    /// <summary>Records that <paramref name="stage"/> does not run for this block (see <see cref="StageTimings.Ran"/>).</summary>
    public void Skip(string stage) => Log.StageSkipped(_logger, _height, stage);

    /// <summary>The block was applied: counts it (blocks, transactions by status, signature verdicts) and ends its span.</summary>
    public BlockExecution Finish(BlockExecution run)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0) return run;
        GpuExecTelemetry.Applied(run, _device);
        _block?.SetTag("gpuexec.state_root", run.Result.StateRoot.ToHex());
        GpuExecTelemetry.StopDetached(_block);
        return run;
    }

    /// <summary>
    /// The block ends without being applied: refused (counted, with its reason), cancelled, failed,
    /// or dropped from a stream (<paramref name="error"/> null). Ends the open stage's span and the block's.
    /// </summary>
    public void Fail(Exception? error)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0) return;
        if (error is BlockRejectedException refused)
            GpuExecTelemetry.RefusedCounter.Add(1, new(GpuExecTelemetry.DeviceTag, _device), new(GpuExecTelemetry.RefusalTag, refused.Reason.ToString()));
        if (_block is not null)
        {
            string outcome = error switch
            {
                null => "not applied",
                OperationCanceledException => "cancelled",
                BlockRejectedException r => "refused: " + r.Reason,
                _ => "failed: " + error.GetType().Name,
            };
            GpuExecTelemetry.StopDetached(_stageSpan);
            _block.SetTag("gpuexec.outcome", outcome);
            if (error is BlockRejectedException r2) _block.SetTag(GpuExecTelemetry.RefusalTag, r2.Reason.ToString());
            if (error is not (null or OperationCanceledException)) _block.SetStatus(ActivityStatusCode.Error, error.Message);
            GpuExecTelemetry.StopDetached(_block);
        }
    }
}
