using System.Buffers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Commitments;

/// <summary>
/// The state root as RFC 6962's Merkle Tree Hash over every leaf in byte order (accounts by
/// address, then pools by id), kept from block to block: the leaves' positions, their hashes and
/// every level of the tree. A block that only changes leaves rehashes the paths above them,
/// O(k log n); a block that creates or empties an account moves every leaf after it, and the
/// tree is rebuilt, O(n). The tree is the bottom-up form of RFC 6962 (pairs left to right, an odd
/// last node carried up), which <see cref="Merkle"/> shows equal to the recursive definition.
/// </summary>
internal sealed class Rfc6962StateCommitment : IStateCommitment
{
    private Address[] _addresses;          // accounts with a leaf, sorted: leaf i
    private readonly uint[] _poolIds;      // pools, sorted: leaf _addresses.Length + j
    private readonly List<byte[]> _levels = [];
    private readonly List<int> _levelLengths = [];

    private Rfc6962StateCommitment(Address[] addresses, uint[] poolIds)
    {
        _addresses = addresses;
        _poolIds = poolIds;
    }

    /// <summary>The commitment of a whole state: every leaf hashed (on all cores when many), then the tree.</summary>
    public static Rfc6962StateCommitment Build(IEnumerable<Account> accounts, IEnumerable<Pool> pools)
    {
        var withLeaf = accounts.Where(a => !a.IsEmpty).ToArray();
        Array.Sort(withLeaf, static (x, y) => x.Address.CompareTo(y.Address));
        var poolList = pools.OrderBy(p => p.Id).ToArray();
        var c = new Rfc6962StateCommitment(withLeaf.Select(a => a.Address).ToArray(), poolList.Select(p => p.Id).ToArray());
        int n = withLeaf.Length + poolList.Length;
        var level0 = c.Level(0, n);
        HashAccountLeaves(withLeaf, level0, parallel: true);
        HashPoolLeaves(poolList, level0.AsSpan(withLeaf.Length * Merkle.HashSize));
        c.Rebuild(n);
        return c;
    }

    public Hash32 Root
    {
        get
        {
            Span<byte> root = stackalloc byte[Merkle.HashSize];
            if (_levelLengths[^1] == 0) SHA256.HashData(ReadOnlySpan<byte>.Empty, root);
            else _levels[^1].AsSpan(0, Merkle.HashSize).CopyTo(root);
            return new Hash32(root);
        }
    }

    public Hash32 Apply(ChangeSet changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var accounts = changes.AccountSpan;
        bool structural = false;
        foreach (ref readonly var c in accounts) structural |= c.Created || c.Emptied;
        var changedAfter = new Account[accounts.Length];
        int k = 0;
        foreach (ref readonly var c in accounts) if (c.After is { } a) changedAfter[k++] = a;
        var fresh = new byte[Math.Max(1, k) * Merkle.HashSize];
        HashAccountLeaves(changedAfter.AsSpan(0, k), fresh, parallel: k >= 4096);
        var pools = new Pool[changes.PoolSpan.Length];
        for (int p = 0; p < pools.Length; p++) pools[p] = changes.PoolSpan[p].After;
        var poolHashes = new byte[Math.Max(1, pools.Length) * Merkle.HashSize];
        HashPoolLeaves(pools, poolHashes);

        if (structural) Restructure(accounts, fresh, pools, poolHashes);
        else UpdateInPlace(changedAfter.AsSpan(0, k), fresh, pools, poolHashes);
        return Root;
    }

