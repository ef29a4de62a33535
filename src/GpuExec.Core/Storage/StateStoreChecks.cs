using GpuExec.Execution;
using GpuExec.Wire;

namespace GpuExec.Storage;

/// <summary>Checks every <see cref="IStateStore"/> makes before it commits a block.</summary>
internal static class StateStoreChecks
{
    /// <summary>
    /// Throws unless <paramref name="block"/> follows the committed state (chain id, height + 1,
    /// parent root) and <paramref name="result"/> belongs to it and carries its change set. These are
    /// caller bugs, not bad input: the executor already refused any block that breaks them.
    /// </summary>
    public static void CheckCommit(IStateStore store, Block block, BlockResult result)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(block);
        ArgumentNullException.ThrowIfNull(result);
        var h = block.Header;
        if (h.ChainId != store.ChainId)
            throw new InvalidOperationException($"commit of a chain {h.ChainId} block to a store of chain {store.ChainId}");
        if (store.Height == ulong.MaxValue || h.Height != store.Height + 1)
            throw new InvalidOperationException($"commit of block {h.Height} to a store at height {store.Height}");
        if (h.ParentStateRoot != store.StateRoot)
            throw new InvalidOperationException($"commit of block {h.Height} whose parent root {h.ParentStateRoot} is not the stored root {store.StateRoot}");
        if (result.Count != block.Count)
            throw new InvalidOperationException($"commit of block {h.Height} with {result.Count} receipts for {block.Count} transactions");
        if (result.Changes is null)
            throw new InvalidOperationException($"commit of block {h.Height} with a result that carries no change set (only an executed block's result can be committed)");
    }
}
