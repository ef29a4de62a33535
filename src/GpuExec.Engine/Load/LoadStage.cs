using System.Diagnostics;
using GpuExec.Engine.Verify;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Engine.Load;

/// <summary>A verified block with the view of the state its accounts were loaded into (null for a state in memory), and how long it waited for that load.</summary>
internal sealed record LoadedBlock(VerifiedBlock Verified, IStateReader? View, double WaitMs);

/// <summary>
/// The load stage: on a state on disk (<see cref="ILoadableState"/>), what a block declares (its
/// senders, recipients, the fee collector and their state tree buckets) is read on a worker of its
/// own, started with the block's verification so that the reads overlap tx_root, txids and
/// sigverify; execute then reads only the loaded view. The time the verified block still waits for
/// its load is recorded: the stage is off the critical path when that wait is near zero.
/// </summary>
internal static class LoadStage
{
    /// <summary>Starts loading <paramref name="block"/>'s accounts from <paramref name="state"/>; null for a state in memory (nothing to load).</summary>
    public static Task<(IStateReader View, double Ms)>? Start(ILoadableState? state, Block block, CancellationToken stop)
    {
        if (state is null) return null;
        return Task.Run(() =>
        {
            long t0 = Stopwatch.GetTimestamp();
            var view = state.Load(block, stop);
            return (view, Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }, stop);
    }

    /// <summary>Waits for the load begun with the block's verification, records the stage and the wait.</summary>
    public static LoadedBlock Join(VerifiedBlock verified, Task<(IStateReader View, double Ms)>? load)
    {
        if (load is null) return new LoadedBlock(verified, null, 0);
        long w0 = Stopwatch.GetTimestamp();
        var (view, ms) = load.GetAwaiter().GetResult();
        double waitMs = Stopwatch.GetElapsedTime(w0).TotalMilliseconds;
        verified.Clock.Record(StageTimings.Load, ms);
        return new LoadedBlock(verified, view, waitMs);
    }

    /// <summary>The block was refused before its load was joined: the load's own failure, if any, is observed and dropped.</summary>
    public static void Abandon(Task<(IStateReader View, double Ms)>? load) =>
        load?.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
}
