using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using GpuExec.Commitments;
using GpuExec.Model;
using GpuExec.Wire;

namespace GpuExec.State;

/// <summary>
/// The in-memory state of SPEC section 1: accounts by address, pools by id, the chain id and
/// height. Not thread-safe for structural changes (new accounts); executors that run on many
/// threads load what they touch first (see the engine's Execute stage).
/// </summary>
public sealed class WorldState
{
    private readonly Dictionary<Address, Account> _accounts;
    private readonly Dictionary<uint, Pool> _pools;
    private readonly StateRootCache _rootCache = new();
    private readonly List<Account> _created = [];

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

    /// <summary>The account at <paramref name="address"/>, or null if it does not exist.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Account? TryGetAccount(Address address) => _accounts.TryGetValue(address, out var a) ? a : null;

    /// <summary>The account at <paramref name="address"/>, created (nonce 0, no balances) if new.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Account GetOrCreateAccount(Address address)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_accounts, address, out bool exists);
        if (!exists)
        {
            slot = new Account(address);
            _rootCache.Added(slot);
            _created.Add(slot);
        }
        return slot!;
    }

    /// <summary>
    /// Removes the accounts <see cref="GetOrCreateAccount"/> created since the last call that are
    /// still empty (nonce 0, no non-zero balance: no state leaf), and returns how many. Executors
    /// call it when a block is applied, so a transaction from an unknown key that fails (bad nonce,
    /// no fee) or a zero credit to a new address leaves nothing behind: otherwise such transactions
    /// would grow the state for free. The root is unchanged, since empty accounts have no leaf.
    /// </summary>
    internal int RemoveEmptyNewAccounts()
    {
        int removed = 0;
        foreach (var a in _created)
        {
            if (!a.IsEmpty) continue;
            _accounts.Remove(a.Address);
            _rootCache.Removed(a);
            removed++;
        }
        _created.Clear();
        return removed;
    }

    /// <summary>Adds an account object made elsewhere (genesis loading, stores). Fails on a duplicate.</summary>
    public void AddAccount(Account account)
    {
        ArgumentNullException.ThrowIfNull(account);
        if (!_accounts.TryAdd(account.Address, account))
            throw new InvalidOperationException($"duplicate account {account.Address}");
        _rootCache.Added(account);
    }

    /// <summary>Whether pool <paramref name="id"/> exists.</summary>
    public bool HasPool(uint id) => _pools.ContainsKey(id);

    /// <summary>A reference to the pool, or a null reference when there is none (check with <see cref="Unsafe.IsNullRef{T}(ref readonly T)"/>).</summary>
    internal ref Pool PoolRef(uint id) => ref CollectionsMarshal.GetValueRefOrNullRef(_pools, id);

    /// <summary>Pool <paramref name="id"/>, if it exists.</summary>
    public bool TryGetPool(uint id, out Pool pool) => _pools.TryGetValue(id, out pool);

    /// <summary>Adds or replaces a pool (building a genesis state).</summary>
    public void SetPool(Pool pool) => _pools[pool.Id] = pool;

    /// <summary>The state root of SPEC section 6, rehashing only accounts changed since the last call.</summary>
    public Hash32 ComputeStateRoot() => _rootCache.Compute(this);

    /// <summary>Accounts changed since their flag was last cleared (a store persists these, then clears them).</summary>
    internal List<Account> CollectUnsavedAccounts()
    {
        var list = new List<Account>();
        foreach (var a in _accounts.Values) if (a.Unsaved) list.Add(a);
        return list;
    }

    /// <summary>A deep copy: the same accounts, pools, chain id and height.</summary>
    public WorldState Clone()
    {
        var s = new WorldState(ChainId, Height, _accounts.Count);
        foreach (var a in _accounts.Values) s.AddAccount(a.Clone());
        foreach (var p in _pools.Values) s._pools.Add(p.Id, p);
        return s;
    }
}
