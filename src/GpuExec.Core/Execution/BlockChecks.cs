using GpuExec.Commitments;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Execution;

/// <summary>The whole-block refusals of SPEC section 3 that need the state; the same for every executor.</summary>
internal static class BlockChecks
{
    /// <summary>Throws <see cref="BlockRejectedException"/> naming the block's <see cref="Block.Source"/> and the first rule it breaks.</summary>
    /// <param name="currentRoot">The state's current root (the parent root the block must name).</param>
    /// <param name="computedTxRoot">The Merkle root of the block's records.</param>
    public static void Check(uint chainId, ulong height, Hash32 currentRoot, Block block, Hash32 computedTxRoot)
    {
        ArgumentNullException.ThrowIfNull(block);
        var h = block.Header;
        string source = block.Source;
        if (h.ChainId != chainId)
            throw new BlockRejectedException(BlockRefusal.WrongChain, Num(chainId), Num(h.ChainId),
                $"{source}: chain_id {h.ChainId} differs from the state's chain_id {chainId}");
        if (height == ulong.MaxValue)
            throw new BlockRejectedException(BlockRefusal.HeightExhausted, null, Num(h.Height),
                $"{source}: no block can follow height {height} (2^64-1; heights do not wrap)");
        if (h.Height != height + 1)
            throw new BlockRejectedException(BlockRefusal.WrongHeight, Num(height + 1), Num(h.Height),
                $"{source}: height {h.Height} is not the next height {height + 1}");
        if (h.ParentStateRoot != currentRoot)
            throw new BlockRejectedException(BlockRefusal.WrongParentRoot, currentRoot.ToHex(), h.ParentStateRoot.ToHex(),
                $"{source}: parent_state_root {h.ParentStateRoot} differs from the current state root {currentRoot}");
        if (h.TxRoot != computedTxRoot)
            throw new BlockRejectedException(BlockRefusal.WrongTxRoot, computedTxRoot.ToHex(), h.TxRoot.ToHex(),
                $"{source}: tx_root {h.TxRoot} does not match the transactions (computed {computedTxRoot})");
    }

    private static string Num(ulong value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Computes the block's tx_root on the CPU (<see cref="Merkle.TxRoot"/>), then checks as above.</summary>
    public static void Check(IStateReader state, Block block)
    {
        ArgumentNullException.ThrowIfNull(block);
        Span<byte> root = stackalloc byte[32];
        Merkle.TxRoot(block.Data, block.RecordOffsets, block.RecordLengths, root);
        Check(state, block, new Hash32(root));
    }

    public static void Check(IStateReader state, Block block, Hash32 computedTxRoot)
    {
        ArgumentNullException.ThrowIfNull(state);
        Check(state.ChainId, state.Height, state.StateRoot, block, computedTxRoot);
    }
}
