using GpuExec.Commitments;
using GpuExec.Execution;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;
using RocksDbSharp;

namespace GpuExec.Storage;

/// <summary>
/// The committed state as a <see cref="RocksDbStateStore"/> holds it: accounts and the state tree's
/// buckets are read from disk through caches bounded in bytes (evicting cold entries: a CLOCK), the
/// pools and the tree's dense top (its levels down to the buckets) are in memory. Memory stays bounded
/// whatever the number of accounts.
/// <para>A block is executed on it as a proposal (the engine's <c>ProposeAsync</c>) after
/// <see cref="Load"/> brought in what the block declares, and <see cref="Commit"/> writes the block's
/// change set, its tree buckets, the journal of those buckets, the height, root and receipts as one
/// synced batch, then updates the caches and the tree. Reads beside a commit see the state before
/// or after it, never between.</para>
/// </summary>
public sealed class StoreState : IChainState, ILoadableState, ITreeOwner
{
    private readonly RocksDbStateStore _store;
    private readonly RocksDb _db;
    private readonly ReadOptions _read;
    private readonly ClockCache<Address, Account?> _accounts;
    private readonly Lock _cacheGate = new();
    private readonly Dictionary<uint, Pool> _pools;
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.SupportsRecursion);
    private readonly Lazy<SparseMerkleTree> _tree;
    private readonly StoredBuckets _buckets;
    // The change sets of the last blocks committed, so that a block loaded before them is brought up to date.
    private readonly LinkedList<(ulong Height, ChangeSet Changes)> _recent = new();
    private const int RecentBlocks = 8;

    internal StoreState(RocksDbStateStore store, RocksDb db, Dictionary<uint, Pool> pools, long cacheBytes, Func<StoredBuckets, SparseMerkleTree> openTree)
    {
        _store = store;
        _db = db;
        // Point reads do not fill RocksDB's block cache: what they read is cached here, decoded, and a
        // table block read for one random key is seldom read again, so inserting it (and evicting
        // another) was work for nothing: a sixth of the reads' CPU at 10^7 accounts.
        _read = new ReadOptions().SetVerifyChecksums(true).SetFillCache(false);
        _pools = pools;
        _accounts = new ClockCache<Address, Account?>(cacheBytes / 2);
        _buckets = new StoredBuckets(db, _read, cacheBytes - cacheBytes / 2, store.Directory);
        _tree = new Lazy<SparseMerkleTree>(() => openTree(_buckets), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <inheritdoc/>
    public uint ChainId => _store.ChainId;

    /// <inheritdoc/>
    public ulong Height
    {
        get { _lock.EnterReadLock(); try { return _store.Height; } finally { _lock.ExitReadLock(); } }
    }

    /// <inheritdoc/>
    public Hash32 StateRoot
    {
        get { _lock.EnterReadLock(); try { return _store.StateRoot; } finally { _lock.ExitReadLock(); } }
    }

    /// <summary>The state tree, opened on first use (its bucket level from the snapshot and journal).</summary>
    internal SparseMerkleTree Tree => _tree.Value;

    /// <summary>
    /// Opens the state tree now: its bucket level read from the snapshot, the blocks committed after
    /// it replayed, the levels above hashed. Otherwise the first block's load or the first proof opens
    /// it, and that block takes seconds longer than the others at 10^8 accounts; a node calls this at
    /// start-up. Calling it again does nothing.
    /// </summary>
    /// <exception cref="GpuExecException">The tree's snapshot or the blocks after it cannot be read (a damaged store); every later use of the tree fails the same way.</exception>
    public void OpenTree() => _ = _tree.Value;

    /// <summary>The state tree's buckets behind their cache (tests).</summary>
    internal StoredBuckets Buckets => _buckets;

    /// <summary>Whether the tree was opened (it is then kept up to date and written to its snapshot).</summary>
    internal bool TreeOpened => _tree.IsValueCreated;

    ITreeView ITreeOwner.TreeView => Tree;

    /// <summary>The caches' counters: accounts (hits, misses, bytes) and buckets (hits, misses, bytes).</summary>
    public (long AccountHits, long AccountMisses, long AccountBytes, long BucketHits, long BucketMisses, long BucketBytes) CacheStats
    {
        get
        {
            long h, m, b;
            lock (_cacheGate) (h, m, b) = (_accounts.Hits, _accounts.Misses, _accounts.Bytes);
            var t = _buckets.CacheStats;
            return (h, m, b, t.Hits, t.Misses, t.Bytes);
        }
    }

    /// <inheritdoc/>
    public Account? TryGetAccount(Address address)
    {
        _lock.EnterReadLock();
        try { return ReadAccount(address); }
        finally { _lock.ExitReadLock(); }
    }

    private Account? ReadAccount(Address address)
    {
        lock (_cacheGate)
        {
            if (_accounts.TryGet(address, out var cached)) return cached;
        }
        var key = new byte[StoreLayout.AccountKeySize];
        StoreLayout.AccountKey(address, key);
        byte[]? value;
        try { value = _db.Get(key, null, _read); }
        catch (RocksDbException e) { throw RocksDbStateStore.Translate(_store.Directory, e, "cannot read the state store"); }
        var account = Decode(key, value);
        lock (_cacheGate) _accounts.Set(address, account, Size(account));
        return account;
    }

    private Account? Decode(byte[] key, byte[]? value) =>
        value is null ? null : StoreLayout.ReadAccount(key, value) ?? throw new GpuExecException(ErrorKind.InvalidInput,
            $"{_store.Directory}: the state store is corrupted: bad account record {Convert.ToHexStringLower(key)}");

    private static int Size(Account? a) => a is null ? 40 : 96 + 16 * a.EntryCount;

    /// <inheritdoc/>
    public bool TryGetPool(uint id, out Pool pool)
    {
        _lock.EnterReadLock();
        try { return _pools.TryGetValue(id, out pool); }
        finally { _lock.ExitReadLock(); }
    }

    /// <summary>Every pool, by id.</summary>
    public IReadOnlyCollection<Pool> Pools
    {
        get { _lock.EnterReadLock(); try { return [.. _pools.Values.OrderBy(p => p.Id)]; } finally { _lock.ExitReadLock(); } }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The accounts the block names (senders, transfer recipients, the fee collector) are read in
    /// batches of point reads, and the tree buckets of their keys too, so that the execute and
    /// state_root stages find them in memory.
    /// </remarks>
    public IStateReader Load(Block block, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(block);
        var addresses = new HashSet<Address> { block.Header.FeeCollector };
        for (int i = 0; i < block.Count; i++)
        {
            var tx = new TransactionView(block.Record(i));
            if (!tx.IsWellFormed) continue;
            addresses.Add(tx.Sender);
            if (tx.Kind == TxKind.Transfer) addresses.Add(tx.To);
        }
        cancellationToken.ThrowIfCancellationRequested();
        var list = addresses.ToArray();
        // The buckets depend only on the keys: read beside the accounts.
        var keys = new TreeKey[list.Length];
        TreeUpdates.AccountKeys(list, keys);
        int depth = Tree.TopDepth;
        var buckets = new uint[keys.Length];
        for (int i = 0; i < keys.Length; i++) buckets[i] = keys[i].Prefix(depth);
        Array.Sort(buckets);
        var prefetch = Task.Run(() => _buckets.Prefetch(buckets.Distinct().ToArray()), CancellationToken.None);
        var loaded = new Dictionary<Address, Account?>(list.Length);
        ulong height;
        try
        {
            _lock.EnterReadLock();
            try
            {
                height = _store.Height;
                var missing = new List<Address>();
                lock (_cacheGate)
                {
                    foreach (var a in list)
                    {
                        if (_accounts.TryGet(a, out var cached)) loaded[a] = cached;
                        else missing.Add(a);
                    }
                }
                ReadMany(missing, loaded);
            }
            finally { _lock.ExitReadLock(); }
        }
        finally { prefetch.GetAwaiter().GetResult(); }
        cancellationToken.ThrowIfCancellationRequested();
        return new LoadedState(this, height, loaded);
    }

    /// <summary>Reads <paramref name="addresses"/> from disk in batches into the cache and <paramref name="into"/>.</summary>
    private void ReadMany(List<Address> addresses, Dictionary<Address, Account?> into) =>
        ReadBatches.Run(addresses.Count, (from, n) =>
        {
            var keys = new byte[n][];
            for (int i = 0; i < n; i++)
            {
                keys[i] = new byte[StoreLayout.AccountKeySize];
                StoreLayout.AccountKey(addresses[from + i], keys[i]);
            }
            KeyValuePair<byte[], byte[]>[] values;
            try { values = _db.MultiGet(keys, null, _read); }
            catch (RocksDbException e) { throw RocksDbStateStore.Translate(_store.Directory, e, "cannot read the state store"); }
            var decoded = new Account?[n];
            for (int i = 0; i < n; i++) decoded[i] = Decode(keys[i], values[i].Value);
            lock (_cacheGate)
            {
                for (int i = 0; i < n; i++)
                {
                    _accounts.Set(addresses[from + i], decoded[i], Size(decoded[i]));
                    into[addresses[from + i]] = decoded[i];
                }
            }
        });

    /// <summary>The change sets committed after <paramref name="height"/>, oldest first (null when some are no longer kept), and the height they lead to.</summary>
    internal (List<ChangeSet>? Changes, ulong Now) ChangesSince(ulong height)
    {
        _lock.EnterReadLock();
        try
        {
            ulong now = _store.Height;
            if (now == height) return ([], now);
            var list = new List<ChangeSet>();
            foreach (var (h, c) in _recent)
                if (h > height) list.Add(c);
            return (list.Count == (int)Math.Min(now - height, int.MaxValue) ? list : null, now);
        }
        finally { _lock.ExitReadLock(); }
    }

    /// <inheritdoc/>
    public Hash32 Commit(Block block, BlockResult result, PendingState pending)
    {
        ArgumentNullException.ThrowIfNull(block);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(pending);
        if (!ReferenceEquals(result.Changes, pending.Changes) || block.Header.Height != pending.Height)
            throw new InvalidOperationException($"the result of block {block.Header.Height} is not the pending state's");
        IStateReader bottom = pending;
        while (bottom is PendingState p) bottom = p.Parent;
        if (bottom is LoadedState l) bottom = l.Store;
        if (!ReferenceEquals(bottom, this))
            throw new InvalidOperationException("the pending state was not executed on this store's state");
        var tree = Tree;
        _lock.EnterWriteLock();
        try
        {
            if (pending.ParentRoot != _store.StateRoot || pending.Height != _store.Height + 1)
                throw new InvalidOperationException($"the block at height {pending.Height} was executed on root {pending.ParentRoot}, but the committed head is height {_store.Height}, root {_store.StateRoot}: its parent is no longer the head");
            var (buckets, _) = pending.Tree.Contents;
            _store.WriteBlock(block, result, buckets, pending.Tree.Count);
            tree.Commit(pending.Tree);
            lock (_cacheGate)
            {
                foreach (ref readonly var c in pending.Changes.AccountSpan) _accounts.Set(c.Address, c.After, Size(c.After));
            }
            foreach (ref readonly var p in pending.Changes.PoolSpan) _pools[p.Id] = p.After;
            _recent.AddLast((pending.Height, pending.Changes));
            while (_recent.Count > RecentBlocks) _recent.RemoveFirst();
            _store.AfterCommit(tree, buckets.Count);
            return tree.Root;
        }
        finally { _lock.ExitWriteLock(); }
    }

    /// <summary>
    /// Commits a block whose changes were made elsewhere (an executor that applied it to its own copy
    /// of the state): the tree's changes are computed here from the change set, then committed.
    /// </summary>
    internal Hash32 CommitChanges(Block block, BlockResult result)
    {
        var changes = result.Changes ?? throw new InvalidOperationException($"commit of block {block.Header.Height} with a result that carries no change set");
        var pending = PendingState.Create(this, changes, block.Header.Height, runner: null);
        if (pending.StateRoot != result.StateRoot)
            throw new InvalidOperationException($"block {block.Header.Height}'s changes give root {pending.StateRoot} on the stored state, not the result's {result.StateRoot}: they were not made on it");
        return Commit(block, result, pending);
    }

    /// <summary>The proof (SPEC section 6) for the account at <paramref name="address"/> in the committed state.</summary>
    public StateProof GetProof(Address address)
    {
        var tree = Tree;
        _lock.EnterReadLock();
        try { return Proofs.Make(tree, _store.Height, TreeKey.ForAccount(address), ReadAccount(address) is { IsEmpty: false } a ? Proofs.AccountLeaf(a) : null); }
        finally { _lock.ExitReadLock(); }
    }

    /// <summary>The proof (SPEC section 6) for pool <paramref name="id"/> in the committed state.</summary>
    public StateProof GetProof(uint id)
    {
        var tree = Tree;
        _lock.EnterReadLock();
        try { return Proofs.Make(tree, _store.Height, TreeKey.ForPool(id), _pools.TryGetValue(id, out var p) ? Proofs.PoolLeaf(p) : null); }
        finally { _lock.ExitReadLock(); }
    }

    /// <summary>Runs <paramref name="read"/> with commits held off, so the store stays at one height throughout.</summary>
    internal void WhileNoCommit(Action read)
    {
        _lock.EnterReadLock();
        try { read(); }
        finally { _lock.ExitReadLock(); }
    }

    /// <summary>Forgets the caches (a failed commit: what is on disk is read again).</summary>
    internal void ForgetCaches()
    {
        lock (_cacheGate) _accounts.Clear();
        _buckets.Clear();
    }
}

/// <summary>
/// A store's state with one block's accounts loaded in memory (<see cref="StoreState.Load"/>): reads
/// of those come from memory, others from the store. Blocks committed since the load are applied
/// to what was loaded on first read, so a block loaded ahead sees its predecessors' writes.
/// </summary>
internal sealed class LoadedState : IStateReader, ITreeOwner
{
    private readonly Dictionary<Address, Account?> _loaded;
    private ulong _loadedAt;
    private readonly Lock _gate = new();

    public LoadedState(StoreState store, ulong height, Dictionary<Address, Account?> loaded)
    {
        Store = store;
        _loadedAt = height;
        _loaded = loaded;
    }

    public StoreState Store { get; }
    public uint ChainId => Store.ChainId;
    public ulong Height => Store.Height;
    public Hash32 StateRoot => Store.StateRoot;
    ITreeView ITreeOwner.TreeView => Store.Tree;

    public Account? TryGetAccount(Address address)
    {
        lock (_gate)
        {
            CatchUp();
            if (_loaded.TryGetValue(address, out var a)) return a;
        }
        return Store.TryGetAccount(address);
    }

    public bool TryGetPool(uint id, out Pool pool) => Store.TryGetPool(id, out pool);

    /// <summary>Applies the blocks committed since the load to what was loaded (or drops it when they are no longer known).</summary>
    private void CatchUp()
    {
        var (since, now) = Store.ChangesSince(_loadedAt);
        if (now == _loadedAt) return;
        if (since is null) _loaded.Clear();
        else
        {
            foreach (var changes in since)
                foreach (ref readonly var c in changes.AccountSpan)
                    if (_loaded.ContainsKey(c.Address)) _loaded[c.Address] = c.After;
        }
        _loadedAt = now;
    }
}
