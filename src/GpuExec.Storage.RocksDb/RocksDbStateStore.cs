using GpuExec.Commitments;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
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
/// or after it, never between. Initialisation from a genesis is one such batch too.</para>
/// <para><b>Memory.</b> <see cref="Load"/> reads the whole state into a <see cref="WorldState"/> once
/// (and computes its state tree), and execution runs on it without touching the disk. The disk is
/// only written, once per block, with the block's change set. The cost is memory proportional to
/// the state, the same as running without a store.</para>
/// <para><b>Checks on open.</b> A directory that holds files but is not a GpuExec store, a store of another
/// chain or another genesis, a store another process (or another instance in this process) has
/// open, and a corrupted store are refused with a <see cref="GpuExecException"/> naming the directory;
/// a directory that holds any of RocksDB's files is never initialised (see <see cref="Open"/>).
/// <see cref="Load"/> recomputes the state root and refuses the store when it is not the stored one.
/// Table files are read with checksums verified, so a flipped bit there is caught too. The
/// write-ahead log is recovered in RocksDB's <c>TolerateCorruptedTailRecords</c> mode: the torn last
/// record of a crash is dropped (that block was never acknowledged), any other damaged record
/// refuses the store. Beside RocksDB's files, a commit record (<see cref="CommitRecord"/>) holds the
/// height and root of the last acknowledged block: a store that opens below it has lost blocks
/// and is refused, whatever RocksDB could or could not tell.</para>
/// <para><b>Failures.</b> A full disk, or another failure of the environment, is an
/// <see cref="IOException"/>, not a refusal of the store.</para>
/// Not thread-safe: one writer, the block loop.
/// </summary>
public sealed partial class RocksDbStateStore : IStateStore
{
    /// <summary>Present while a store is being created in its directory; see <see cref="Open"/>.</summary>
    internal const string CreatingFileName = "GPUEXEC-CREATING";

    /// <summary>The cache of accounts and state tree buckets a store keeps by default: 1 GiB.</summary>
    public const long DefaultCacheBytes = 1L << 30;

    private readonly RocksDb _db;
    private readonly CommitRecord? _commits;
    private readonly WriteOptions _syncWrite = new WriteOptions().SetSync(true);
    private byte[] _valueBuffer = new byte[256];
    private bool _disposed;
    private readonly int _treeDepth;
    private long _leafCount;
    // The tree's bucket level was last written to its snapshot file at this height; buckets journaled since.
    private ulong _snapshotHeight;
    private long _journaledSinceSnapshot;
    private ulong? _pruneJournalTo;

    private RocksDbStateStore(RocksDb db, CommitRecord? commits, string directory, uint chainId, ulong genesisHeight, Hash32 genesisRoot, ulong height, Hash32 root,
        int treeDepth, long leafCount, Dictionary<uint, Pool> pools, long cacheBytes)
    {
        _db = db;
        _commits = commits;
        Directory = directory;
        ChainId = chainId;
        GenesisHeight = genesisHeight;
        GenesisRoot = genesisRoot;
        Height = height;
        StateRoot = root;
        _treeDepth = treeDepth;
        _leafCount = leafCount;
        State = new StoreState(this, db, pools, cacheBytes, OpenTree);
    }

    /// <summary>
    /// The committed state as the store holds it, on disk behind bounded caches: what blocks are
    /// proposed on (after its <c>Load</c>) and committed to (<see cref="StoreState.Commit"/>), in
    /// memory bounded whatever the chain's size. <see cref="Load"/> is the whole state in memory instead.
    /// </summary>
    public StoreState State { get; }

    /// <summary>The state tree's bucket depth (its 2^D buckets are the subtrees at depth D).</summary>
    public int TreeDepth => _treeDepth;

    /// <summary>The state tree's leaves at the committed height: one per account and one per pool.</summary>
    public long LeafCount => _leafCount;

    /// <summary>The store's directory (full path).</summary>
    public string Directory { get; }
    /// <inheritdoc/>
    public uint ChainId { get; }
    /// <inheritdoc/>
    public ulong Height { get; private set; }
    /// <inheritdoc/>
    public Hash32 StateRoot { get; private set; }
    /// <summary>Height of the genesis the store was initialised from.</summary>
    public ulong GenesisHeight { get; }
    /// <summary>State root of the genesis the store was initialised from.</summary>
    public Hash32 GenesisRoot { get; }
    /// <summary>True when the store was opened read-only (<see cref="CommitBlock"/> then refuses).</summary>
    public bool IsReadOnly => _commits is null;

