using System.Runtime.InteropServices;
using GpuExec.Commitments;
using RocksDbSharp;

namespace GpuExec.Storage;

/// <summary>
/// The state tree's buckets in the store: one RocksDB value per bucket (its leaves, sorted, 96 bytes
/// each: key, value hash, leaf hash), keyed by <c>0x05 || index</c>, behind a bounded cache. A block's
/// plan reads its buckets through <see cref="Prefetch"/> (one batch of point reads) and the store
/// writes the new contents in the block's batch; the tree then adopts them into the cache.
/// Thread-safe (the load stage prefetches beside a plan).
/// </summary>
internal sealed class StoredBuckets : BucketTable
{
    private readonly RocksDb _db;
    private readonly ReadOptions _read;
    private readonly ClockCache<uint, TreeLeaf[]?> _cache;
    private readonly Lock _gate = new();
    private readonly string _dir;
    // Prefetch batches between their read and their caching, and the buckets adopted meanwhile.
    private int _inFlight;
    private readonly List<uint> _adoptedLog = [];

    /// <summary>Tests: runs in a prefetch batch after its read, before its caching (where a commit may land).</summary>
    internal Action? AfterPrefetchRead { get; set; }

    public StoredBuckets(RocksDb db, ReadOptions read, long cacheBytes, string dir)
    {
        _db = db;
        _read = read;
        _dir = dir;
        _cache = new ClockCache<uint, TreeLeaf[]?>(cacheBytes);
    }

    /// <summary>The cache's counters (hits, misses, bytes).</summary>
    public (long Hits, long Misses, long Bytes) CacheStats
    {
        get { lock (_gate) return (_cache.Hits, _cache.Misses, _cache.Bytes); }
    }

    public override TreeLeaf[]? Get(uint bucket)
    {
        lock (_gate)
        {
            if (_cache.TryGet(bucket, out var cached)) return cached;
        }
        var value = _db.Get(Key(bucket), null, _read);
        var leaves = Decode(bucket, value, _dir);
        lock (_gate) _cache.Set(bucket, leaves, Size(leaves));
        return leaves;
    }

    /// <remarks>
    /// Runs beside commits (the load stage reads block N+1's buckets while block N commits): a bucket
    /// read before a commit wrote it must not be cached after the commit adopted its new contents, so
    /// the buckets adopted while a batch was in flight are not cached from that batch (read again when
    /// needed). Batches run in parallel (<see cref="ReadBatches"/>).
    /// </remarks>
    public override void Prefetch(ReadOnlySpan<uint> buckets)
    {
        var missing = new List<uint>(buckets.Length);
        lock (_gate)
        {
            foreach (uint b in buckets)
                if (!_cache.TryGet(b, out _)) missing.Add(b);
        }
        ReadBatches.Run(missing.Count, (from, n) =>
        {
            var keys = new byte[n][];
            for (int i = 0; i < n; i++) keys[i] = Key(missing[from + i]);
            int mark;
            lock (_gate)
            {
                _inFlight++;
                mark = _adoptedLog.Count;
            }
            try
            {
                var values = _db.MultiGet(keys, null, _read);
                var decoded = new TreeLeaf[]?[n];
                for (int i = 0; i < n; i++) decoded[i] = Decode(missing[from + i], values[i].Value, _dir);
                AfterPrefetchRead?.Invoke();
                lock (_gate)
                {
                    HashSet<uint>? adopted = _adoptedLog.Count > mark ? [.. _adoptedLog.Skip(mark)] : null;
                    for (int i = 0; i < n; i++)
                        if (adopted is null || !adopted.Contains(missing[from + i]))
                            _cache.Set(missing[from + i], decoded[i], Size(decoded[i]));
                }
            }
            finally
            {
                lock (_gate)
                {
                    if (--_inFlight == 0) _adoptedLog.Clear();
                }
            }
        });
    }

    public override void Install(uint bucket, ReadOnlySpan<TreeLeaf> leaves) =>
        throw new NotSupportedException("a store's state tree changes only by committing a block's tree changes, which the store writes first");

    public override void Adopt(uint bucket, TreeLeaf[]? leaves)
    {
        lock (_gate)
        {
            if (_inFlight > 0) _adoptedLog.Add(bucket);
            _cache.Set(bucket, leaves, Size(leaves));
        }
    }

    /// <summary>Forgets every cached bucket (a store that failed a commit reads them again).</summary>
    public void Clear()
    {
        lock (_gate) _cache.Clear();
    }

    public static byte[] Key(uint bucket) => StoreLayout.BucketKey(bucket);

    public static byte[] Encode(ReadOnlySpan<TreeLeaf> leaves) => MemoryMarshal.AsBytes(leaves).ToArray();

    /// <summary>A bucket's leaves from its stored value (null or empty: no leaves); a value that is not whole leaves in order of this bucket is corruption.</summary>
    public static TreeLeaf[]? Decode(uint bucket, byte[]? value, string dir)
    {
        if (value is null || value.Length == 0) return null;
        if (value.Length % TreeLeaf.Size != 0)
            throw new GpuExecException(ErrorKind.InvalidInput, $"{dir}: the state store is corrupted: state tree bucket {bucket} holds {value.Length} bytes, not whole 96-byte leaves");
        var leaves = MemoryMarshal.Cast<byte, TreeLeaf>(value).ToArray();
        return leaves;
    }

    private static int Size(TreeLeaf[]? leaves) => leaves is null ? 0 : 32 + TreeLeaf.Size * leaves.Length;
}
