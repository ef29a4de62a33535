using GpuExec.Execution;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Storage;

/// <summary>
/// Where the world state lives between blocks. The executor never talks to a store: it runs on
/// the <see cref="WorldState"/> that <see cref="Load"/> returned, in memory, and the caller hands
/// the result to <see cref="CommitBlock"/> once the block is done. The usual loop:
/// <code>
/// using var store = ...;                       // InMemoryStateStore, RocksDbStateStore
/// var state = store.Load();
/// foreach (var block in blocks)
/// {
///     var result = SequentialExecutor.Execute(state, block);   // throws, changing nothing, on a refused block
///     store.CommitBlock(block, result);                          // writes result.Changes, the height, root and receipts
/// }
/// </code>
/// <para><b>What is committed.</b> Exactly the block's <see cref="BlockResult.Changes"/>: each
/// changed account's value after the block (or its removal, when it was emptied) and each changed
/// pool, with the new height, the new state root and the block's receipts. A store needs nothing
/// else from the executor, and keeps no flags on the state's objects.</para>
/// <para><b>What is atomic.</b> One <see cref="CommitBlock"/> call is the unit of durability: after it
/// returns, all of the above is durable; if the process dies at any moment before it returns, a later
/// <see cref="Load"/> sees the state either exactly before the block or exactly after it, never a
/// mixture. Nothing is written outside <see cref="CommitBlock"/> (a block the executor refuses never
/// reaches the store).</para>
/// <para><b>After a failed commit.</b> If <see cref="CommitBlock"/> throws (disk full, I/O error), the
/// stored state is still the one before the block, but the in-memory state has already been advanced
/// by the executor: the caller retries the same commit, or drops the state and calls <see cref="Load"/> again.</para>
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
    /// The whole committed state as a live <see cref="WorldState"/> at <see cref="Height"/>. Execution
    /// runs on it in memory. A durable store reads a fresh object from disk on each call;
    /// <see cref="InMemoryStateStore"/> returns its one live state.
    /// </summary>
    /// <exception cref="GpuExecException">The stored state is corrupted (its root is not the stored root).</exception>
    WorldState Load();

    /// <summary>
    /// Makes the state after <paramref name="block"/> the committed state, atomically, by writing
    /// <paramref name="result"/>'s <see cref="BlockResult.Changes"/> with the block's height, root and
    /// receipts.
    /// </summary>
    /// <exception cref="InvalidOperationException">The block does not follow the committed state
    /// (height, parent root or chain id), or the result carries no change set or does not belong to the block.</exception>
    void CommitBlock(Block block, BlockResult result);

    /// <summary>The receipts committed with the block at <paramref name="height"/>, or null (none stored).</summary>
    BlockResult? TryGetReceipts(ulong height);
}
