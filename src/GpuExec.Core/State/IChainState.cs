using GpuExec.Execution;
using GpuExec.Wire;

namespace GpuExec.State;

/// <summary>
/// A committed state that takes executed blocks: the in-memory <see cref="WorldState"/>, or a store's
/// state on disk. An executor proposes a block on it (nothing changes), and <see cref="Commit"/> makes
/// the block's state the committed one, whole: a reader sees the state before the block or after it.
/// </summary>
public interface IChainState : IStateReader
{
    /// <summary>
    /// Makes the state after <paramref name="block"/> (its <paramref name="result"/> and the
    /// <paramref name="pending"/> state an executor proposed) the committed state; a durable state
    /// writes the block's change set, height, root and receipts as one atomic write. Returns the new root.
    /// </summary>
    /// <exception cref="InvalidOperationException">The block's parent is not the committed head, or the result is not the pending state's.</exception>
    Hash32 Commit(Block block, BlockResult result, PendingState pending);
}

/// <summary>
/// A state whose reads may go to disk. Before a block executes, <see cref="Load"/> reads everything
/// its transactions declare (senders, recipients, the fee collector, and the state tree's buckets of
/// those accounts) in batches, so the execute and state_root stages never wait on the disk. The
/// engine calls it on a worker of its own while the block's signatures are verified.
/// </summary>
public interface ILoadableState : IStateReader
{
    /// <summary>
    /// Reads what <paramref name="block"/> declares and returns a reader of this state that serves
    /// those reads from memory. Blocks committed after the load are visible through it (it is
    /// brought up to date when read), so a block loaded ahead in a stream sees its predecessor's writes.
    /// </summary>
    IStateReader Load(Block block, CancellationToken cancellationToken = default);
}
