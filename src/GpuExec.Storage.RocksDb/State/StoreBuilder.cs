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
/// <item>The accounts, enumerated in address order, go straight into one table (<c>0x01 || address</c>).</item>
/// <item>The state tree's buckets are made in passes over ranges of bucket indices, each pass
/// holding at most about <c>memoryBytes</c> of leaves: every account's key is computed (cheap, in
/// SHA-256 lanes) and those in the pass's range get their value and leaf hashes, are sorted, grouped
/// into buckets, written into the pass's table (<c>0x05 || bucket</c>) and their bucket roots computed.</item>
/// </list>
/// The caller writes the metadata (and the pools, few) in one synced batch afterwards, so a creation
/// cut short holds no store marker and is made again.
/// </summary>
internal static class StoreBuilder
{
    private const int Batch = 1 << 16;

    /// <summary>What was written: the tree's depth, leaf count and bucket level (roots and kinds), from which the root follows.</summary>
    internal sealed record Result(int Depth, long Leaves, byte[] Roots, byte[] Kinds);

    /// <param name="accounts">Enumerates the accounts in ascending address order, each once; called once a pass (so it must enumerate anew each time).</param>
    /// <param name="depth">The bucket depth; 0: chosen from the number of leaves.</param>
    public static Result Write(RocksDb db, string dir, Func<IEnumerable<Account>> accounts, IReadOnlyList<Pool> pools, long memoryBytes = 1L << 30,
        int depth = 0, IProgress<string>? progress = null)
    {
        string work = Path.Combine(dir, $".ingest-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}");
        Directory.CreateDirectory(work);
        try
        {
            var files = new List<string>();
            string accountsFile = Path.Combine(work, "accounts.sst");
            long withLeaf = WriteAccounts(accountsFile, accounts(), progress);
            if (withLeaf > 0) files.Add(accountsFile);
            long leaves = withLeaf + pools.Count;
            if (depth == 0) depth = StoreLayout.TreeDepthFor(leaves);
            int buckets = 1 << depth;
            var roots = new byte[32L << depth];
            var kinds = new byte[1L << depth];
            int passes = (int)Math.Clamp((leaves * (TreeLeaf.Size + 48) + memoryBytes - 1) / Math.Max(1, memoryBytes), 1, buckets);
            var poolLeaves = TreeUpdates.Leaves([], pools);
            for (int pass = 0; pass < passes; pass++)
            {
                uint lo = (uint)((long)buckets * pass / passes), hi = (uint)((long)buckets * (pass + 1) / passes);
                progress?.Report($"state tree: buckets {lo:N0}..{hi:N0} of {buckets:N0} (pass {pass + 1} of {passes})");
                var inRange = new List<TreeLeaf>();
                foreach (var l in poolLeaves)
                {
                    uint b = l.Key.Prefix(depth);
                    if (b >= lo && b < hi) inRange.Add(l);
                }
                CollectAccountLeaves(accounts(), depth, lo, hi, inRange);
                var arr = inRange.ToArray();
                SparseMerkleTree.HashLeaves(arr);
                Array.Sort(arr, static (x, y) => x.Key.CompareTo(y.Key));
                string file = Path.Combine(work, $"buckets-{pass:D5}.sst");
                if (WriteBuckets(file, arr, depth, roots, kinds)) files.Add(file);
            }
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
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }

    private static long WriteAccounts(string file, IEnumerable<Account> accounts, IProgress<string>? progress)
    {
        using var writer = new SstFileWriter(new EnvOptions(), new ColumnFamilyOptions());
        writer.Open(file);
        var buffer = new byte[256];
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
            var key = new byte[StoreLayout.AccountKeySize];
            StoreLayout.AccountKey(a.Address, key);
            int len = StoreLayout.AccountValue(a, ref buffer);
            writer.Add(key, buffer.AsSpan(0, len).ToArray());
            if ((++n & 0xFFFFF) == 0) progress?.Report($"accounts: {n:N0} written");
        }
        if (n > 0) writer.Finish();
        return n;
    }

    /// <summary>The leaves (value hashes, not yet leaf hashes) of the accounts whose key falls in buckets <c>[lo, hi)</c>.</summary>
    private static void CollectAccountLeaves(IEnumerable<Account> accounts, int depth, uint lo, uint hi, List<TreeLeaf> into)
    {
        var chunk = new List<Account>(Batch);
        var addresses = new Address[Batch];
        var keys = new TreeKey[Batch];
        void Flush()
        {
            int n = chunk.Count;
            for (int i = 0; i < n; i++) addresses[i] = chunk[i].Address;
            TreeUpdates.AccountKeys(addresses.AsSpan(0, n), keys);
            var kept = new List<Account>();
            for (int i = 0; i < n; i++)
            {
                uint b = keys[i].Prefix(depth);
                if (b >= lo && b < hi) kept.Add(chunk[i]);
            }
            if (kept.Count > 0) into.AddRange(TreeUpdates.Leaves(kept, []));
            chunk.Clear();
        }
        foreach (var a in accounts)
        {
            if (a.IsEmpty) continue;
            chunk.Add(a);
            if (chunk.Count == Batch) Flush();
        }
        if (chunk.Count > 0) Flush();
    }

    /// <summary>Sorted leaves grouped into their buckets: one table entry per non-empty bucket, and each bucket's root and kind.</summary>
    private static bool WriteBuckets(string file, TreeLeaf[] leaves, int depth, byte[] roots, byte[] kinds)
    {
        if (leaves.Length == 0) return false;
        var groups = new List<(uint Bucket, TreeLeaf[]? Leaves)>();
        using (var writer = new SstFileWriter(new EnvOptions(), new ColumnFamilyOptions()))
        {
            writer.Open(file);
            int i = 0;
            while (i < leaves.Length)
            {
                uint b = leaves[i].Key.Prefix(depth);
                int end = i + 1;
                while (end < leaves.Length && leaves[end].Key.Prefix(depth) == b) end++;
                for (int k = i + 1; k < end; k++)
                    if (leaves[k].Key == leaves[k - 1].Key) throw new ArgumentException($"two leaves with key {leaves[k].Key}");
                var bucket = leaves[i..end];
                writer.Add(StoreLayout.BucketKey(b), StoredBuckets.Encode(bucket));
                groups.Add((b, bucket));
                i = end;
            }
            writer.Finish();
        }
        // Chunks of buckets on all cores: each writes only its own buckets' roots and kinds.
        const int Chunk = 1 << 13;
        Parallel.For(0, (groups.Count + Chunk - 1) / Chunk, c =>
            SparseMerkleTree.RootsOf(depth, groups.GetRange(c * Chunk, Math.Min(Chunk, groups.Count - c * Chunk)), roots, kinds));
        return true;
    }
}
