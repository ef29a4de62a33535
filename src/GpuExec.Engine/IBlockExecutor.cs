using GpuExec.Execution;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Engine;

/// <summary>
/// Executes blocks on a state, identically to <see cref="SequentialExecutor"/>.
/// <para>The state boundary: nothing is added to or changed in the state before the execute stage
/// (every check and all verification and conflict work come first); a refused block
/// (<see cref="BlockRejectedException"/>) or a cancellation before that stage leaves the state's
/// accounts (their number included), pools, root and height as they were. Once the execute stage
/// has begun, the block completes whole. Accounts the block creates that end it empty are not kept.</para>
/// </summary>
public interface IBlockExecutor
{
    /// <summary>Applies <paramref name="block"/> to <paramref name="state"/> in place.</summary>
    /// <exception cref="BlockRejectedException">SPEC section 3 refuses the block; nothing changed.</exception>
    /// <exception cref="OperationCanceledException">Cancelled before the execute stage; nothing changed.</exception>
    Task<BlockExecution> ExecuteAsync(Block block, WorldState state, CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies <paramref name="blocks"/> in order, yielding each result once its block is applied;
    /// the next block is not applied before the caller asks for it, so a caller that commits each
    /// result to a store before moving on keeps store and state in step. Implementations may verify
    /// later blocks ahead (at most a few in memory). A refused block throws from the enumerator with
    /// the state as the block before it left it.
    /// </summary>
    IAsyncEnumerable<BlockExecution> ExecuteStreamAsync(IEnumerable<Block> blocks, WorldState state, CancellationToken cancellationToken = default);

    /// <summary>
    /// Executes <paramref name="block"/> as a proposal: on <paramref name="parent"/> (a committed
    /// <see cref="IChainState"/>: the in-memory <see cref="WorldState"/> or a store's state on disk, whose
    /// accounts are then loaded while the block is verified; or the <see cref="BlockExecution.State"/>
    /// of another proposal) without changing anything. The result's <see cref="BlockExecution.State"/>
    /// is the state after the block: readable (balances, nonces, proofs), a parent for further
    /// proposals, and committed with <see cref="IChainState.Commit"/> on the head it was proposed on,
    /// or simply dropped.
    /// </summary>
    /// <exception cref="BlockRejectedException">SPEC section 3 refuses the block against the parent; nothing changed.</exception>
    Task<BlockExecution> ProposeAsync(Block block, IStateReader parent, CancellationToken cancellationToken = default);

    /// <summary>
    /// Verifies transaction records ahead of their block (a mempool's admission): rules 1-2 (well-formed;
    /// the chain, when <paramref name="chainId"/> is given) and the signature (rule 3, libsodium's
    /// verdict), a verdict per record by index and txid. The state is not read; whether a transaction
    /// would apply now is <see cref="Execution.TxCheck"/>'s to say. An executor with a signature cache
    /// remembers the verdicts, so the block that includes the transactions does not verify them again.
    /// Thread-safe, and may run beside blocks.
    /// </summary>
    /// <param name="records">Whole transaction records (body and signature).</param>
    /// <param name="chainId">The chain the records are for: others are <see cref="Model.TxStatus.WrongChain"/>, not verified. Null: any chain.</param>
    /// <exception cref="OperationCanceledException">Cancelled before every verdict was found.</exception>
    Task<Verify.PreVerifyReport> PreVerifyAsync(IReadOnlyList<ReadOnlyMemory<byte>> records, uint? chainId = null, CancellationToken cancellationToken = default);

    /// <summary>The device the executor runs on, e.g. "cuda (NVIDIA H100)" or "cpu (16 cores)".</summary>
    string DeviceDescription { get; }
}

/// <summary>A block's result with how long each stage took, how its signatures were checked and how it was scheduled.</summary>
/// <param name="Block">The block that was applied.</param>
public sealed record BlockExecution(Block Block, BlockResult Result, StageTimings Stages, Execute.ScheduleStats Schedule)
{
    /// <summary>How the sigverify stage got its verdicts: from the signature cache, or verified.</summary>
    public Verify.VerifyStats Verify { get; init; }

    /// <summary>For a proposal (<see cref="IBlockExecutor.ProposeAsync"/>): the state after the block, not committed; null when the block was applied to its state.</summary>
    public PendingState? State { get; init; }

    /// <summary>On a state on disk: how long the block waited, after its verification, for its accounts to be loaded (0 when the load finished first).</summary>
    public double LoadWaitMs { get; init; }
}

/// <summary>Milliseconds per pipeline stage, named after the pipeline.</summary>
public sealed class StageTimings
{
    /// <summary>Stage names, as <see cref="this[string]"/>, the block log and the bench name them.</summary>
    public const string TxRoot = "tx_root", TxIds = "txids", SigVerify = "sigverify", Conflicts = "conflicts",
        Schedule = "schedule", Execute = "execute", StateRoot = "state_root", Load = "load", Commit = "commit";

    /// <summary>
    /// Stage names in pipeline order. <see cref="Load"/> (beside the verification) and
    /// <see cref="Commit"/> run only for a state on disk; conflicts and schedule only when a block
    /// is applied in lanes.
    /// </summary>
    public static IReadOnlyList<string> Order { get; } = [TxRoot, TxIds, SigVerify, Load, Conflicts, Schedule, Execute, StateRoot, Commit];

    private readonly Dictionary<string, double> _ms = new(StringComparer.Ordinal);

    /// <summary>The executors fill the timings; callers read them.</summary>
    internal StageTimings()
    {
    }

    /// <summary>The stage's time; 0 for a stage that did not run (<see cref="Ran"/>).</summary>
    public double this[string stage]
    {
        get => _ms.GetValueOrDefault(stage);
        internal set => _ms[stage] = value;
    }

    /// <summary>Whether <paramref name="stage"/> ran for this block (in order, conflicts and schedule do not).</summary>
    public bool Ran(string stage) => _ms.ContainsKey(stage);

    /// <summary>The sum of the stages that ran, in milliseconds.</summary>
    public double TotalMs => _ms.Values.Sum();

    /// <summary>The stages that ran and their times.</summary>
    public IReadOnlyDictionary<string, double> AsDictionary() => _ms;
}
