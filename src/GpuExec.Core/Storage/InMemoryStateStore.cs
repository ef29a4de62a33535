using GpuExec.Execution;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Storage;

/// <summary>
/// The embedded default: nothing survives the process. It behaves like a durable store all the
/// same, so code and tests written against <see cref="IStateStore"/> see the same semantics: it
/// keeps its own committed copy, <see cref="Load"/> hands out a deep copy of it, and
/// <see cref="CommitBlock"/> copies only the changed accounts and pools into it. A commit cannot
/// half-happen here (it runs after all checks and does not fail), so it is atomic trivially.
/// </summary>
public sealed class InMemoryStateStore : IStateStore
{
    private readonly WorldState _committed;
    private readonly Dictionary<ulong, BlockResult> _receipts = [];
    private bool _disposed;

    /// <param name="genesis">Copied; the caller's object is not kept.</param>
    public InMemoryStateStore(WorldState genesis)
    {
        ArgumentNullException.ThrowIfNull(genesis);
        _committed = genesis.Clone();
        StateRoot = _committed.ComputeStateRoot();
    }

    public uint ChainId => _committed.ChainId;
    public ulong Height => _committed.Height;
    public Hash32 StateRoot { get; private set; }

    public WorldState Load()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var s = _committed.Clone();
        foreach (var a in s.Accounts) a.Unsaved = false;
        return s;
    }

    public void CommitBlock(WorldState stateAfter, Block block, BlockResult result)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        StateStoreChecks.CheckCommit(this, stateAfter, block, result);
        foreach (var a in stateAfter.CollectUnsavedAccounts())
        {
            CopyInto(_committed.GetOrCreateAccount(a.Address), a);
            a.Unsaved = false;
        }
        foreach (var p in stateAfter.Pools)
        {
            if (!_committed.TryGetPool(p.Id, out var old) || !SamePool(old, p)) _committed.SetPool(p);
        }
        _committed.Height = block.Header.Height;
        StateRoot = result.StateRoot;
        _receipts[block.Header.Height] = result;
    }

    public BlockResult? TryGetReceipts(ulong height)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _receipts.GetValueOrDefault(height);
    }

    public void Dispose() => _disposed = true;

    private static bool SamePool(in Model.Pool x, in Model.Pool y) =>
        x.Id == y.Id && x.TokenA == y.TokenA && x.TokenB == y.TokenB && x.ReserveA == y.ReserveA && x.ReserveB == y.ReserveB && x.FeeBps == y.FeeBps;

    private static void CopyInto(Account target, Account source)
    {
        target.Nonce = source.Nonce;
        for (int i = 0; i < target.EntryCount; i++)
        {
            if (source.Balance(target.TokenAt(i)) == 0) target.SetBalance(target.TokenAt(i), 0);
        }
        for (int i = 0; i < source.EntryCount; i++) target.SetBalance(source.TokenAt(i), source.AmountAt(i));
        target.Unsaved = false;
    }
}
