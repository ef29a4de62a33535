using System.Buffers.Binary;
using GpuExec.Execution;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;
using RocksDbSharp;

namespace GpuExec.Storage;

/// <summary>
/// A durable <see cref="IStateStore"/> in a RocksDB directory (layout: <see cref="StoreLayout"/>).
/// <para><b>Atomicity.</b> <see cref="CommitBlock"/> puts the block's changed accounts, changed pools,
/// the new height, the new state root and the block's receipts into ONE RocksDB <c>WriteBatch</c>
/// and writes it with <c>sync = true</c>: the batch is appended to the write-ahead log and the log is
/// fsynced before the call returns. RocksDB applies a batch all or nothing, also across a crash
/// (a torn log tail is dropped on recovery), so a reopened store is at the height before the block
/// or after it, never between. Initialisation from a genesis is one such batch too (the store
/// marker is in it, so a store whose creation was interrupted opens as empty and is initialised again).</para>
/// <para><b>Memory.</b> The state root of SPEC section 6 is a Merkle tree over <em>every</em> leaf, so
/// each block needs all leaves anyway; the store therefore keeps nothing in memory itself but
/// <see cref="Load"/> reads the whole state into a <see cref="WorldState"/> once, and execution runs
/// on it without ever touching the disk (no read is slower than a dictionary lookup). The disk is
/// only written, once per block, with what changed. The cost is memory proportional to the state
/// (about 150 bytes per account), the same as running without a store.</para>
/// <para><b>Checks on open.</b> A directory that holds files but is not a GpuExec store, a store of another
/// chain or another genesis, a store another process (or another instance in this process) has
/// open, and a corrupted store are refused with a <see cref="GpuExecException"/> naming the directory;
/// <see cref="Load"/> recomputes the state root and refuses the store when it is not the stored one.
/// Table files are read with checksums verified, so a flipped bit there is caught too. A damaged
/// write-ahead log is recovered up to its last intact record (RocksDB's point-in-time recovery, which
/// is also what makes a torn last write after a crash harmless): the store then opens at an earlier
/// block boundary, consistent, without the blocks after the damage.</para>
/// Not thread-safe: one writer, the block loop.
/// </summary>
public sealed class RocksDbStateStore : IStateStore
{
    private readonly RocksDb _db;
    private readonly WriteOptions _syncWrite = new WriteOptions().SetSync(true);
    private readonly Dictionary<uint, Pool> _storedPools = [];
    private byte[] _valueBuffer = new byte[256];
    private bool _disposed;

    private RocksDbStateStore(RocksDb db, string directory, uint chainId, ulong genesisHeight, Hash32 genesisRoot, ulong height, Hash32 root)
    {
        _db = db;
        Directory = directory;
        ChainId = chainId;
        GenesisHeight = genesisHeight;
        GenesisRoot = genesisRoot;
        Height = height;
        StateRoot = root;
    }

    /// <summary>The store's directory (full path).</summary>
    public string Directory { get; }
    public uint ChainId { get; }
    public ulong Height { get; private set; }
    public Hash32 StateRoot { get; private set; }
    /// <summary>Height of the genesis the store was initialised from.</summary>
    public ulong GenesisHeight { get; }
    /// <summary>State root of the genesis the store was initialised from.</summary>
    public Hash32 GenesisRoot { get; }

    /// <summary>True when <paramref name="directory"/> is missing or empty, i.e. opening it needs a genesis.</summary>
    public static bool IsNew(string directory)
    {
        string full = Path.GetFullPath(directory);
        return !System.IO.Directory.Exists(full) || !System.IO.Directory.EnumerateFileSystemEntries(full).Any();
    }

