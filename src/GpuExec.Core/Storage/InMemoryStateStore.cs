using GpuExec.Execution;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Storage;

/// <summary>
/// The embedded default: the state lives in one <see cref="WorldState"/> and nothing survives the
/// process. <see cref="Load"/> returns that same object every time (no copy: the default path pays
/// nothing for having a store); the executor has already applied each block's changes to it, so
/// <see cref="CommitBlock"/> records the height, root and receipts. Its commit cannot half-happen
/// (all checks come first, then only assignments), so it is atomic trivially.
/// </summary>
public sealed class InMemoryStateStore : IStateStore
{
    private readonly WorldState _state;
    private readonly Dictionary<ulong, BlockResult> _receipts = [];
    private bool _disposed;

    /// <param name="genesis">Taken over, not copied: the store's state from now on.</param>
    public InMemoryStateStore(WorldState genesis)
    {
        ArgumentNullException.ThrowIfNull(genesis);
        _state = genesis;
        ChainId = genesis.ChainId;
        Height = genesis.Height;
        StateRoot = genesis.StateRoot;
    }

    /// <inheritdoc/>
    public uint ChainId { get; }
    /// <inheritdoc/>
    public ulong Height { get; private set; }
    /// <inheritdoc/>
    public Hash32 StateRoot { get; private set; }

    /// <summary>The store's live state (the same object on every call).</summary>
    public WorldState Load()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _state;
    }

    /// <inheritdoc/>
    /// <remarks>The store's state must be the one the block was executed on: its height and root are the block's.</remarks>
    public void CommitBlock(Block block, BlockResult result)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        StateStoreChecks.CheckCommit(this, block, result);
        if (_state.Height != block.Header.Height || _state.StateRoot != result.StateRoot)
            throw new InvalidOperationException($"commit of block {block.Header.Height} that was not executed on this in-memory store's state (use the one Load returned)");
        Height = block.Header.Height;
        StateRoot = result.StateRoot;
        _receipts[block.Header.Height] = result;
    }

    /// <inheritdoc/>
    public BlockResult? TryGetReceipts(ulong height)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _receipts.GetValueOrDefault(height);
    }

    /// <inheritdoc/>
    public void Dispose() => _disposed = true;
}
