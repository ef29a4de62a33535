using System.Security.Cryptography;
using GpuExec.Commitments;
using GpuExec.Model;
using GpuExec.State;
using RocksDbSharp;

namespace GpuExec.Storage;

/// <summary>
/// Writes a new store's state in bulk: sorted table files built beside the database and ingested
/// whole, so a state of any size is written once, sequentially, without a write-ahead log.
/// <list type="number">
/// <item>One enumeration of the accounts, in address order: each goes into the accounts' tables
/// (<c>0x01 || address</c>), and its leaf's key and value hash are computed (SHA-256 lanes, a chunk
/// at a time). The leaves stay in memory while they fit in <c>memoryBytes</c>; past that, all go to
/// 256 spill files by the first byte of their key (64 bytes a leaf).</item>
/// <item>The state tree's buckets, a range of them at a time (in memory: all at once; spilled: as
/// many spill files as fit): the leaves placed by bucket (a counting sort), their leaf hashes
/// computed, each bucket written into the buckets' tables (<c>0x05 || bucket</c>) and its root computed.</item>
/// </list>
/// Table files are cut at about 256 MiB, so the bottom level the state lands in is many files and a
/// later compaction rewrites only those its keys overlap.
/// The caller writes the metadata (and the pools, few) in one synced batch afterwards, so a creation
/// cut short holds no store marker and is made again.
/// </summary>
internal static class StoreBuilder
{
    private const int Batch = 1 << 16;
    private const int SpillFiles = 256;
    private const int SpillRecord = 64; // key, value hash
    // In memory, a leaf is held twice in a pass (as read, then sorted by bucket), with slack for the
    // array the leaves grow in and its bucket's share of the table writer.
    private const int BytesPerLeaf = 3 * TreeLeaf.Size;

    /// <summary>What was written: the tree's depth, leaf count and bucket level (roots and kinds), from which the root follows.</summary>
    internal sealed record Result(int Depth, long Leaves, byte[] Roots, byte[] Kinds);