    /// <summary>
    /// Opens the store in <paramref name="directory"/>. A missing or empty directory is created and
    /// initialised from <paramref name="genesis"/> (required then). A directory that already holds a
    /// store is opened as it is; when <paramref name="genesis"/> is given, it must be the store's own
    /// (same chain id, genesis height and genesis state root), else the store is refused.
    /// </summary>
    /// <param name="genesis">Only read; it is not kept.</param>
    /// <exception cref="GpuExecException"><see cref="ErrorKind.InvalidInput"/>: not a store, another chain or
    /// genesis, locked by another process, corrupted, or new with no genesis.</exception>
    public static RocksDbStateStore Open(string directory, WorldState? genesis)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string dir = Path.GetFullPath(directory);
        if (File.Exists(dir)) throw Fail(dir, "is a file, not a state store directory");
        bool exists = System.IO.Directory.Exists(dir);
        bool empty = !exists || !System.IO.Directory.EnumerateFileSystemEntries(dir).Any();
        if (!empty && !File.Exists(Path.Combine(dir, "CURRENT")))
            throw Fail(dir, "is not a GpuExec state store (it holds files but no RocksDB database); give an empty or new directory");
        if (empty && genesis is null)
            throw Fail(dir, "holds no state store yet: a genesis (--genesis) is needed to initialise it");

