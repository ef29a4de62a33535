using System.Buffers;
using System.Runtime.InteropServices;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Commitments;

/// <summary>
/// The state's leaves as the tree sees them: keys <c>H(0x01 || address)</c> and
/// <c>H(0x02 || id)</c>, value hashes <c>H(leaf data)</c>, computed many at a time in SHA-256 lanes
/// (on all cores for a whole state).
/// </summary>
internal static class TreeUpdates
{
    private const int Chunk = 4096;

    /// <summary>A block's changes as leaf updates sorted by key: new value hashes, and removals of emptied accounts.</summary>
    public static TreeUpdate[] From(ChangeSet changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var accounts = changes.AccountSpan;
        var pools = changes.PoolSpan;
        var updates = new TreeUpdate[accounts.Length + pools.Length];
        var afters = new Account?[accounts.Length];
        var addresses = new Address[accounts.Length];
        for (int i = 0; i < accounts.Length; i++)
        {
            addresses[i] = accounts[i].Address;
            afters[i] = accounts[i].After;
        }
        HashAccounts(addresses, afters, updates);
        for (int i = 0; i < pools.Length; i++)
            updates[accounts.Length + i] = PoolUpdate(pools[i].After);
        SortByKey(updates);
        return updates;
    }

    /// <summary>
    /// Sorts <paramref name="updates"/> by key: the keys' first 8 bytes as numbers with an index each,
    /// placed by their first 16 bits (a counting sort: hashed keys spread evenly) and each place's few
    /// sorted; runs of equal first bytes (rare for hashed keys) by the whole key; then one pass moves
    /// the updates. A place crowded by keys ground to share their first bits is sorted in n log n, not
    /// by insertion. Measured on a block's 50,000 updates: a comparison sort of the updates themselves
    /// was a tenth of the state tree's update, and a primitive sort of the heads still a twentieth.
    /// </summary>
    internal static void SortByKey(TreeUpdate[] updates)
    {
        int n = updates.Length;
        if (n < 2) return;
        const int Places = 1 << 16;
        var start = ArrayPool<int>.Shared.Rent(Places + 1);
        var heads = new ulong[n];
        var order = new int[n];
        try
        {
            var place = start.AsSpan(0, Places + 1);
            place.Clear();
            foreach (ref readonly var u in updates.AsSpan()) place[(int)(u.Key.Head >> 48) + 1]++;
            for (int p = 0; p < Places; p++) place[p + 1] += place[p];
            for (int i = 0; i < n; i++)
            {
                ulong head = updates[i].Key.Head;
                int at = place[(int)(head >> 48)]++;
                heads[at] = head;
                order[at] = i;
            }
            // Each place now ends where the next one began.
            int from = 0;
            for (int p = 0; p < Places && from < n; p++)
            {
                int to = place[p], count = to - from;
                if (count > 16) Array.Sort(heads, order, from, count);
                else
                    for (int i = from + 1; i < to; i++)
                    {
                        ulong h = heads[i];
                        int o = order[i], j = i - 1;
                        for (; j >= from && heads[j] > h; j--)
                        {
                            heads[j + 1] = heads[j];
                            order[j + 1] = order[j];
                        }
                        heads[j + 1] = h;
                        order[j + 1] = o;
                    }
                from = to;
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(start);
        }
        var copy = (TreeUpdate[])updates.Clone();
        for (int i = 0; i < n;)
        {
            int j = i + 1;
            while (j < n && heads[j] == heads[i]) j++;
            if (j - i > 1) order.AsSpan(i, j - i).Sort((a, b) => copy[a].Key.CompareTo(copy[b].Key));
            i = j;
        }
        for (int i = 0; i < n; i++) updates[i] = copy[order[i]];
    }

    /// <summary>Every leaf of a whole state (accounts without a leaf left out), leaf hashes not yet computed.</summary>
    public static TreeLeaf[] Leaves(IEnumerable<Account> accounts, IEnumerable<Pool> pools)
    {
        var withLeaf = accounts.Where(a => !a.IsEmpty).ToArray();
        var poolList = pools.ToArray();
        var updates = new TreeUpdate[withLeaf.Length + poolList.Length];
        var addresses = new Address[withLeaf.Length];
        for (int i = 0; i < withLeaf.Length; i++) addresses[i] = withLeaf[i].Address;
        HashAccounts(addresses, withLeaf!, updates);
        for (int i = 0; i < poolList.Length; i++) updates[withLeaf.Length + i] = PoolUpdate(poolList[i]);
        var leaves = new TreeLeaf[updates.Length];
        for (int i = 0; i < leaves.Length; i++) leaves[i] = new TreeLeaf { Key = updates[i].Key, ValueHash = updates[i].ValueHash };
        return leaves;
    }

    /// <summary>The keys <c>H(0x01 || address)</c> of <paramref name="addresses"/>, many at a time (on all cores when many).</summary>
    public static void AccountKeys(ReadOnlySpan<Address> addresses, Span<TreeKey> keys)
    {
        int n = addresses.Length;
        if (keys.Length < n) throw new ArgumentException("a key per address", nameof(keys));
        var messages = new byte[32 * n];
        for (int i = 0; i < n; i++) addresses[i].WriteTo(messages.AsSpan(32 * i, 32));
        var digests = MemoryMarshal.AsBytes(keys[..n]);
        Sha256Lanes.Hash(messages, new FixedMessages(n, 32), 1, digests, parallel: n >= 2 * Chunk);
    }

    private static TreeUpdate PoolUpdate(in Pool pool)
    {
        Span<byte> leaf = stackalloc byte[LeafEncoding.PoolLeafSize];
        LeafEncoding.WritePoolLeaf(pool, leaf);
        Span<byte> vh = stackalloc byte[32];
        System.Security.Cryptography.SHA256.HashData(leaf, vh);
        return new TreeUpdate { Key = TreeKey.ForPool(pool.Id), ValueHash = new Hash32(vh) };
    }

    /// <summary>Keys of <paramref name="addresses"/> and value hashes of the accounts (null: a removal) into the first entries of <paramref name="into"/>.</summary>
    private static void HashAccounts(Address[] addresses, Account?[] accounts, TreeUpdate[] into)
    {
        int n = addresses.Length;
        if (n == 0) return;
        int chunks = (n + Chunk - 1) / Chunk;
        if (chunks == 1) HashRange(addresses, accounts, into, 0, n);
        else Parallel.For(0, chunks, c => HashRange(addresses, accounts, into, c * Chunk, Math.Min(n, (c + 1) * Chunk)));
    }

    private static unsafe void HashRange(Address[] addresses, Account?[] accounts, TreeUpdate[] into, int from, int to)
    {
        int n = to - from;
        byte[] keyMessages = ArrayPool<byte>.Shared.Rent(32 * n);
        byte[] keys = ArrayPool<byte>.Shared.Rent(32 * n);
        int bytes = 0, present = 0;
        for (int i = from; i < to; i++)
        {
            addresses[i].WriteTo(keyMessages.AsSpan(32 * (i - from), 32));
            if (accounts[i] is { } a) { bytes += LeafEncoding.AccountLeafSize(a); present++; }
        }
        Sha256Lanes.Hash(keyMessages.AsSpan(0, 32 * n), new FixedMessages(n, 32), 1, keys, parallel: false);
        byte[] arena = ArrayPool<byte>.Shared.Rent(Math.Max(1, bytes));
        int[] offsets = ArrayPool<int>.Shared.Rent(2 * Math.Max(1, present));
        byte[] values = ArrayPool<byte>.Shared.Rent(32 * Math.Max(1, present));
        try
        {
            int pos = 0, k = 0;
            for (int i = from; i < to; i++)
            {
                if (accounts[i] is not { } a) continue;
                int size = LeafEncoding.WriteAccountLeaf(a, arena.AsSpan(pos));
                offsets[k] = pos;
                offsets[present + k] = size;
                pos += size;
                k++;
            }
            fixed (int* o = offsets)
                Sha256Lanes.Hash(arena.AsSpan(0, pos), new SpanMessages(o, o + present, present), Sha256Lanes.NoPrefix, values, parallel: false);
            k = 0;
            for (int i = from; i < to; i++)
            {
                ref var u = ref into[i];
                u.Key = new TreeKey(keys.AsSpan(32 * (i - from), 32));
                if (accounts[i] is null) { u.Delete = true; continue; }
                u.ValueHash = new Hash32(values.AsSpan(32 * k++, 32));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(keyMessages);
            ArrayPool<byte>.Shared.Return(keys);
            ArrayPool<byte>.Shared.Return(arena);
            ArrayPool<int>.Shared.Return(offsets);
            ArrayPool<byte>.Shared.Return(values);
        }
    }
}
