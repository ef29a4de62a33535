using GpuExec.Execution;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Storage;

/// <summary>
/// The embedded default: the state lives in one <see cref="WorldState"/> and nothing survives the
/// process. <see cref="Load"/> returns that same object every time (no copy: the default path pays
/// nothing for having a store), and <see cref="CommitBlock"/> records the height, root and receipts
/// and clears the <see cref="Account.Unsaved"/> flags. Its commit cannot half-happen (all checks come
/// first, then only assignments), so it is atomic trivially; it never fails on a block the executor
/// accepted, so the "reload after a failed commit" rule of <see cref="IStateStore"/> never applies.
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
        StateRoot = genesis.ComputeStateRoot();
        foreach (var a in genesis.Accounts) a.Unsaved = false;
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
    public void CommitBlock(WorldState stateAfter, Block block, BlockResult result)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        StateStoreChecks.CheckCommit(this, stateAfter, block, result);
        if (!ReferenceEquals(stateAfter, _state))
            throw new InvalidOperationException("commit of a state that is not this in-memory store's own (use the one Load returned)");
        foreach (var a in stateAfter.CollectUnsavedAccounts()) a.Unsaved = false;
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