        var options = new DbOptions()
            .SetCreateIfMissing(empty)
            .SetParanoidChecks(true)
            .SetKeepLogFileNum(2)
            .SetWriteBufferSize(64UL << 20)
            .SetMaxTotalWalSize(256UL << 20);
        RocksDb db;
        try
        {
            db = RocksDb.Open(options, dir);
        }
        catch (RocksDbException e)
        {
            if (e.Message.Contains("lock", StringComparison.OrdinalIgnoreCase))
                throw new GpuExecException(ErrorKind.InvalidInput,
                    $"{dir}: the state store is locked: another gpuexec process (or another open instance) is using it ({e.Message})", e);
            throw new GpuExecException(ErrorKind.InvalidInput, $"{dir}: the state store is corrupted or unreadable: {e.Message}", e);
        }
        try
        {
            return OpenDb(db, dir, genesis);
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    private static RocksDbStateStore OpenDb(RocksDb db, string dir, WorldState? genesis)
    {
        var magic = Get(db, dir, StoreLayout.MagicKey);
        if (magic is null)
        {
            if (!IsEmptyDb(db, dir))
                throw Fail(dir, "is a RocksDB database but not a GpuExec state store (no store marker)");
            if (genesis is null)
                throw Fail(dir, "holds no state store yet: a genesis (--genesis) is needed to initialise it");
            return Initialise(db, dir, genesis);
        }
        if (!magic.AsSpan().SequenceEqual(StoreLayout.MagicValue))
            throw Fail(dir, "is a RocksDB database but not a GpuExec state store (wrong store marker)");
        uint format = ReadU32(db, dir, StoreLayout.FormatKey, "format");
        if (format != StoreLayout.FormatVersion)
            throw Fail(dir, $"state store format version {format} is not supported (this build reads version {StoreLayout.FormatVersion})");
        uint chainId = ReadU32(db, dir, StoreLayout.ChainIdKey, "chain_id");
        ulong genesisHeight = ReadU64(db, dir, StoreLayout.GenesisHeightKey, "genesis_height");
        var genesisRoot = ReadHash(db, dir, StoreLayout.GenesisRootKey, "genesis_root");
        ulong height = ReadU64(db, dir, StoreLayout.HeightKey, "height");
        var root = ReadHash(db, dir, StoreLayout.StateRootKey, "state_root");
        if (height < genesisHeight) throw Corrupted(dir, $"height {height} is below the genesis height {genesisHeight}");
        if (genesis is not null)
        {
            if (genesis.ChainId != chainId)
                throw Fail(dir, $"holds chain {chainId}, but the genesis is for chain {genesis.ChainId}");
            var givenRoot = genesis.ComputeStateRoot();
            if (givenRoot != genesisRoot || genesis.Height != genesisHeight)
                throw Fail(dir, $"was initialised from a different genesis (state root {genesisRoot} at height {genesisHeight}; the given genesis has {givenRoot} at height {genesis.Height})");
        }
        return new RocksDbStateStore(db, dir, chainId, genesisHeight, genesisRoot, height, root);
    }

    private static RocksDbStateStore Initialise(RocksDb db, string dir, WorldState genesis)
    {
        var root = genesis.ComputeStateRoot();
        using var batch = new WriteBatch();
        Span<byte> key = stackalloc byte[StoreLayout.AccountKeySize];
        var buffer = new byte[256];
        foreach (var a in genesis.Accounts)
        {
            if (a.IsEmpty) continue;
            StoreLayout.AccountKey(a.Address, key);
            int len = StoreLayout.AccountValue(a, ref buffer);
            batch.Put(key, buffer.AsSpan(0, len));
        }
        Span<byte> pv = stackalloc byte[StoreLayout.PoolValueSize];
        foreach (var p in genesis.Pools)
        {
            StoreLayout.PoolKey(p.Id, key[..StoreLayout.PoolKeySize]);
            StoreLayout.PoolValue(p, pv);
            batch.Put(key[..StoreLayout.PoolKeySize], pv);
        }
        batch.Put(StoreLayout.MagicKey, StoreLayout.MagicValue.ToArray());
        batch.Put(StoreLayout.FormatKey, U32(StoreLayout.FormatVersion));
        batch.Put(StoreLayout.ChainIdKey, U32(genesis.ChainId));
        batch.Put(StoreLayout.GenesisHeightKey, U64(genesis.Height));
        batch.Put(StoreLayout.GenesisRootKey, root.ToArray());
        batch.Put(StoreLayout.HeightKey, U64(genesis.Height));
        batch.Put(StoreLayout.StateRootKey, root.ToArray());
        try
        {
            db.Write(batch, new WriteOptions().SetSync(true));
        }
        catch (RocksDbException e)
        {
            throw new GpuExecException(ErrorKind.InvalidInput, $"{dir}: cannot initialise the state store: {e.Message}", e);
        }
        return new RocksDbStateStore(db, dir, genesis.ChainId, genesis.Height, root, genesis.Height, root);
    }

    /// <inheritdoc/>
    /// <remarks>Reads every account and pool (one ordered scan, checksums verified) and recomputes the
    /// state root; a store whose contents do not hash to the stored root is refused as corrupted.</remarks>
    public WorldState Load()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var state = new WorldState(ChainId, Height);
        _storedPools.Clear();
        var ro = new ReadOptions().SetVerifyChecksums(true).SetFillCache(false);
        try
        {
            using var it = _db.NewIterator(null, ro);
            for (it.Seek([StoreLayout.AccountPrefix]); it.Valid(); it.Next())
            {
                var k = it.GetKeySpan();
                if (k[0] >= StoreLayout.ReceiptsPrefix) break;
                var v = it.GetValueSpan();
                if (k[0] == StoreLayout.AccountPrefix)
                {
                    var a = StoreLayout.ReadAccount(k, v) ?? throw Corrupted(Directory, $"bad account record {Convert.ToHexStringLower(k)}");
                    state.AddAccount(a);
                    a.Unsaved = false;
                }
                else if (k[0] == StoreLayout.PoolPrefix)
                {
                    if (!StoreLayout.TryReadPool(k, v, out var p)) throw Corrupted(Directory, $"bad pool record {Convert.ToHexStringLower(k)}");
                    state.SetPool(p);
                    _storedPools[p.Id] = p;
                }
                else throw Corrupted(Directory, $"unknown record {Convert.ToHexStringLower(k)}");
            }
            Native.Instance.rocksdb_iter_get_error(it.Handle); // an iterator stops silently on a read error
        }
        catch (RocksDbException e)
        {
            throw new GpuExecException(ErrorKind.InvalidInput, $"{Directory}: the state store is corrupted or unreadable: {e.Message}", e);
        }
        var root = state.ComputeStateRoot();
        if (root != StateRoot)
            throw Corrupted(Directory, $"the stored state hashes to {root}, not to the stored state root {StateRoot} at height {Height}");
        return state;
    }