    /// <summary>Accounts gained or lost leaves: the sorted leaves are merged anew and the tree rebuilt.</summary>
    private void Restructure(ReadOnlySpan<AccountChange> accounts, byte[] fresh, Pool[] pools, byte[] poolHashes)
    {
        var old = _levels[0];
        int oldCount = _addresses.Length;
        var merged = new List<Address>(oldCount + accounts.Length);
        var hashes = new byte[(oldCount + accounts.Length + _poolIds.Length) * Merkle.HashSize + Merkle.HashSize];
        int i = 0, j = 0, f = 0, n = 0;
        while (i < oldCount || j < accounts.Length)
        {
            int cmp = j == accounts.Length ? -1 : i == oldCount ? 1 : _addresses[i].CompareTo(accounts[j].Address);
            if (cmp < 0)
            {
                old.AsSpan(i * Merkle.HashSize, Merkle.HashSize).CopyTo(hashes.AsSpan(n * Merkle.HashSize));
                merged.Add(_addresses[i++]);
                n++;
                continue;
            }
            var c = accounts[j++];
            if (cmp == 0 ? c.Created : !c.Created) throw NotMine(c.Address);
            if (cmp == 0) i++;
            if (c.After is null) continue;
            fresh.AsSpan(f++ * Merkle.HashSize, Merkle.HashSize).CopyTo(hashes.AsSpan(n * Merkle.HashSize));
            merged.Add(c.Address);
            n++;
        }
        old.AsSpan(oldCount * Merkle.HashSize, _poolIds.Length * Merkle.HashSize).CopyTo(hashes.AsSpan(n * Merkle.HashSize));
        _addresses = merged.ToArray();
        _levels[0] = hashes;
        WritePools(pools, poolHashes, hashes, null);
        Rebuild(n + _poolIds.Length);
    }

    /// <summary>Only leaf values changed: the leaves are overwritten and the paths above them rehashed.</summary>
    private void UpdateInPlace(ReadOnlySpan<Account> changed, byte[] fresh, Pool[] pools, byte[] poolHashes)
    {
        var level0 = _levels[0];
        var dirty = new List<int>(changed.Length + pools.Length);
        for (int c = 0; c < changed.Length; c++)
        {
            int at = Array.BinarySearch(_addresses, changed[c].Address);
            if (at < 0) throw NotMine(changed[c].Address);
            fresh.AsSpan(c * Merkle.HashSize, Merkle.HashSize).CopyTo(level0.AsSpan(at * Merkle.HashSize));
            dirty.Add(at);
        }
        WritePools(pools, poolHashes, level0, dirty);
        dirty.Sort();
        for (int k = 0; k + 1 < _levelLengths.Count && dirty.Count > 0; k++)
        {
            // Parents of the dirty nodes, each once (the list is sorted, so duplicates are adjacent).
            int w = 0;
            for (int r = 0; r < dirty.Count; r++)
            {
                int parent = dirty[r] >> 1;
                if (w == 0 || dirty[w - 1] != parent) dirty[w++] = parent;
            }
            dirty.RemoveRange(w, dirty.Count - w);
            HashChosenPairs(_levels[k], _levelLengths[k], _levels[k + 1], dirty);
        }
    }

    private void WritePools(Pool[] pools, byte[] poolHashes, byte[] level0, List<int>? dirty)
    {
        int first = _addresses.Length;
        for (int p = 0; p < pools.Length; p++)
        {
            int at = Array.BinarySearch(_poolIds, pools[p].Id);
            if (at < 0) throw new InvalidOperationException($"a change of pool {pools[p].Id}, which the state root does not hold");
            poolHashes.AsSpan(p * Merkle.HashSize, Merkle.HashSize).CopyTo(level0.AsSpan((first + at) * Merkle.HashSize));
            dirty?.Add(first + at);
        }
    }

    private static InvalidOperationException NotMine(Address a) =>
        new($"a change of account {a} that does not match the leaves the state root holds (a change set made on another state)");

    /// <summary>A copy that changes independently of this one.</summary>
    public Rfc6962StateCommitment Clone()
    {
        var c = new Rfc6962StateCommitment((Address[])_addresses.Clone(), _poolIds);
        foreach (var l in _levels) c._levels.Add((byte[])l.Clone());
        c._levelLengths.AddRange(_levelLengths);
        return c;
    }

    private void Rebuild(int n)
    {
        _levelLengths.Clear();
        _levelLengths.Add(n);
        int k = 0;
        while (_levelLengths[k] > 1)
        {
            int len = _levelLengths[k], next = (len + 1) / 2;
            var src = _levels[k];
            var dst = Level(k + 1, next);
            Merkle.HashPairs(src, len / 2, dst, parallel: next >= 4096);
            if ((len & 1) == 1) CarryUp(src, dst, next - 1);
            _levelLengths.Add(next);
            k++;
        }
        if (_levels.Count > _levelLengths.Count) _levels.RemoveRange(_levelLengths.Count, _levels.Count - _levelLengths.Count);
    }