    /// <summary>
    /// True when opening <paramref name="directory"/> creates a store, i.e. needs a genesis: it is
    /// missing or empty, or a creation in it was interrupted before it finished.
    /// </summary>
    public static bool IsNew(string directory)
    {
        string full = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(full)) return true;
        return !System.IO.Directory.EnumerateFileSystemEntries(full).Any() || CreationInterrupted(full);
    }

    private static bool CreationInterrupted(string dir) =>
        File.Exists(Path.Combine(dir, CreatingFileName)) && !File.Exists(CommitRecord.PathIn(dir));

    /// <summary>
    /// Opens the store in <paramref name="directory"/>. A missing or empty directory is created and
    /// initialised from <paramref name="genesis"/> (required then). A directory that already holds a
    /// store is opened as it is; when <paramref name="genesis"/> is given, it must be the store's own
    /// (same chain id, genesis height and genesis state root), else the store is refused.
    /// <para>A directory that holds anything else is never initialised: not a damaged store whose
    /// write-ahead log no longer yields its first record, not a store that lost its <c>CURRENT</c>
    /// file. The one exception is a creation that was interrupted (a crash before <c>Open</c>
    /// returned): a <c>GPUEXEC-CREATING</c> file is written into the empty directory first and
    /// removed once the store and its commit record exist, so such a directory held nothing that was
    /// ever acknowledged, and it is created again from the genesis (or refused when that genesis is not
    /// the one it was being created from).</para>
    /// </summary>
    /// <param name="genesis">Only read; it is not kept.</param>
    /// <param name="readOnly">Open without writing anything into the directory and without taking
    /// RocksDB's lock (so also while another process writes it, which then may be ahead); such a
    /// store loads and reads but refuses <see cref="CommitBlock"/>. A new directory cannot be
    /// opened read-only. The open is made again when such a writer changed the files under it;
    /// <see cref="ReadState"/> does that for the open and the <see cref="Load"/> together.</param>
    /// <exception cref="GpuExecException"><see cref="ErrorKind.InvalidInput"/>: not a store, another chain or
    /// genesis, locked by another process, corrupted, or new with no genesis.</exception>
    /// <exception cref="IOException">The environment failed (the disk is full, ...), not the store.</exception>
    /// <param name="cacheBytes">The cache of accounts and state tree buckets (<see cref="State"/>), in bytes.</param>
    public static RocksDbStateStore Open(string directory, WorldState? genesis, bool readOnly = false, long cacheBytes = DefaultCacheBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentOutOfRangeException.ThrowIfNegative(cacheBytes);
        string dir = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        // A reader takes no lock, so a writer may replace the files it is reading (see WhileUnchanged).
        return readOnly ? WhileUnchanged(dir, () => OpenOnce(dir, genesis, readOnly: true, cacheBytes)) : OpenOnce(dir, genesis, readOnly: false, cacheBytes);
    }

    private static RocksDbStateStore OpenOnce(string dir, WorldState? genesis, bool readOnly, long cacheBytes = DefaultCacheBytes)
    {
        if (File.Exists(dir)) throw Fail(dir, "is a file, not a state store directory");
        bool creating = IsNew(dir);
        if (creating && genesis is null)
            throw Fail(dir, CreationInterrupted(dir)
                ? "holds a state store whose creation was interrupted: the genesis (--genesis) it was being created from is needed to finish it"
                : "holds no state store yet: a genesis (--genesis) is needed to initialise it");
        if (creating && readOnly)
            throw Fail(dir, "holds no state store yet, and a read-only open cannot create one");
        if (!creating && !File.Exists(Path.Combine(dir, "CURRENT")))
        {
            throw Fail(dir, System.IO.Directory.EnumerateFiles(dir).Any(f => IsStoreFile(Path.GetFileName(f)))
                ? "the state store is corrupted: it holds RocksDB files but no CURRENT file; it is not re-initialised"
                : "is not a GpuExec state store (it holds files but no RocksDB database); give an empty or new directory");
        }

        (ulong Height, Hash32 Root)? committed = null;
        if (creating) BeginCreation(dir);
        else if (readOnly) committed = ReadCommitRecord(dir);
        else
        {
            // Checked read-only first: a writable open deletes the table files its manifest does not
            // name, so a damaged manifest that lost one would lose its blocks for good before the
            // checks below could refuse the store. The check takes no lock: another process's
            // writer may change the files under it, and then it is made again (RocksDB's lock,
            // taken below, then says whether that writer still holds the store).
            committed = WhileUnchanged(dir, () =>
            {
                var record = ReadCommitRecord(dir);
                using var probe = OpenRocksDb(dir, creating: false, readOnly: true);
                CommitRecord? none = null;
                OpenDb(probe, dir, genesis, creating: false, record, readOnly: true, ref none, cacheBytes: 0).Dispose();
                return record;
            });
        }
        var db = OpenRocksDb(dir, creating, readOnly);
        CommitRecord? commits = null;
        try
        {
            var store = OpenDb(db, dir, genesis, creating, committed, readOnly, ref commits, cacheBytes);
            if (creating) FinishCreation(dir);
            return store;
        }
        catch
        {
            commits?.Dispose();
            db.Dispose();
            throw;
        }
    }

    /// <summary>
    /// How every table of a store is written, by the database and by a bulk build alike: uncompressed.
    /// The values are hashes, addresses and balances (they barely compress), and each point read of a
    /// block's load would otherwise decompress a whole table block (measured: LZ4 and its buffer
    /// allocations were about a seventh of the load's CPU at 10^7).
    /// </summary>
    internal const Compression TableCompression = Compression.No;

    /// <summary>
    /// How a table's blocks are laid out, by the database and by a bulk build alike: each data block
    /// has a hash index of its keys beside the binary search of its restart points, so a point read
    /// finds its key in the block with one probe. With <paramref name="filters"/>, bloom filters of
    /// whole keys (the bulk build's bottom level has none: a read there almost always finds its key).
    /// </summary>
    internal static BlockBasedTableOptions TableFormat(bool filters)
    {
        var format = new BlockBasedTableOptions();
        if (filters) format.SetFilterPolicy(BloomFilterPolicy.Create(10)).SetWholeKeyFiltering(true);
        const int binaryAndHash = 1; // rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash
        Native.Instance.rocksdb_block_based_options_set_data_block_index_type(format.Handle, binaryAndHash);
        return format;
    }

    private static RocksDb OpenRocksDb(string dir, bool creating, bool readOnly)
    {
        var options = new DbOptions()
            .SetCreateIfMissing(creating)
            .SetParanoidChecks(true)
            // Why this recovery mode: on a crash, only the last record of the write-ahead log can be
            // incomplete (each commit is one record, synced before it is acknowledged), and this mode
            // drops exactly such an incomplete tail, while any record that is complete but fails its
            // checksum, wherever it is, fails the open with a Corruption status. The default
            // (PointInTime) stops at the first damaged record without a word, which is how a store
            // with 8 flipped bytes in its log used to reopen blocks earlier; AbsoluteConsistency
            // refuses the torn tail of every SIGKILL. What this mode cannot tell from a torn tail (a
            // damaged length field in the log's last 32 KiB) the commit record catches.
            .SetWalRecoveryMode(Recovery.TolerateCorruptedTailRecords)
            .SetKeepLogFileNum(2)
            .SetWriteBufferSize(64UL << 20)
            .SetMaxTotalWalSize(256UL << 20)
            .SetCompression(TableCompression)
            // Bloom filters on the levels that recent blocks' writes fill, none on the bottom one
            // (where the state lies and a read almost always finds its key): a block's load then
            // reads one table block per key, not one per level it passes through.
            .SetBlockBasedTableFactory(TableFormat(filters: true))
            .SetOptimizeFiltersForHits(1)
            // A bloom filter over the memtable's whole keys: nearly every point read of a block's load
            // is of a key the recent blocks did not write, and the filter answers so without a search
            // of the memtable's skip list.
            .SetMemtablePrefixBloomSizeRatio(0.05);
        Native.Instance.rocksdb_options_set_memtable_whole_key_filtering(options.Handle, 1);
        try
        {
            return readOnly ? RocksDb.OpenReadOnly(options, dir, false) : RocksDb.Open(options, dir);
        }
        catch (RocksDbException e)
        {
            if (e.Message.StartsWith("Corruption", StringComparison.Ordinal)) throw Corrupted(dir, DescribeOpenCorruption(dir, e.Message));
            throw Translate(dir, e, "cannot open the state store");
        }
    }

    /// <summary>
    /// What a Corruption status of RocksDB's open names. The status says what kind of damage and
    /// for a manifest which file; for the write-ahead log only RocksDB's info log says which file,
    /// and the read-only open (also the check before each writable one) writes none: the
    /// candidates are named.
    /// </summary>
    private static string DescribeOpenCorruption(string dir, string status)
    {
        if (status.Contains(dir + Path.DirectorySeparatorChar, StringComparison.Ordinal)) return status;
        var logs = System.IO.Directory.EnumerateFiles(dir, "*.log").Order(StringComparer.Ordinal).ToArray();
        var manifests = System.IO.Directory.EnumerateFiles(dir, "MANIFEST-*").Order(StringComparer.Ordinal).ToArray();
        string manifest = manifests.Length > 0 ? $"its manifest {string.Join(", ", manifests)}" : "its manifest";
        return logs.Length > 0
            ? $"its write-ahead log {string.Join(", ", logs)} or {manifest} is damaged ({status})"
            : $"{manifest} is damaged ({status})";
    }

    /// <summary>RocksDB's own file names, and this store's: a directory holding any of them is never initialised.</summary>
    internal static bool IsStoreFile(string name) =>
        name is "CURRENT" or "IDENTITY" or "LOCK" or "LOG" or CommitRecord.FileName or CreatingFileName or TreeSnapshot.FileName
        || name.StartsWith("MANIFEST-", StringComparison.Ordinal) || name.StartsWith("OPTIONS-", StringComparison.Ordinal)
        || name.StartsWith("LOG.old.", StringComparison.Ordinal)
        || Numbered(name, ".log") || Numbered(name, ".sst") || Numbered(name, ".blob");

    private static bool Numbered(string name, string extension) =>
        name.Length > extension.Length && name.EndsWith(extension, StringComparison.Ordinal)
        && name.AsSpan(0, name.Length - extension.Length).IndexOfAnyExceptInRange('0', '9') < 0;

    private static void BeginCreation(string dir)
    {
        try
        {
            System.IO.Directory.CreateDirectory(dir);
            // Another process may be creating the same store: whichever writes the marker, RocksDB's
            // lock, taken next, decides which of them creates it (the other is refused as locked).
            using (var f = new FileStream(Path.Combine(dir, CreatingFileName), FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite)) f.Flush(flushToDisk: true);
            DirectorySync.Flush(dir);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new GpuExecException(ErrorKind.InvalidInput, $"{dir}: cannot create the state store: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new IOException($"{dir}: cannot create the state store: {e.Message}", e);
        }
    }

    private static void FinishCreation(string dir)
    {
        File.Delete(Path.Combine(dir, CreatingFileName));
        DirectorySync.Flush(dir);
    }

    private static RocksDbStateStore OpenDb(RocksDb db, string dir, WorldState? genesis, bool creating,
        (ulong Height, Hash32 Root)? committed, bool readOnly, ref CommitRecord? commits, long cacheBytes)
    {
        var magic = Get(db, dir, StoreLayout.MagicKey);
        if (magic is null && committed is { } lost)
            throw Corrupted(dir, $"its store marker is gone, though block {lost.Height} was committed ({CommitRecord.FileName}): a damaged manifest, write-ahead log or table file; it is not re-initialised");
        if (magic is null)
        {
            if (!creating)
            {
                throw IsEmptyDb(db, dir)
                    ? Corrupted(dir, "its RocksDB database holds nothing, not even the store marker (a damaged write-ahead log, or not a GpuExec store); it is not re-initialised")
                    : Fail(dir, "is a RocksDB database but not a GpuExec state store (no store marker)");
            }
            // A creation cut short may have ingested tables before its marker was written: they go.
            if (!IsEmptyDb(db, dir)) Wipe(db, dir);
            return Initialise(db, dir, genesis!, ref commits, cacheBytes);
        }
        if (!magic.AsSpan().SequenceEqual(StoreLayout.MagicValue))
            throw Fail(dir, "is a RocksDB database but not a GpuExec state store (wrong store marker)");
        uint format = ReadU32(db, dir, StoreLayout.FormatKey, "format");
        if (format != StoreLayout.FormatVersion)
            throw Fail(dir, format < StoreLayout.FormatVersion
                ? $"state store format version {format} holds SPEC v1 state roots; this build keeps SPEC v2 roots (format {StoreLayout.FormatVersion}): dump it with the build that made it and start a new store from the dump"
                : $"state store format version {format} is not supported (this build reads version {StoreLayout.FormatVersion})");
        uint chainId = ReadU32(db, dir, StoreLayout.ChainIdKey, "chain_id");
        ulong genesisHeight = ReadU64(db, dir, StoreLayout.GenesisHeightKey, "genesis_height");
        var genesisRoot = ReadHash(db, dir, StoreLayout.GenesisRootKey, "genesis_root");
        ulong height = ReadU64(db, dir, StoreLayout.HeightKey, "height");
        var root = ReadHash(db, dir, StoreLayout.StateRootKey, "state_root");
        if (height < genesisHeight) throw Corrupted(dir, $"height {height} is below the genesis height {genesisHeight}");
        uint depth = ReadU32(db, dir, StoreLayout.TreeDepthKey, "tree_depth");
        if (depth > SparseMerkleTree.MaxTopDepth) throw Corrupted(dir, $"meta record tree_depth is {depth}, over {SparseMerkleTree.MaxTopDepth}");
        ulong leafCount = ReadU64(db, dir, StoreLayout.LeafCountKey, "leaf_count");
        if (genesis is not null)
        {
            if (genesis.ChainId != chainId)
                throw Fail(dir, $"holds chain {chainId}, but the genesis is for chain {genesis.ChainId}");
            var givenRoot = genesis.StateRoot;
            if (givenRoot != genesisRoot || genesis.Height != genesisHeight)
                throw Fail(dir, $"was initialised from a different genesis (state root {genesisRoot} at height {genesisHeight}; the given genesis has {givenRoot} at height {genesis.Height})");
        }
        bool recorded = Get(db, dir, StoreLayout.CommitRecordKey) is not null;
        if (creating)
        {
            // The interrupted creation got as far as its initialisation batch: only the record is missing.
            commits = CreateCommitRecord(dir, height, root);
        }
        else if (committed is { } c)
        {
            CheckCommitted(db, dir, c, genesisHeight, genesisRoot, height, root);
            if (!readOnly)
            {
                commits = OpenCommitRecord(dir);
                // Left by a crash after the creation was complete; without the record it would read as interrupted.
                File.Delete(Path.Combine(dir, CreatingFileName));
            }
        }
        else if (recorded)
        {
            throw Corrupted(dir, $"its commit record {CommitRecord.FileName} is missing");
        }
        else if (!readOnly)
        {
            // A store made before commit records existed: it gets one now, at the height it opened at.
            commits = CreateCommitRecord(dir, height, root);
            Put(db, dir, StoreLayout.CommitRecordKey, U32(1));
        }
        return new RocksDbStateStore(db, commits, dir, chainId, genesisHeight, genesisRoot, height, root, (int)depth, (long)leafCount, ReadPools(db, dir), cacheBytes);
    }

    /// <summary>Every pool (they are few, and kept in memory).</summary>
    private static Dictionary<uint, Pool> ReadPools(RocksDb db, string dir)
    {
        var pools = new Dictionary<uint, Pool>();
        var ro = new ReadOptions().SetVerifyChecksums(true);
        try
        {
            using var it = db.NewIterator(null, ro);
            for (it.Seek([StoreLayout.PoolPrefix]); it.Valid(); it.Next())
            {
                var k = it.GetKeySpan();
                if (k[0] != StoreLayout.PoolPrefix) break;
                if (!StoreLayout.TryReadPool(k, it.GetValueSpan(), out var p)) throw Corrupted(dir, $"bad pool record {Convert.ToHexStringLower(k)}");
                pools[p.Id] = p;
            }
            Native.Instance.rocksdb_iter_get_error(it.Handle);
        }
        catch (RocksDbException e) { throw Translate(dir, e, "cannot read the state store"); }
        return pools;
    }

    /// <summary>Removes every key (what a creation cut short had written before its marker).</summary>
    private static void Wipe(RocksDb db, string dir)
    {
        using var batch = new WriteBatch();
        byte[] from = [0x00], to = [0xFF, 0xFF];
        batch.DeleteRange(from, (ulong)from.Length, to, (ulong)to.Length, null);
        try { db.Write(batch, new WriteOptions().SetSync(true)); }
        catch (RocksDbException e) { throw Translate(dir, e, "cannot initialise the state store"); }
    }

    /// <summary>
    /// The database must hold at least what the commit record says was acknowledged. It may be one
    /// block ahead (a crash between RocksDB's synced write and the record's) or more (a record write
    /// that failed); then the receipts of the recorded height must still carry the recorded root.
    /// </summary>
    private static void CheckCommitted(RocksDb db, string dir, (ulong Height, Hash32 Root) c, ulong genesisHeight, Hash32 genesisRoot, ulong height, Hash32 root)
    {
        if (height < c.Height)
            throw Corrupted(dir, $"it opens at height {height}, but block {c.Height} was committed ({CommitRecord.FileName}): "
                + $"block{(c.Height - height > 1 ? $"s {height + 1}..{c.Height} are" : $" {c.Height} is")} lost (a damaged write-ahead log or table file)");
        Hash32 expected;
        if (height == c.Height) expected = root;
        else if (c.Height == genesisHeight) expected = genesisRoot;
        else
        {
            var v = Get(db, dir, StoreLayout.ReceiptsKey(c.Height));
            var r = v is null ? null : StoreLayout.ReadReceipts(v);
            if (r is null) throw Corrupted(dir, $"the receipts of the committed block {c.Height} are missing or malformed");
            expected = r.StateRoot;
        }
        if (expected != c.Root)
            throw Corrupted(dir, $"block {c.Height} was committed with state root {c.Root} ({CommitRecord.FileName}), but the store holds {expected} for it");
    }

    private static CommitRecord CreateCommitRecord(string dir, ulong height, Hash32 root)
    {
        try
        {
            var r = CommitRecord.Create(dir, height, root);
            DirectorySync.Flush(dir);
            return r;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{dir}: cannot write the commit record {CommitRecord.FileName}: {e.Message}", e);
        }
    }

    private static CommitRecord OpenCommitRecord(string dir)
    {
        try
        {
            return CommitRecord.OpenForWriting(dir) ?? throw Corrupted(dir, $"its commit record {CommitRecord.FileName} is missing");
        }
        catch (InvalidDataException e) { throw Corrupted(dir, $"its commit record {CommitRecord.FileName} is damaged: {e.Message}"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GpuExecException(ErrorKind.InvalidInput, $"{dir}: cannot open the commit record {CommitRecord.FileName} for writing: {e.Message}", e);
        }
    }

    private static RocksDbStateStore Initialise(RocksDb db, string dir, WorldState genesis, ref CommitRecord? commits, long cacheBytes)
    {
        var root = genesis.StateRoot;
        var accounts = genesis.Accounts.OrderBy(a => a.Address).ToArray();
        var pools = genesis.Pools.OrderBy(p => p.Id).ToArray();
        StoreBuilder.Result built;
        try { built = StoreBuilder.Write(db, dir, () => accounts, pools); }
        catch (RocksDbException e) { throw Translate(dir, e, "cannot initialise the state store"); }
        return Finish(db, dir, genesis.ChainId, genesis.Height, root, pools, built, ref commits, cacheBytes);
    }

    /// <summary>
    /// Creates a store of a state too large to hold in memory, in an empty directory: the accounts
    /// come in ascending address order from <paramref name="accounts"/> (enumerated once a pass of the
    /// tree's bucket build, so it must enumerate anew each time), written as sorted table files and
    /// ingested, the state tree's buckets in passes of at most about <paramref name="memoryBytes"/>.
    /// </summary>
    /// <exception cref="GpuExecException">The directory is not empty (or not a directory).</exception>
    public static RocksDbStateStore Create(string directory, uint chainId, ulong height, Func<IEnumerable<Account>> accounts, IReadOnlyList<Pool> pools,
        long memoryBytes = 1L << 30, long cacheBytes = DefaultCacheBytes, IProgress<string>? progress = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(accounts);
        ArgumentNullException.ThrowIfNull(pools);
        string dir = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        if (File.Exists(dir)) throw Fail(dir, "is a file, not a state store directory");
        if (System.IO.Directory.Exists(dir) && System.IO.Directory.EnumerateFileSystemEntries(dir).Any())
            throw Fail(dir, "is not empty: a store is created in an empty or new directory");
        BeginCreation(dir);
        var db = OpenRocksDb(dir, creating: true, readOnly: false);
        CommitRecord? commits = null;
        try
        {
            var sorted = pools.OrderBy(p => p.Id).ToArray();
            StoreBuilder.Result built;
            try { built = StoreBuilder.Write(db, dir, accounts, sorted, memoryBytes, progress: progress); }
            catch (RocksDbException e) { throw Translate(dir, e, "cannot create the state store"); }
            var table = new StoredBuckets(db, new ReadOptions(), 1 << 20, dir);
            var root = SparseMerkleTree.Open(built.Depth, table, built.Leaves, built.Roots, built.Kinds).Root;
            var store = Finish(db, dir, chainId, height, root, sorted, built, ref commits, cacheBytes);
            FinishCreation(dir);
            return store;
        }
        catch
        {
            commits?.Dispose();
            db.Dispose();
            throw;
        }
    }

    /// <summary>The metadata and pools of a store whose accounts and buckets were just written, in one synced batch, then its tree snapshot and commit record.</summary>
    private static RocksDbStateStore Finish(RocksDb db, string dir, uint chainId, ulong height, Hash32 root, Pool[] pools, StoreBuilder.Result built,
        ref CommitRecord? commits, long cacheBytes)
    {
        using var batch = new WriteBatch();
        Span<byte> key = stackalloc byte[StoreLayout.PoolKeySize];
        Span<byte> pv = stackalloc byte[StoreLayout.PoolValueSize];
        foreach (var p in pools)
        {
            StoreLayout.PoolKey(p.Id, key);
            StoreLayout.PoolValue(p, pv);
            batch.Put(key, pv);
        }
        batch.Put(StoreLayout.MagicKey, StoreLayout.MagicValue.ToArray());
        batch.Put(StoreLayout.FormatKey, U32(StoreLayout.FormatVersion));
        batch.Put(StoreLayout.ChainIdKey, U32(chainId));
        batch.Put(StoreLayout.GenesisHeightKey, U64(height));
        batch.Put(StoreLayout.GenesisRootKey, root.ToArray());
        batch.Put(StoreLayout.HeightKey, U64(height));
        batch.Put(StoreLayout.StateRootKey, root.ToArray());
        batch.Put(StoreLayout.TreeDepthKey, U32((uint)built.Depth));
        batch.Put(StoreLayout.LeafCountKey, U64((ulong)built.Leaves));
        batch.Put(StoreLayout.CommitRecordKey, U32(1));
        try
        {
            TreeSnapshot.Write(dir, height, root, built.Depth, built.Leaves, built.Roots, built.Kinds);
            db.Write(batch, new WriteOptions().SetSync(true));
        }
        catch (RocksDbException e)
        {
            throw Translate(dir, e, "cannot initialise the state store");
        }
        commits = CreateCommitRecord(dir, height, root);
        var store = new RocksDbStateStore(db, commits, dir, chainId, height, root, height, root, built.Depth, built.Leaves, pools.ToDictionary(p => p.Id), cacheBytes);
        store._snapshotHeight = height;
        return store;
    }

    /// <summary>
    /// A RocksDB failure as the CLI reports it: a full disk (or another failure of the environment)
    /// is an <see cref="IOException"/> (exit 1); a lock held elsewhere, a refused write permission and
    /// damage are <see cref="GpuExecException"/>s naming the directory (exit 3).
    /// </summary>
    internal static Exception Translate(string dir, RocksDbException e, string doing) => Translate(dir, e.Message, doing, e);

    internal static Exception Translate(string dir, string message, string doing, Exception? inner = null)
    {
        if (message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase) || message.Contains("NoSpace", StringComparison.Ordinal))
            return new IOException($"{dir}: {doing}: the disk is full ({message})", inner);
        if (message.Contains("lock file", StringComparison.OrdinalIgnoreCase) || message.Contains("lock hold", StringComparison.OrdinalIgnoreCase))
            return new GpuExecException(ErrorKind.InvalidInput,
                $"{dir}: the state store is locked: another gpuexec process (or another open instance) is using it ({message})", inner!);
        if (message.Contains("Permission denied", StringComparison.OrdinalIgnoreCase) || message.Contains("Read-only file system", StringComparison.OrdinalIgnoreCase))
            return new GpuExecException(ErrorKind.InvalidInput, $"{dir}: {doing}: it cannot be written ({message})", inner!);
        if (message.StartsWith("Corruption", StringComparison.Ordinal))
            return new GpuExecException(ErrorKind.InvalidInput, $"{dir}: the state store is corrupted: {message}", inner!);
        return new GpuExecException(ErrorKind.InvalidInput, $"{dir}: the state store is corrupted or unreadable: {message}", inner!);
    }

    /// <inheritdoc/>
    /// <remarks>Reads every account and pool (one ordered scan, checksums verified) and recomputes the
    /// state root; a store whose contents do not hash to the stored root is refused as corrupted.</remarks>
    public WorldState Load()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var state = new WorldState(ChainId, Height);
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
                }
                else if (k[0] == StoreLayout.PoolPrefix)
                {
                    if (!StoreLayout.TryReadPool(k, v, out var p)) throw Corrupted(Directory, $"bad pool record {Convert.ToHexStringLower(k)}");
                    state.SetPool(p);
                }
                else throw Corrupted(Directory, $"unknown record {Convert.ToHexStringLower(k)}");
            }
            Native.Instance.rocksdb_iter_get_error(it.Handle); // an iterator stops silently on a read error
        }
        catch (RocksDbException e)
        {
            throw Translate(Directory, e, "cannot read the state store");
        }
        var root = state.StateRoot;
        if (root != StateRoot)
            throw Corrupted(Directory, $"the stored state hashes to {root}, not to the stored state root {StateRoot} at height {Height}");
        return state;
    }

    /// <inheritdoc/>
    /// <remarks>The store computes the block's state tree changes from the change set (on its own
    /// tree), then commits as <see cref="StoreState.Commit"/> does: one synced batch, then the commit
    /// record. When RocksDB's write fails nothing is stored and an <see cref="IOException"/> names the
    /// directory; the same commit may be retried. When only the commit record's write fails, the block
    /// is in the store (<see cref="Height"/> says so) and the <see cref="IOException"/> says that.</remarks>
    public void CommitBlock(Block block, BlockResult result)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_commits is null) throw new InvalidOperationException($"{Directory}: the state store was opened read-only");
        StateStoreChecks.CheckCommit(this, block, result);
        State.CommitChanges(block, result);
    }

    /// <summary>
    /// Writes one block as one synced batch: its change set (a put per account and pool after the
    /// block, a delete per emptied account), its state tree buckets (<paramref name="buckets"/>: the new
    /// contents, null when emptied), the journal of those buckets, the leaf count, height, root and
    /// receipts; then the commit record. Called by the state under its write lock.
    /// </summary>
    internal void WriteBlock(Block block, BlockResult result, Dictionary<uint, TreeLeaf[]?> buckets, long leafCount)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_commits is null) throw new InvalidOperationException($"{Directory}: the state store was opened read-only");
        StateStoreChecks.CheckCommit(this, block, result);
        var changes = result.Changes!;
        using var batch = new WriteBatch();
        Span<byte> key = stackalloc byte[StoreLayout.AccountKeySize];
        foreach (ref readonly var c in changes.AccountSpan)
        {
            StoreLayout.AccountKey(c.Address, key);
            if (c.After is not { } a) { batch.Delete(key); continue; }
            int len = StoreLayout.AccountValue(a, ref _valueBuffer);
            batch.Put(key, _valueBuffer.AsSpan(0, len));
        }
        Span<byte> pv = stackalloc byte[StoreLayout.PoolValueSize];
        foreach (ref readonly var p in changes.PoolSpan)
        {
            StoreLayout.PoolKey(p.Id, key[..StoreLayout.PoolKeySize]);
            StoreLayout.PoolValue(p.After, pv);
            batch.Put(key[..StoreLayout.PoolKeySize], pv);
        }
        var journal = new byte[4 * buckets.Count];
        int j = 0;
        Span<byte> bk = stackalloc byte[StoreLayout.BucketKeySize];
        foreach (var (b, leaves) in buckets)
        {
            StoreLayout.BucketKey(b, bk);
            // The leaves' bytes as they are (the batch copies them): no array per bucket, which at 10^8
            // accounts was 30 MB of garbage a block.
            if (leaves is null) batch.Delete(bk);
            else batch.Put(bk, MemoryMarshal.AsBytes(leaves.AsSpan()));
            BinaryPrimitives.WriteUInt32LittleEndian(journal.AsSpan(4 * j++), b);
        }
        ulong height = block.Header.Height;
        batch.Put(StoreLayout.JournalKey(height), journal);
        if (_pruneJournalTo is { } upTo)
        {
            // Journal entries at or below the snapshot's height are in the snapshot.
            var from = StoreLayout.JournalKey(0);
            var to = StoreLayout.JournalKey(upTo + 1);
            batch.DeleteRange(from, (ulong)from.Length, to, (ulong)to.Length, null);
        }
        batch.Put(StoreLayout.LeafCountKey, U64((ulong)leafCount));
        batch.Put(StoreLayout.HeightKey, U64(height));
        batch.Put(StoreLayout.StateRootKey, result.StateRoot.ToArray());
        batch.Put(StoreLayout.ReceiptsKey(height), StoreLayout.ReceiptsValue(result));
        try
        {
            _db.Write(batch, _syncWrite);
        }
        catch (RocksDbException e)
        {
            string why = Translate(Directory, e, "commit").Message;
            throw new IOException($"{Directory}: commit of block {height} failed, the store stays at height {Height}: {why}", e);
        }
        _pruneJournalTo = null;
        Height = height;
        StateRoot = result.StateRoot;
        _leafCount = leafCount;
        try
        {
            _commits.Write(height, result.StateRoot);
        }
        catch (IOException e)
        {
            throw new IOException($"{Directory}: block {height} is committed, but its commit record {CommitRecord.FileName} could not be written: {e.Message}", e);
        }
    }

    /// <summary>
    /// After a commit: once the buckets journaled since the last snapshot reach an eighth of the
    /// buckets (at least 2^16), the bucket level is written to its snapshot file, so that an open
    /// replays a bounded journal; the next block's batch then drops the journal up to it.
    /// </summary>
    internal void AfterCommit(SparseMerkleTree tree, int touchedBuckets)
    {
        _journaledSinceSnapshot += touchedBuckets;
        if (_journaledSinceSnapshot >= Math.Max(1L << 16, (1L << _treeDepth) / 8)) WriteSnapshot(tree);
    }

    private void WriteSnapshot(SparseMerkleTree tree)
    {
        var (roots, kinds) = tree.BucketLevel;
        try { TreeSnapshot.Write(Directory, Height, StateRoot, _treeDepth, _leafCount, roots, kinds); }
        catch (IOException e)
        {
            throw new IOException($"{Directory}: block {Height} is committed, but the state tree's snapshot {TreeSnapshot.FileName} could not be written: {e.Message}", e);
        }
        _snapshotHeight = Height;
        _journaledSinceSnapshot = 0;
        _pruneJournalTo = Height;
    }

    /// <summary>
    /// The state tree, opened from the bucket level's snapshot file and the journal of the blocks
    /// committed after it (their buckets' roots recomputed), or, without a usable snapshot, from every
    /// bucket; its root must be the stored root.
    /// </summary>
    private SparseMerkleTree OpenTree(StoredBuckets table)
    {
        int depth = _treeDepth;
        var snap = TreeSnapshot.TryRead(Directory, depth);
        byte[] roots, kinds;
        var touched = new SortedSet<uint>();
        bool replayable = snap is { } sn && sn.Height <= Height && sn.Height >= GenesisHeight;
        if (replayable)
        {
            for (ulong h = snap!.Value.Height + 1; h <= Height && replayable; h++)
            {
                var v = Get(_db, Directory, StoreLayout.JournalKey(h));
                if (v is null || v.Length % 4 != 0) { replayable = false; break; }
                for (int i = 0; i < v.Length; i += 4) touched.Add(BinaryPrimitives.ReadUInt32LittleEndian(v.AsSpan(i)));
            }
        }
        if (replayable)
        {
            (roots, kinds) = (snap!.Value.Roots, snap.Value.Kinds);
            var buckets = touched.ToArray();
            table.Prefetch(buckets);
            var groups = buckets.Select(b => (b, table.Get(b))).ToList();
            SparseMerkleTree.RootsOf(depth, groups, roots, kinds);
            _snapshotHeight = snap.Value.Height;
            _journaledSinceSnapshot = touched.Count;
        }
        else
        {
            (roots, kinds) = RootsFromEveryBucket(depth);
            _snapshotHeight = 0;
            _journaledSinceSnapshot = long.MaxValue / 2; // the next commit writes a snapshot
        }
        var tree = SparseMerkleTree.Open(depth, table, _leafCount, roots, kinds);
        if (tree.Root != StateRoot && replayable)
        {
            // A snapshot that does not lead to the stored root (copied from another store, or
            // damaged in a way its digest missed) is not trusted: the level is rebuilt from the buckets.
            (roots, kinds) = RootsFromEveryBucket(depth);
            _snapshotHeight = 0;
            _journaledSinceSnapshot = long.MaxValue / 2;
            tree = SparseMerkleTree.Open(depth, table, _leafCount, roots, kinds);
        }
        if (tree.Root != StateRoot)
            throw Corrupted(Directory, $"its state tree hashes to {tree.Root}, not to the stored state root {StateRoot} at height {Height}");
        return tree;
    }

    /// <summary>Every bucket's root and kind, from a scan of every bucket (no snapshot to start from).</summary>
    private (byte[] Roots, byte[] Kinds) RootsFromEveryBucket(int depth)
    {
        var roots = new byte[32L << depth];
        var kinds = new byte[1L << depth];
        var ro = new ReadOptions().SetVerifyChecksums(true).SetFillCache(false);
        var groups = new List<(uint, TreeLeaf[]?)>();
        try
        {
            using var it = _db.NewIterator(null, ro);
            for (it.Seek([StoreLayout.BucketPrefix]); it.Valid(); it.Next())
            {
                var k = it.GetKeySpan();
                if (k[0] != StoreLayout.BucketPrefix) break;
                uint b = BinaryPrimitives.ReadUInt32BigEndian(k[1..]);
                if (k.Length != StoreLayout.BucketKeySize || b >= 1u << depth) throw Corrupted(Directory, $"bad state tree bucket key {Convert.ToHexStringLower(k)}");
                groups.Add((b, StoredBuckets.Decode(b, it.Value(), Directory)));
                if (groups.Count == 1 << 16)
                {
                    SparseMerkleTree.RootsOf(depth, groups, roots, kinds);
                    groups.Clear();
                }
            }
            Native.Instance.rocksdb_iter_get_error(it.Handle);
        }
        catch (RocksDbException e) { throw Translate(Directory, e, "cannot read the state store"); }
        SparseMerkleTree.RootsOf(depth, groups, roots, kinds);
        return (roots, kinds);
    }

    /// <summary>
    /// Copies the committed state into <paramref name="directory"/> (new, or empty) as a store of its
    /// own at the current height: a RocksDB checkpoint (table files hard-linked where the file system
    /// allows, so a copy of any size takes about a second), the state tree's snapshot and a commit
    /// record. Commits wait meanwhile. For a backup, or a fresh copy per benchmark run.
    /// </summary>
    /// <exception cref="GpuExecException"><paramref name="directory"/> is a file or holds files.</exception>
    /// <exception cref="IOException">The copy could not be written (nothing is left of it then).</exception>
    public void Checkpoint(string directory)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        if (File.Exists(target)) throw Fail(target, "is a file, not a directory for a checkpoint");
        if (System.IO.Directory.Exists(target))
        {
            if (System.IO.Directory.EnumerateFileSystemEntries(target).Any()) throw Fail(target, "is not empty: a checkpoint goes to a new or empty directory");
            System.IO.Directory.Delete(target); // RocksDB makes the directory itself
        }
        State.WhileNoCommit(() =>
        {
            try
            {
                using (var cp = _db.Checkpoint()) cp.Save(target, 0);
                if (State.TreeOpened && (_snapshotHeight != Height || _journaledSinceSnapshot != 0))
                {
                    var (roots, kinds) = State.Tree.BucketLevel;
                    TreeSnapshot.Write(target, Height, StateRoot, _treeDepth, _leafCount, roots, kinds);
                }
                else if (File.Exists(TreeSnapshot.PathIn(Directory)))
                {
                    // The snapshot is replaced only by a rename, never written into, so the copy can
                    // share the file (0.6 GB at 10^8 accounts), as it shares the tables.
                    string from = TreeSnapshot.PathIn(Directory), to = TreeSnapshot.PathIn(target);
                    if (!GpuExec.IO.FileNode.TryHardLink(from, to)) File.Copy(from, to);
                }
                CreateCommitRecord(target, Height, StateRoot).Dispose();
                DirectorySync.Flush(target);
            }
            catch (Exception e) when (e is RocksDbException or IOException or UnauthorizedAccessException)
            {
                try { if (System.IO.Directory.Exists(target)) System.IO.Directory.Delete(target, recursive: true); }
                catch (IOException) { }
                throw new IOException($"{Directory}: cannot checkpoint the store into {target}: {e.Message}", e);
            }
        });
    }

    /// <summary>
    /// Writes the dump (SPEC section 7) of the committed state straight from the store: accounts in
    /// address order as the store keeps them, then the pools, in constant memory whatever the number
    /// of accounts; one consistent view of the store (a RocksDB snapshot) throughout.
    /// </summary>
    /// <exception cref="GpuExecException">The dump would be larger than a genesis may be, or the store is damaged.</exception>
    public void WriteDump(Stream output)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(output);
        using var snapshot = _db.CreateSnapshot();
        var ro = new ReadOptions().SetVerifyChecksums(true).SetFillCache(false).SetSnapshot(snapshot);
        try
        {
            ulong height = BinaryPrimitives.ReadUInt64LittleEndian(_db.Get(StoreLayout.HeightKey, null, ro));
            var root = new Hash32(_db.Get(StoreLayout.StateRootKey, null, ro));
            var pools = new List<Pool>();
            using (var it = _db.NewIterator(null, ro))
            {
                for (it.Seek([StoreLayout.PoolPrefix]); it.Valid() && it.GetKeySpan()[0] == StoreLayout.PoolPrefix; it.Next())
                {
                    if (!StoreLayout.TryReadPool(it.GetKeySpan(), it.GetValueSpan(), out var p)) throw Corrupted(Directory, $"bad pool record {Convert.ToHexStringLower(it.GetKeySpan())}");
                    pools.Add(p);
                }
                Native.Instance.rocksdb_iter_get_error(it.Handle);
            }
            StateJson.WriteDump(ChainId, height, root, StreamAccounts(ro), pools, output, InputLimits.MaxStateBytes, $"{_leafCount - pools.Count} accounts");
        }
        catch (RocksDbException e) { throw Translate(Directory, e, "cannot read the state store"); }
    }

    /// <summary>Every stored account in address order, read as it is enumerated.</summary>
    private IEnumerable<Account> StreamAccounts(ReadOptions ro)
    {
        using var it = _db.NewIterator(null, ro);
        for (it.Seek([StoreLayout.AccountPrefix]); it.Valid(); it.Next())
        {
            var k = it.GetKeySpan();
            if (k[0] != StoreLayout.AccountPrefix) break;
            yield return StoreLayout.ReadAccount(k, it.GetValueSpan()) ?? throw Corrupted(Directory, $"bad account record {Convert.ToHexStringLower(k)}");
        }
        Native.Instance.rocksdb_iter_get_error(it.Handle);
    }

    /// <inheritdoc/>
    public BlockResult? TryGetReceipts(ulong height)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var v = Get(_db, Directory, StoreLayout.ReceiptsKey(height));
        if (v is null) return null;
        return StoreLayout.ReadReceipts(v) ?? throw Corrupted(Directory, $"bad receipts record at height {height}");
    }

    /// <summary>
    /// Closes the store without writing the state tree's snapshot first, for a copy about to be
    /// deleted (a benchmark run's checkpoint): no open will read it, and at 10^8 accounts it is 0.6 GB
    /// written, which pushes the store's tables out of the page cache for the next run.
    /// </summary>
    internal void DisposeForDeletion() => Close(writeSnapshot: false);

    /// <inheritdoc/>
    /// <remarks>A writable store whose tree changed since its last snapshot writes one first, so that the next open replays nothing.</remarks>
    public void Dispose() => Close(writeSnapshot: true);

    private void Close(bool writeSnapshot)
    {
        if (_disposed) return;
        if (writeSnapshot && _commits is not null && State.TreeOpened && _snapshotHeight != Height)
        {
            try { WriteSnapshot(State.Tree); }
            catch (IOException) { } // the journal still holds every block since the last snapshot
        }
        _disposed = true;
        _commits?.Dispose();
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
            throw Translate(dir, e, "cannot read the state store");
        }
    }

    private static byte[]? Get(RocksDb db, string dir, byte[] key)
    {
        try { return db.Get(key); }
        catch (RocksDbException e)
        {
            throw Translate(dir, e, "cannot read the state store");
        }
    }

    private static void Put(RocksDb db, string dir, byte[] key, byte[] value)
    {
        try { db.Put(key, value, writeOptions: new WriteOptions().SetSync(true)); }
        catch (RocksDbException e) { throw Translate(dir, e, "cannot write the state store"); }
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
