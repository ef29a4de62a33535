using GpuExec.Execution;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Engine;

/// <summary>
/// Executes a block on a state, identically to <see cref="SequentialExecutor"/>.
/// <para>How it commits: the state is changed only after every check and all verification and
/// conflict work is done, in one final step, the execute stage (parallel batches write their slots
/// back, or the rules run in block order; then the height moves). A refused block
/// (<see cref="BlockRejectedException"/>) or a cancellation before that step leaves the state's
/// contents, root and height as they were; once the step has begun it completes.</para>
/// </summary>
public interface IBlockExecutor
{
    /// <summary>Applies <paramref name="block"/> to <paramref name="state"/> in place.</summary>
    /// <exception cref="BlockRejectedException">SPEC section 3 refuses the block; nothing changed.</exception>
    /// <exception cref="OperationCanceledException">Cancelled before the commit step; nothing changed.</exception>
    Task<BlockExecution> ExecuteAsync(Block block, WorldState state, CancellationToken cancellationToken = default);

    /// <summary>The device the executor runs on, e.g. "cuda (NVIDIA H100)" or "cpu (16 cores)".</summary>
    string DeviceDescription { get; }
}

/// <summary>A block's result with how long each stage took and how it was scheduled.</summary>
public sealed record BlockExecution(BlockResult Result, StageTimings Stages, Execute.ScheduleStats Schedule);

/// <summary>Milliseconds per pipeline stage, named after the pipeline.</summary>
public sealed class StageTimings
{
    public const string TxRoot = "tx_root", TxIds = "txids", SigVerify = "sigverify", Conflicts = "conflicts",
        Schedule = "schedule", Execute = "execute", StateRoot = "state_root";

    /// <summary>Stage names in pipeline order.</summary>
    public static readonly string[] Order = [TxRoot, TxIds, SigVerify, Conflicts, Schedule, Execute, StateRoot];

    private readonly Dictionary<string, double> _ms = new(StringComparer.Ordinal);

    public double this[string stage]
    {
        get => _ms.GetValueOrDefault(stage);
        set => _ms[stage] = value;
    }

    public double TotalMs => _ms.Values.Sum();

    public IReadOnlyDictionary<string, double> AsDictionary() => _ms;
}
