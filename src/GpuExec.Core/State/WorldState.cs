using System.Runtime.InteropServices;
using GpuExec.Commitments;
using GpuExec.Model;
using GpuExec.Wire;

namespace GpuExec.State;

/// <summary>
/// The in-memory state of SPEC section 1: accounts by address, pools by id, the chain id, the height
/// and the state root (SPEC v2's sparse Merkle tree).
/// <para>A state is made by a <see cref="StateBuilder"/>, a genesis file (<see cref="StateJson"/>) or a
/// store, and is live from then on: it changes only by adopting a block's <see cref="ChangeSet"/>,
/// either at once (<see cref="Apply(ChangeSet, ulong)"/>, what executing a block on it does) or from an
/// executed, uncommitted block (<see cref="Commit(PendingState)"/>). Adopting replaces the changed
/// account objects (never changing one in place) and updates the root from the changes alone, so
/// nothing scans the whole state per block.</para>
/// <para>Thread-safe: reads run beside each other, and a block is adopted whole while no read runs,
/// so a reader sees the state before a block or after it, never between.</para>
/// </summary>
public sealed class WorldState : IChainState, ITreeOwner
{
    private readonly Dictionary<Address, Account> _accounts;
    private readonly Dictionary<uint, Pool> _pools;
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.SupportsRecursion);
    private SparseMerkleTree? _commitment;
    private ulong _height;

    /// <summary>An empty state of chain <paramref name="chainId"/> at <paramref name="height"/>; <paramref name="capacity"/> presizes the account table.</summary>
    internal WorldState(uint chainId, ulong height = 0, int capacity = 0)
    {
        ChainId = chainId;
        _height = height;
        _accounts = new Dictionary<Address, Account>(capacity);
        _pools = new Dictionary<uint, Pool>();
    }

    /// <summary>The chain id blocks must carry.</summary>
    public uint ChainId { get; }

    /// <summary>Height of the last block applied; the genesis height before any.</summary>
    public ulong Height
    {
        get { using var r = Read(); return _height; }
        internal set { using var w = Write(); _height = value; }
    }

    /// <summary>Number of accounts.</summary>
    public int AccountCount { get { using var r = Read(); return _accounts.Count; } }
    /// <summary>Number of pools.</summary>
    public int PoolCount { get { using var r = Read(); return _pools.Count; } }
    /// <summary>The accounts, in no particular order: a snapshot taken at the call.</summary>
    public IReadOnlyCollection<Account> Accounts { get { using var r = Read(); return [.. _accounts.Values]; } }
    /// <summary>The pools, in no particular order: a snapshot taken at the call.</summary>
    public IReadOnlyCollection<Pool> Pools { get { using var r = Read(); return [.. _pools.Values]; } }

    /// <summary>
    /// Runs <paramref name="reader"/> with no block adopted while it runs, so that several reads
    /// (balances of two accounts, a proof and a balance) describe one height.
    /// </summary>
    public T Read<T>(Func<WorldState, T> reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        _ = Commitment;
        using var r = Read();
        return reader(this);
    }

    /// <summary>True once the root was computed: the state then changes only by adopting blocks.</summary>
    internal bool IsLive => _commitment is not null;

    /// <summary>The account at <paramref name="address"/>, or null if it does not exist. The object is not to be changed.</summary>
    public Account? TryGetAccount(Address address)
    {
        using var r = Read();
        return _accounts.TryGetValue(address, out var a) ? a : null;
    }

    /// <summary>Adds an account to a genesis being built. Fails on a duplicate, and on a live state.</summary>
    internal void AddAccount(Account account)
    {
        ArgumentNullException.ThrowIfNull(account);
        ThrowIfLive();
        if (!_accounts.TryAdd(account.Address, account))
            throw new InvalidOperationException($"duplicate account {account.Address}");
    }

    /// <summary>Whether pool <paramref name="id"/> exists.</summary>
    public bool HasPool(uint id)
    {
        using var r = Read();
        return _pools.ContainsKey(id);
    }

    /// <summary>Pool <paramref name="id"/>, if it exists.</summary>
    public bool TryGetPool(uint id, out Pool pool)
    {
        using var r = Read();
        return _pools.TryGetValue(id, out pool);
    }

    /// <summary>Adds or replaces a pool of a genesis being built; fails on a live state.</summary>
    internal void SetPool(Pool pool)
    {
        ThrowIfLive();
        _pools[pool.Id] = pool;
    }

    /// <summary>The state root of SPEC section 6. The first read computes it from every leaf and makes the state live.</summary>
    public Hash32 StateRoot
    {
        get
        {
            var tree = Commitment;
            using var r = Read();
            return tree.Root;
        }
    }

    private SparseMerkleTree Commitment
    {
        get
        {
            if (_commitment is { } c) return c;
            using var w = Write();
            return _commitment ??= SparseMerkleTree.Build(TreeUpdates.Leaves(_accounts.Values, _pools.Values));
        }
    }

    /// <summary>The state tree (SPEC section 6), built on first use.</summary>
    internal SparseMerkleTree Tree => Commitment;

    ITreeView ITreeOwner.TreeView => Commitment;

    /// <inheritdoc/>
    /// <remarks>The block's result is the pending state's (its change set); adopting it is <see cref="Commit(PendingState)"/>.</remarks>
    public Hash32 Commit(Block block, Execution.BlockResult result, PendingState pending)
    {
        ArgumentNullException.ThrowIfNull(block);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(pending);
        if (!ReferenceEquals(result.Changes, pending.Changes) || block.Header.Height != pending.Height)
            throw new InvalidOperationException($"the result of block {block.Header.Height} is not the pending state's");
        return Commit(pending);
    }

    /// <summary>
    /// Adopts a block's changes: each changed account's new object replaces the old one (an emptied
    /// account is removed), each changed pool is replaced, the root is updated from the changes and
    /// the height set. Returns the new root. The change set must have been made on this state at its
    /// current height: every change's before-side is checked against what the state holds, and on a
    /// mismatch nothing changes.
    /// </summary>
    /// <exception cref="InvalidOperationException">The changes were not made on this state.</exception>
    public Hash32 Apply(ChangeSet changes, ulong height) => Apply(changes, height, runner: null);

    /// <summary>As <see cref="Apply(ChangeSet, ulong)"/>, the tree's hashes run by <paramref name="runner"/> (a device's kernels; null: the host's lanes).</summary>
    internal Hash32 Apply(ChangeSet changes, ulong height, IHashPlanRunner? runner)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var commitment = Commitment;
        using var w = Write();
        CheckBeforeSides(changes);
        var root = commitment.Apply(TreeUpdates.From(changes), runner);
        Adopt(changes, height);
        return root;
    }

    /// <summary>
    /// Makes an executed, uncommitted block's state (<paramref name="pending"/>, from
    /// <c>IBlockExecutor.ProposeAsync</c>) the committed one: its change set is adopted and its tree
    /// changes installed, without executing or hashing anything again. Only a block whose parent is
    /// still this state's head can be committed: one executed on this state, or on a pending state
    /// committed just before it. A sibling of a committed block is refused, and nothing changes.
    /// </summary>
    /// <exception cref="InvalidOperationException">The pending state's parent is not the committed head, or it is not this state's.</exception>
    public Hash32 Commit(PendingState pending)
    {
        ArgumentNullException.ThrowIfNull(pending);
        IStateReader bottom = pending;
        while (bottom is PendingState p) bottom = p.Parent;
        if (!ReferenceEquals(bottom, this))
            throw new InvalidOperationException("the pending state was not executed on this state (nor on blocks pending on it)");
        var commitment = Commitment;
        using var w = Write();
        if (pending.ParentRoot != commitment.Root || pending.Height != _height + 1)
            throw new InvalidOperationException($"the block at height {pending.Height} was executed on root {pending.ParentRoot}, but the committed head is height {_height}, root {commitment.Root}: its parent is no longer the head");
        CheckBeforeSides(pending.Changes);
        var root = commitment.Commit(pending.Tree);
        Adopt(pending.Changes, pending.Height);
        return root;
    }

    private void CheckBeforeSides(ChangeSet changes)
    {
        foreach (ref readonly var c in changes.AccountSpan)
        {
            var current = _accounts.TryGetValue(c.Address, out var a) && !a.IsEmpty ? a : null;
            bool same = c.Before is null ? current is null : current is not null && (ReferenceEquals(current, c.Before) || current.SameLeaf(c.Before));
            if (!same) throw new InvalidOperationException($"the change of account {c.Address} was not made on this state (its before-side differs)");
        }
        foreach (ref readonly var p in changes.PoolSpan)
        {
            if (!_pools.TryGetValue(p.Id, out var current) || current.ReserveA != p.Before.ReserveA || current.ReserveB != p.Before.ReserveB
                || current.TokenA != p.After.TokenA || current.TokenB != p.After.TokenB || current.FeeBps != p.After.FeeBps)
                throw new InvalidOperationException($"the change of pool {p.Id} was not made on this state (its before-side differs)");
        }
    }

    private void Adopt(ChangeSet changes, ulong height)
    {
        foreach (ref readonly var c in changes.AccountSpan)
        {
            if (c.After is null) _accounts.Remove(c.Address);
            else CollectionsMarshal.GetValueRefOrAddDefault(_accounts, c.Address, out _) = c.After;
        }
        foreach (ref readonly var p in changes.PoolSpan) _pools[p.Id] = p.After;
        _height = height;
    }

    /// <summary>
    /// The proof (SPEC section 6) that the account at <paramref name="address"/> is in the state, with
    /// its leaf data, or that it is not (an account without a leaf has none), under the current root.
    /// </summary>
    public StateProof GetProof(Address address)
    {
        var tree = Commitment;
        using var r = Read();
        var data = _accounts.TryGetValue(address, out var a) && !a.IsEmpty ? Proofs.AccountLeaf(a) : null;
        return Proofs.Make(tree, _height, TreeKey.ForAccount(address), data);
    }

    /// <summary>The proof that pool <paramref name="id"/> is in the state, with its leaf data, or that it is not.</summary>
    public StateProof GetProof(uint id)
    {
        var tree = Commitment;
        using var r = Read();
        return Proofs.Make(tree, _height, TreeKey.ForPool(id), _pools.TryGetValue(id, out var p) ? Proofs.PoolLeaf(p) : null);
    }

    /// <summary>A deep copy: the same accounts, pools, chain id, height and root (a copy of a live state is live).</summary>
    public WorldState Clone()
    {
        using var r = Read();
        var s = new WorldState(ChainId, _height, _accounts.Count);
        foreach (var a in _accounts.Values) s._accounts.Add(a.Address, a.Clone());
        foreach (var p in _pools.Values) s._pools.Add(p.Id, p);
        s._commitment = _commitment?.Clone();
        return s;
    }

    private void ThrowIfLive()
    {
        if (_commitment is not null)
            throw new InvalidOperationException("the state is live (its root was computed): it changes only by adopting blocks");
    }

    private ReadScope Read() => new(_lock);
    private WriteScope Write() => new(_lock);

    private readonly ref struct ReadScope
    {
        private readonly ReaderWriterLockSlim _l;
        public ReadScope(ReaderWriterLockSlim l) { _l = l; l.EnterReadLock(); }
        public void Dispose() => _l.ExitReadLock();
    }

    private readonly ref struct WriteScope
    {
        private readonly ReaderWriterLockSlim _l;
        public WriteScope(ReaderWriterLockSlim l) { _l = l; l.EnterWriteLock(); }
        public void Dispose() => _l.ExitWriteLock();
    }
}