    /// <param name="accounts">Enumerates the accounts in ascending address order, each once (enumerated once).</param>
    /// <param name="depth">The bucket depth; 0: chosen from the number of leaves.</param>
    public static Result Write(RocksDb db, string dir, Func<IEnumerable<Account>> accounts, IReadOnlyList<Pool> pools, long memoryBytes = 1L << 30,
        int depth = 0, IProgress<string>? progress = null)
    {
        string work = Path.Combine(dir, $".ingest-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}");
        Directory.CreateDirectory(work);
        var spill = new Spill(work, Math.Max(1, memoryBytes / BytesPerLeaf));
        try
        {
            var files = new List<string>();
            long withLeaf;
            using (var table = new TableFiles(work, "accounts", files))
                withLeaf = WriteAccounts(table, accounts(), spill, progress);
            spill.AddRange(TreeUpdates.Leaves([], pools));
            long leaves = withLeaf + pools.Count;
            if (depth == 0) depth = StoreLayout.TreeDepthFor(leaves);
            var roots = new byte[32L << depth];
            var kinds = new byte[1L << depth];
            using (var table = new TableFiles(work, "buckets", files))
            {
                foreach (var (lo, hi, inRange) in spill.Ranges(depth, progress))
                {
                    var sorted = SortByBucket(inRange, depth, lo, hi);
                    SparseMerkleTree.HashLeaves(sorted);
                    WriteBuckets(table, sorted, depth, roots, kinds);
                }
            }
            spill.Dispose();
            if (files.Count > 0)
            {
                progress?.Report($"ingesting {files.Count} table files");
                var ingest = new IngestExternalFileOptions().SetMoveFiles(true);
                db.IngestExternalFiles([.. files], ingest, null);
            }
            return new Result(depth, leaves, roots, kinds);
        }
        finally
        {
            spill.Dispose();
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>
    /// The leaves made so far: in memory up to a bound, then in spill files by the first byte of
    /// their key, read back a range of buckets at a time.
    /// </summary>
    private sealed class Spill(string dir, long maxInMemory) : IDisposable
    {
        private TreeLeaf[]? _memory = new TreeLeaf[1024];
        private int _held;
        private FileStream[]? _files;
        private readonly long[] _counts = new long[SpillFiles];
        private readonly byte[] _record = new byte[SpillRecord];

        public void AddRange(IReadOnlyList<TreeLeaf> leaves)
        {
            if (_memory is not null && _held + (long)leaves.Count <= maxInMemory)
            {
                if (_held + leaves.Count > _memory.Length)
                    Array.Resize(ref _memory, (int)Math.Min(Math.Max(2L * _memory.Length, _held + leaves.Count), Array.MaxLength));
                foreach (var l in leaves) _memory[_held++] = l;
                return;
            }
            if (_files is null)
            {
                _files = new FileStream[SpillFiles];
                for (int i = 0; i < SpillFiles; i++)
                    _files[i] = new FileStream(Path.Combine(dir, $"spill-{i:D3}"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16);
                var held = new ArraySegment<TreeLeaf>(_memory!, 0, _held);
                Write(held);
                _memory = null;
            }
            Write(leaves);
        }

        private void Write(IReadOnlyList<TreeLeaf> leaves)
        {
            foreach (var l in leaves)
            {
                l.Key.WriteTo(_record);
                l.ValueHash.WriteTo(_record.AsSpan(32));
                int f = _record[0];
                _files![f].Write(_record);
                _counts[f]++;
            }
        }

        /// <summary>Ranges of buckets with their leaves: everything at once from memory, or as many spill files as fit.</summary>
        public IEnumerable<(uint Lo, uint Hi, ArraySegment<TreeLeaf> Leaves)> Ranges(int depth, IProgress<string>? progress)
        {
            uint buckets = 1u << depth;
            if (_files is null)
            {
                progress?.Report($"state tree: {_held:N0} leaves in {buckets:N0} buckets");
                yield return (0, buckets, new ArraySegment<TreeLeaf>(_memory!, 0, _held));
                _memory = null;
                yield break;
            }
            int shift = depth - 8; // a spill file holds the buckets of one first key byte
            int first = 0;
            while (first < SpillFiles)
            {
                int last = first;
                long n = _counts[first];
                while (last + 1 < SpillFiles && n + _counts[last + 1] <= maxInMemory) n += _counts[++last];
                progress?.Report($"state tree: buckets {(uint)first << shift:N0}..{(uint)(last + 1) << shift:N0} of {buckets:N0} ({n:N0} leaves)");
                var leaves = new TreeLeaf[n];
                int at = 0;
                for (int f = first; f <= last; f++)
                {
                    var file = _files[f];
                    file.Flush();
                    file.Position = 0;
                    for (long i = 0; i < _counts[f]; i++)
                    {
                        file.ReadExactly(_record);
                        leaves[at++] = new TreeLeaf { Key = new TreeKey(_record.AsSpan(0, 32)), ValueHash = new Wire.Hash32(_record.AsSpan(32, 32)) };
                    }
                    file.SetLength(0);
                }
                yield return ((uint)first << shift, (uint)((long)(last + 1) << shift), leaves);
                first = last + 1;
            }
        }

        public void Dispose()
        {
            if (_files is null) return;
            foreach (var f in _files) f.Dispose();
            _files = null;
        }
    }

    private static readonly Comparer<TreeLeaf> KeyOrder = Comparer<TreeLeaf>.Create(static (x, y) => x.Key.CompareTo(y.Key));

    /// <summary>
    /// The leaves in key order: placed by bucket (a counting sort over the pass's buckets, linear),
    /// then each bucket's few leaves sorted by key; a bucket crowded by keys ground to share their
    /// first bits is sorted n log n, not by insertion.
    /// </summary>
    private static TreeLeaf[] SortByBucket(ArraySegment<TreeLeaf> leaves, int depth, uint lo, uint hi)
    {
        var starts = new int[hi - lo + 1];
        var span = leaves.AsSpan();
        foreach (ref readonly var l in span) starts[l.Key.Prefix(depth) - lo + 1]++;
        for (int b = 1; b < starts.Length; b++) starts[b] += starts[b - 1];
        var sorted = new TreeLeaf[span.Length];
        var next = (int[])starts.Clone();
        foreach (ref readonly var l in span) sorted[next[l.Key.Prefix(depth) - lo]++] = l;
        for (int b = 0; b + 1 < starts.Length; b++)
        {
            int from = starts[b], to = starts[b + 1];
            if (to - from > 16)
            {
                Array.Sort(sorted, from, to - from, KeyOrder);
                continue;
            }
            for (int i = from + 1; i < to; i++)
            {
                var x = sorted[i];
                int j = i - 1;
                for (; j >= from && sorted[j].Key.CompareTo(x.Key) > 0; j--) sorted[j + 1] = sorted[j];
                sorted[j + 1] = x;
            }
        }
        return sorted;
    }

    private static ColumnFamilyOptions TableOptions() => new ColumnFamilyOptions()
        .SetCompression(RocksDbStateStore.TableCompression)
        .SetBlockBasedTableFactory(RocksDbStateStore.TableFormat(filters: false));

    /// <summary>
    /// Sorted table files of at most about 256 MiB each, in key order: the store's bottom level is
    /// many files, so that a compaction later rewrites only those its keys overlap, never the whole state.
    /// </summary>
    private sealed class TableFiles(string dir, string name, List<string> files) : IDisposable
    {
        private const long MaxFileBytes = 256L << 20;
        private SstFileWriter? _writer;
        private long _bytes;
        private int _count;

        public void Add(byte[] key, byte[] value)
        {
            if (_writer is null || _bytes >= MaxFileBytes)
            {
                Finish();
                string file = Path.Combine(dir, $"{name}-{_count++:D5}.sst");
                _writer = new SstFileWriter(new EnvOptions(), TableOptions());
                _writer.Open(file);
                files.Add(file);
                _bytes = 0;
            }
            _writer.Add(key, value);
            _bytes += key.Length + value.Length;
        }

        private void Finish()
        {
            if (_writer is null) return;
            _writer.Finish();
            _writer.Dispose();
            _writer = null;
        }

        /// <summary>Finishes the last file (a failure before this leaves the files unfinished: the creation is made again).</summary>
        public void Dispose() => Finish();
    }

    /// <summary>Writes the accounts' tables and hands their leaves (key, value hash) to <paramref name="spill"/>, a chunk at a time.</summary>
    private static long WriteAccounts(TableFiles table, IEnumerable<Account> accounts, Spill spill, IProgress<string>? progress)
    {
        var buffer = new byte[256];
        var key = new byte[StoreLayout.AccountKeySize];
        var chunk = new List<Account>(Batch);
        long n = 0;
        Address previous = default;
        bool first = true;
        foreach (var a in accounts)
        {
            if (!first && a.Address.CompareTo(previous) <= 0)
                throw new ArgumentException($"accounts must come in ascending address order without repeats ({a.Address} after {previous})", nameof(accounts));
            first = false;
            previous = a.Address;
            if (a.IsEmpty) continue;
            StoreLayout.AccountKey(a.Address, key);
            int len = StoreLayout.AccountValue(a, ref buffer);
            table.Add(key, buffer.AsSpan(0, len).ToArray());
            chunk.Add(a);
            if (chunk.Count == Batch)
            {
                spill.AddRange(TreeUpdates.Leaves(chunk, []));
                chunk.Clear();
            }
            if ((++n & 0xFFFFF) == 0) progress?.Report($"accounts: {n:N0} written");
        }
        if (chunk.Count > 0) spill.AddRange(TreeUpdates.Leaves(chunk, []));
        return n;
    }

    /// <summary>Sorted leaves grouped into their buckets: one table entry per non-empty bucket, and each bucket's root and kind.</summary>
    private static void WriteBuckets(TableFiles table, TreeLeaf[] leaves, int depth, byte[] roots, byte[] kinds)
    {
        var groups = new List<(uint Bucket, int Start, int Count)>();
        int i = 0;
        while (i < leaves.Length)
        {
            uint b = leaves[i].Key.Prefix(depth);
            int end = i + 1;
            while (end < leaves.Length && leaves[end].Key.Prefix(depth) == b) end++;
            for (int k = i + 1; k < end; k++)
                if (leaves[k].Key == leaves[k - 1].Key) throw new ArgumentException($"two leaves with key {leaves[k].Key}");
            table.Add(StoreLayout.BucketKey(b), StoredBuckets.Encode(leaves.AsSpan(i, end - i)));
            groups.Add((b, i, end - i));
            i = end;
        }
        // Chunks of buckets on all cores: each writes only its own buckets' roots and kinds.
        const int Chunk = 1 << 13;
        Parallel.For(0, (groups.Count + Chunk - 1) / Chunk, c =>
            SparseMerkleTree.RootsOf(depth, leaves, groups.GetRange(c * Chunk, Math.Min(Chunk, groups.Count - c * Chunk)), roots, kinds));
    }
}
