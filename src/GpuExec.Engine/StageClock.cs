using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace GpuExec.Engine;

/// <summary>
/// Times, logs and checks cancellation for one block's stages, once per stage, so that no stage
/// does it by hand. Cancellation is honoured at the start of every stage up to and including
/// <see cref="StageTimings.Execute"/>; once the execute stage has begun the block completes whole.
/// </summary>
internal sealed class StageClock(ILogger logger, ulong height, int transactions, CancellationToken cancellationToken)
{
    private readonly Stopwatch _stage = new();
    private string? _current;
    private bool _committed;

    public StageTimings Timings { get; } = new();
    public ulong Height => height;
    public int Transactions => transactions;

    /// <summary>Starts <paramref name="stage"/>; before the execute stage has begun, a cancelled token stops the block here.</summary>
    public void Begin(string stage)
    {
        if (!_committed && cancellationToken.IsCancellationRequested)
        {
            Log.Cancelled(logger, height, stage);
            cancellationToken.ThrowIfCancellationRequested();
        }
        if (stage == StageTimings.Execute) _committed = true;
        _current = stage;
        _stage.Restart();
    }

    /// <summary>Ends the current stage, recording and logging its time.</summary>
    public void End()
    {
        var stage = _current ?? throw new InvalidOperationException("no stage has begun");
        double ms = _stage.Elapsed.TotalMilliseconds;
        Timings[stage] = ms;
        Log.Stage(logger, height, stage, ms, transactions);
        _current = null;
    }

    /// <summary>Records that <paramref name="stage"/> does not run for this block (see <see cref="StageTimings.Ran"/>).</summary>
    public void Skip(string stage) => Log.StageSkipped(logger, height, stage);
}
