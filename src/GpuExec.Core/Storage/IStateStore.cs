using GpuExec.Execution;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Storage;

/// <summary>
/// Where the world state lives between blocks. The executor never talks to a store: it runs on
/// the <see cref="WorldState"/> that <see cref="Load"/> returned, entirely in memory, and the caller
/// hands the result to <see cref="CommitBlock"/> once the block is done. The usual loop:
/// <code>
/// using var store = ...;                       // InMemoryStateStore, RocksDbStateStore
/// var state = store.Load();
/// foreach (var block in blocks)
/// {
///     var result = SequentialExecutor.Execute(state, block);   // throws, changing nothing, on a refused block
///     store.CommitBlock(state, block, result);
/// }
/// </code>
/// <para><b>What is atomic.</b> One <see cref="CommitBlock"/> call is the unit of durability: after it
/// returns, the block's post-state (every changed account and pool), the new height, the new state
/// root and the block's receipts are all durable; if the process dies at any moment before it returns,
/// a later <see cref="Load"/> sees the state either exactly before the block or exactly after it, never
/// a mixture. Nothing smaller than a block is ever visible, and nothing is written outside
/// <see cref="CommitBlock"/> (a block the executor refuses never reaches the store).</para>
/// <para><b>After a failed commit.</b> If <see cref="CommitBlock"/> throws (disk full, I/O error), the
/// stored state is still the one before the block, but the in-memory state has already been advanced
/// by the executor: the caller must drop it and <see cref="Load"/> again (or retry the same commit:
/// changed accounts keep their <see cref="Account.Unsaved"/> flag until a write succeeds).</para>
/// </summary>
public interface IStateStore : IDisposable
{
    /// <summary>Chain id of the stored chain.</summary>
    uint ChainId { get; }

    /// <summary>Height of the last committed block (the genesis height before any block).</summary>
    ulong Height { get; }

    /// <summary>State root after the last committed block (the genesis root before any block).</summary>
    Hash32 StateRoot { get; }

    /// <summary>
    /// The whole committed state as a <see cref="WorldState"/> at <see cref="Height"/> whose accounts
    /// all have <see cref="Account.Unsaved"/> cleared. Execution runs on it in memory. A durable store
    /// reads a fresh object from disk on each call; <see cref="InMemoryStateStore"/> returns its one live state.
    /// </summary>
    /// <exception cref="GpuExecException">The stored state is corrupted (its root is not the stored root).</exception>
    WorldState Load();

    /// <summary>
    /// Makes <paramref name="stateAfter"/> (the state <see cref="Load"/> returned, after
    /// <paramref name="block"/> was executed on it) the committed state, atomically, with the block's
    /// receipts. Writes only what changed (accounts flagged <see cref="Account.Unsaved"/>, pools that
    /// differ), then clears the flags.
    /// </summary>
    /// <exception cref="InvalidOperationException">The block does not follow the committed state
    /// (height, parent root or chain id), or the state's height is not the block's.</exception>
    void CommitBlock(WorldState stateAfter, Block block, BlockResult result);

    /// <summary>The receipts committed with the block at <paramref name="height"/>, or null (none stored).</summary>
    BlockResult? TryGetReceipts(ulong height);
}