    /// <inheritdoc/>
    /// <remarks>One <c>WriteBatch</c>, written with the WAL fsynced. The <see cref="Account.Unsaved"/> flags
    /// are cleared only after the write succeeded; on failure nothing is stored and an
    /// <see cref="IOException"/> names the directory.</remarks>
    public void CommitBlock(WorldState stateAfter, Block block, BlockResult result)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        StateStoreChecks.CheckCommit(this, stateAfter, block, result);
        var changed = stateAfter.CollectUnsavedAccounts();
        var changedPools = new List<Pool>();
        using var batch = new WriteBatch();
        Span<byte> key = stackalloc byte[StoreLayout.AccountKeySize];
        foreach (var a in changed)
        {
            StoreLayout.AccountKey(a.Address, key);
            if (a.IsEmpty) { batch.Delete(key); continue; }
            int len = StoreLayout.AccountValue(a, ref _valueBuffer);
            batch.Put(key, _valueBuffer.AsSpan(0, len));
        }
        Span<byte> pv = stackalloc byte[StoreLayout.PoolValueSize];
        foreach (var p in stateAfter.Pools)
        {
            if (_storedPools.TryGetValue(p.Id, out var old) && StoreLayout.SamePool(old, p)) continue;
            StoreLayout.PoolKey(p.Id, key[..StoreLayout.PoolKeySize]);
            StoreLayout.PoolValue(p, pv);
            batch.Put(key[..StoreLayout.PoolKeySize], pv);
            changedPools.Add(p);
        }
        ulong height = block.Header.Height;
        batch.Put(StoreLayout.HeightKey, U64(height));
        batch.Put(StoreLayout.StateRootKey, result.StateRoot.ToArray());
        batch.Put(StoreLayout.ReceiptsKey(height), StoreLayout.ReceiptsValue(result));
        try
        {
            _db.Write(batch, _syncWrite);
        }
        catch (RocksDbException e)
        {
            throw new IOException($"{Directory}: commit of block {height} failed, the store stays at height {Height}: {e.Message}", e);
        }
        foreach (var a in changed) a.Unsaved = false;
        foreach (var p in changedPools) _storedPools[p.Id] = p;
        Height = height;
        StateRoot = result.StateRoot;
    }

    public BlockResult? TryGetReceipts(ulong height)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var v = Get(_db, Directory, StoreLayout.ReceiptsKey(height));
        if (v is null) return null;
        return StoreLayout.ReadReceipts(v) ?? throw Corrupted(Directory, $"bad receipts record at height {height}");
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _db.Dispose();
    }

    private static bool IsEmptyDb(RocksDb db, string dir)
    {
        try
        {
            using var it = db.NewIterator();
            it.SeekToFirst();
            bool empty = !it.Valid();
            Native.Instance.rocksdb_iter_get_error(it.Handle);
            return empty;
        }
        catch (RocksDbException e)
        {
            throw new GpuExecException(ErrorKind.InvalidInput, $"{dir}: the state store is corrupted or unreadable: {e.Message}", e);
        }
    }

    private static byte[]? Get(RocksDb db, string dir, byte[] key)
    {
        try { return db.Get(key); }
        catch (RocksDbException e)
        {
            throw new GpuExecException(ErrorKind.InvalidInput, $"{dir}: the state store is corrupted or unreadable: {e.Message}", e);
        }
    }

    private static uint ReadU32(RocksDb db, string dir, byte[] key, string name)
    {
        var v = Get(db, dir, key);
        if (v is not { Length: 4 }) throw Corrupted(dir, $"meta record {name} is missing or malformed");
        return BinaryPrimitives.ReadUInt32LittleEndian(v);
    }

    private static ulong ReadU64(RocksDb db, string dir, byte[] key, string name)
    {
        var v = Get(db, dir, key);
        if (v is not { Length: 8 }) throw Corrupted(dir, $"meta record {name} is missing or malformed");
        return BinaryPrimitives.ReadUInt64LittleEndian(v);
    }

    private static Hash32 ReadHash(RocksDb db, string dir, byte[] key, string name)
    {
        var v = Get(db, dir, key);
        if (v is not { Length: 32 }) throw Corrupted(dir, $"meta record {name} is missing or malformed");
        return new Hash32(v);
    }

    private static byte[] U32(uint v) { var b = new byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, v); return b; }
    private static byte[] U64(ulong v) { var b = new byte[8]; BinaryPrimitives.WriteUInt64LittleEndian(b, v); return b; }

    private static GpuExecException Fail(string dir, string what) => new(ErrorKind.InvalidInput, $"{dir}: {what}");
    private static GpuExecException Corrupted(string dir, string what) => new(ErrorKind.InvalidInput, $"{dir}: the state store is corrupted: {what}");
}