    /// <summary>The nodes <paramref name="parents"/> (sorted) of the next level: their pairs hashed many at a time, an odd last node carried up.</summary>
    private static unsafe void HashChosenPairs(byte[] src, int len, byte[] dst, List<int> parents)
    {
        var idx = CollectionsMarshal.AsSpan(parents);
        int pairs = idx.Length;
        if (pairs > 0 && 2 * idx[^1] + 1 >= len)
        {
            CarryUp(src, dst, idx[^1]);
            pairs--;
        }
        if (pairs == 0) return;
        byte[] nodes = ArrayPool<byte>.Shared.Rent(Merkle.HashSize * pairs);
        fixed (int* p = idx)
            Sha256Lanes.Hash(src.AsSpan(0, 2 * Merkle.HashSize * (len / 2)), new ChosenPairMessages(p, pairs), 1, nodes, parallel: pairs >= 4096);
        for (int i = 0; i < pairs; i++)
            nodes.AsSpan(Merkle.HashSize * i, Merkle.HashSize).CopyTo(dst.AsSpan(Merkle.HashSize * idx[i]));
        ArrayPool<byte>.Shared.Return(nodes);
    }

    /// <summary>RFC 6962 leaf hashes of the accounts' leaf data, many at a time (on all cores when asked and many).</summary>
    private static void HashAccountLeaves(ReadOnlySpan<Account> accounts, byte[] dest, bool parallel)
    {
        const int Chunk = 4096;
        int n = accounts.Length;
        if (n == 0) return;
        if (!parallel || n < 2 * Chunk)
        {
            HashAccountRange(accounts, dest.AsSpan(0, n * Merkle.HashSize));
            return;
        }
        var array = accounts.ToArray();
        Parallel.For(0, (n + Chunk - 1) / Chunk, c =>
        {
            int from = c * Chunk, to = Math.Min(n, from + Chunk);
            HashAccountRange(array.AsSpan(from, to - from), dest.AsSpan(from * Merkle.HashSize, (to - from) * Merkle.HashSize));
        });
    }

    private static unsafe void HashAccountRange(ReadOnlySpan<Account> accounts, Span<byte> dest)
    {
        int n = accounts.Length, bytes = 0;
        foreach (var a in accounts) bytes += LeafEncoding.AccountLeafSize(a);
        byte[] arena = ArrayPool<byte>.Shared.Rent(bytes);
        int[] offsets = ArrayPool<int>.Shared.Rent(2 * n);
        try
        {
            int pos = 0;
            for (int i = 0; i < n; i++)
            {
                int size = LeafEncoding.WriteAccountLeaf(accounts[i], arena.AsSpan(pos));
                offsets[i] = pos;
                offsets[n + i] = size;
                pos += size;
            }
            fixed (int* o = offsets)
                Sha256Lanes.Hash(arena.AsSpan(0, pos), new SpanMessages(o, o + n, n), 0, dest, parallel: false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(arena);
            ArrayPool<int>.Shared.Return(offsets);
        }
    }

    private static void HashPoolLeaves(ReadOnlySpan<Pool> pools, Span<byte> dest)
    {
        Span<byte> leaf = stackalloc byte[LeafEncoding.PoolLeafSize];
        for (int p = 0; p < pools.Length; p++)
        {
            LeafEncoding.WritePoolLeaf(pools[p], leaf);
            Merkle.LeafHash(leaf, dest.Slice(p * Merkle.HashSize, Merkle.HashSize));
        }
    }

    /// <summary>Node i of the next level when it has one child, 2i (the last of an odd level): that child, carried up.</summary>
    private static void CarryUp(byte[] src, byte[] dst, int i) =>
        src.AsSpan(2 * i * Merkle.HashSize, Merkle.HashSize).CopyTo(dst.AsSpan(i * Merkle.HashSize, Merkle.HashSize));

    private byte[] Level(int k, int nodes)
    {
        int bytes = Math.Max(1, nodes) * Merkle.HashSize;
        while (_levels.Count <= k) _levels.Add([]);
        if (_levels[k].Length < bytes) _levels[k] = new byte[bytes + bytes / 8];
        return _levels[k];
    }
}
