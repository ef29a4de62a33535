using System.Runtime.InteropServices;
using GpuExec.Commitments;
using GpuExec.Model;
using GpuExec.Wire;

namespace GpuExec.State;

/// <summary>
/// The in-memory state of SPEC section 1: accounts by address, pools by id, the chain id, the height
/// and the state root.
/// <para>Two phases. While a genesis is built, <see cref="AddAccount"/> and <see cref="SetPool"/>
/// fill it. The first read of <see cref="StateRoot"/> (or the first block) makes it live: its
/// commitment is computed from every leaf once, and from then on the state changes only by
/// adopting a block's <see cref="ChangeSet"/> (<see cref="Apply(ChangeSet, ulong)"/>), which replaces the changed
/// account objects (never changing one in place) and updates the root from the changes alone.
/// So readers of a live state (a block's execute stage, a dump) never see an account change under
/// them, and nothing scans the whole state per block.</para>
/// Not thread-safe for <see cref="Apply(ChangeSet, ulong)"/>: one block at a time.
/// </summary>
public sealed class WorldState : IStateReader
{
    private readonly Dictionary<Address, Account> _accounts;
    private readonly Dictionary<uint, Pool> _pools;
    private SparseMerkleTree? _commitment;

    /// <summary>An empty state of chain <paramref name="chainId"/> at <paramref name="height"/>; <paramref name="capacity"/> presizes the account table.</summary>
    public WorldState(uint chainId, ulong height = 0, int capacity = 0)
    {
        ChainId = chainId;
        Height = height;
        _accounts = new Dictionary<Address, Account>(capacity);
        _pools = new Dictionary<uint, Pool>();
    }

    /// <summary>The chain id blocks must carry.</summary>
    public uint ChainId { get; }
    /// <summary>Height of the last block applied; the genesis height before any.</summary>
    public ulong Height { get; internal set; }

    /// <summary>Number of accounts.</summary>
    public int AccountCount => _accounts.Count;
    /// <summary>Number of pools.</summary>
    public int PoolCount => _pools.Count;
    /// <summary>The accounts, in no particular order.</summary>
    public IEnumerable<Account> Accounts => _accounts.Values;
    /// <summary>The pools, in no particular order.</summary>
    public IEnumerable<Pool> Pools => _pools.Values;

    /// <summary>True once the root was computed: the state then changes only through <see cref="Apply(ChangeSet, ulong)"/>.</summary>
    public bool IsLive => _commitment is not null;

    /// <summary>The account at <paramref name="address"/>, or null if it does not exist.</summary>
    public Account? TryGetAccount(Address address) => _accounts.TryGetValue(address, out var a) ? a : null;

    /// <summary>Adds an account to a genesis being built. Fails on a duplicate, and on a live state.</summary>
    public void AddAccount(Account account)
    {
        ArgumentNullException.ThrowIfNull(account);
        ThrowIfLive();
        if (!_accounts.TryAdd(account.Address, account))
            throw new InvalidOperationException($"duplicate account {account.Address}");
    }

    /// <summary>Whether pool <paramref name="id"/> exists.</summary>
    public bool HasPool(uint id) => _pools.ContainsKey(id);

    /// <summary>Pool <paramref name="id"/>, if it exists.</summary>
    public bool TryGetPool(uint id, out Pool pool) => _pools.TryGetValue(id, out pool);

    /// <summary>Adds or replaces a pool of a genesis being built; fails on a live state.</summary>
    public void SetPool(Pool pool)
    {
        ThrowIfLive();
        _pools[pool.Id] = pool;
    }

    /// <summary>The state root of SPEC section 6. The first read computes it from every leaf and makes the state live.</summary>
    public Hash32 StateRoot => Commitment.Root;

    private SparseMerkleTree Commitment => _commitment ??= SparseMerkleTree.Build(TreeUpdates.Leaves(_accounts.Values, _pools.Values));

    /// <summary>The state tree (SPEC section 6), built on first use.</summary>
    internal SparseMerkleTree Tree => Commitment;

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
        foreach (ref readonly var c in changes.AccountSpan)
        {
            var current = TryGetAccount(c.Address);
            if (current is { IsEmpty: true }) current = null;
            bool same = c.Before is null ? current is null : current is not null && (ReferenceEquals(current, c.Before) || current.SameLeaf(c.Before));
            if (!same) throw new InvalidOperationException($"the change of account {c.Address} was not made on this state (its before-side differs)");
        }
        foreach (ref readonly var p in changes.PoolSpan)
        {
            if (!_pools.TryGetValue(p.Id, out var current) || current.ReserveA != p.Before.ReserveA || current.ReserveB != p.Before.ReserveB
                || current.TokenA != p.After.TokenA || current.TokenB != p.After.TokenB || current.FeeBps != p.After.FeeBps)
                throw new InvalidOperationException($"the change of pool {p.Id} was not made on this state (its before-side differs)");
        }
        var root = commitment.Apply(TreeUpdates.From(changes), runner);
        foreach (ref readonly var c in changes.AccountSpan)
        {
            if (c.After is null) _accounts.Remove(c.Address);
            else CollectionsMarshal.GetValueRefOrAddDefault(_accounts, c.Address, out _) = c.After;
        }
        foreach (ref readonly var p in changes.PoolSpan) _pools[p.Id] = p.After;
        Height = height;
        return root;
    }

    /// <summary>
    /// The proof (SPEC section 6) that the account at <paramref name="address"/> is in the state, with
    /// its leaf data, or that it is not (an account without a leaf has none), under the current root.
    /// </summary>
    public StateProof GetProof(Address address)
    {
        var data = TryGetAccount(address) is { IsEmpty: false } a ? AccountLeaf(a) : null;
        return Prove(TreeKey.ForAccount(address), data);
    }

    /// <summary>The proof that pool <paramref name="id"/> is in the state, with its leaf data, or that it is not.</summary>
    public StateProof GetProof(uint id)
    {
        byte[]? data = null;
        if (TryGetPool(id, out var p))
        {
            data = new byte[LeafEncoding.PoolLeafSize];
            LeafEncoding.WritePoolLeaf(p, data);
        }
        return Prove(TreeKey.ForPool(id), data);
    }

    private static byte[] AccountLeaf(Account a)
    {
        var data = new byte[LeafEncoding.AccountLeafSize(a)];
        LeafEncoding.WriteAccountLeaf(a, data);
        return data;
    }

    private StateProof Prove(TreeKey key, byte[]? data)
    {
        var tree = Commitment;
        var (siblings, leaf) = tree.Prove(key);
        var found = leaf is { } l ? new ProofLeaf(l.Key, l.ValueHash) : (ProofLeaf?)null;
        bool present = found is { } f && f.Key == key;
        if (present != data is not null)
            throw new InvalidOperationException($"the state tree and the state disagree on key {key}: a corrupted state");
        return new StateProof(tree.Root, Height, key, found, siblings, data, hasData: data is not null);
    }

    /// <summary>A deep copy: the same accounts, pools, chain id, height and root (a copy of a live state is live).</summary>
    public WorldState Clone()
    {
        var s = new WorldState(ChainId, Height, _accounts.Count);
        foreach (var a in _accounts.Values) s._accounts.Add(a.Address, a.Clone());
        foreach (var p in _pools.Values) s._pools.Add(p.Id, p);
        s._commitment = _commitment?.Clone();
        return s;
    }

    private void ThrowIfLive()
    {
        if (_commitment is not null)
            throw new InvalidOperationException("the state is live (its root was computed): it changes only by applying a block's change set");
    }
}
