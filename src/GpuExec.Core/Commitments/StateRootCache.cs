using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Commitments;

/// <summary>
/// Computes the state root of SPEC section 6 and remembers what it can between blocks:
/// <list type="bullet">
/// <item>accounts stay in a list sorted by address (new ones are sorted and merged in);</item>
/// <item>each account keeps its leaf hash until it changes (<see cref="Account.Dirty"/>);</item>
/// <item>every level of the Merkle tree is kept, so when the set of leaves is unchanged (no account
/// gained or lost its leaf, no pool added) only the paths above changed leaves are rehashed:
/// O(k log n) for k changed leaves instead of n node hashes.</item>
/// </list>
/// The tree is the bottom-up form of RFC 6962 (pairs left to right, an odd last node carried up),
/// which <see cref="Merkle"/> shows equal to the recursive definition.
/// </summary>
internal sealed class StateRootCache
{
    private List<Account> _sorted = [];
    private readonly List<Account> _added = [];
    private readonly List<byte[]> _levels = [];
    private readonly List<int> _levelLengths = [];
    private byte[] _poolLeaves = [];
    private bool _built;
    private byte[] _changed = [];

    private int _removals;

    public void Added(Account account) => _added.Add(account);

    /// <summary>The state dropped <paramref name="account"/>; the next <see cref="Compute"/> forgets it.</summary>
    public void Removed(Account account)
    {
        account.Removed = true;
        _removals++;
    }

    public Hash32 Compute(WorldState state)
    {
        bool structural = !_built;
        if (_removals > 0)
        {
            // Most removed accounts were created in the same block and are still among the added ones.
            int before = _added.Count;
            _added.RemoveAll(static a => a.Removed);
            if (before - _added.Count < _removals)
            {
                // A leafless account can leave without moving any leaf; one with a leaf cannot.
                foreach (var a in _sorted) structural |= a.Removed && a.HasLeaf;
                _sorted.RemoveAll(static a => a.Removed);
            }
            _removals = 0;
        }
        if (_added.Count > 0)
        {
            _added.Sort(static (x, y) => x.Address.CompareTo(y.Address));
            var merged = new List<Account>(_sorted.Count + _added.Count);
            int i = 0, j = 0;
            while (i < _sorted.Count || j < _added.Count)
            {
                if (j == _added.Count || (i < _sorted.Count && _sorted[i].Address.CompareTo(_added[j].Address) < 0))
                    merged.Add(_sorted[i++]);
                else
                    merged.Add(_added[j++]);
            }
            _sorted = merged;
            _added.Clear();
        }

        // Refresh the leaves of changed accounts on all cores; note which changed and whether any
        // account gained or lost its leaf (then positions shift and the tree is rebuilt).
        var accounts = _sorted;
        if (_changed.Length < accounts.Count) _changed = new byte[accounts.Count + accounts.Count / 4 + 16];
        var changed = _changed;
        int flips = 0;
        Parallel.For(0, (accounts.Count + LeafChunk - 1) / LeafChunk, chunk =>
        {
            int end = Math.Min(accounts.Count, (chunk + 1) * LeafChunk);
            int localFlips = RefreshLeaves(accounts, chunk * LeafChunk, end, changed);
            if (localFlips > 0) Interlocked.Add(ref flips, localFlips);
        });
        structural |= flips > 0;

        var pools = state.Pools.OrderBy(p => p.Id).ToArray();
        int poolBytes = pools.Length * Merkle.HashSize;
        structural |= _poolLeaves.Length != poolBytes;
        var poolLeaves = new byte[poolBytes];
        Span<byte> leaf = stackalloc byte[LeafEncoding.PoolLeafSize];
        for (int p = 0; p < pools.Length; p++)
        {
            LeafEncoding.WritePoolLeaf(pools[p], leaf);
            Merkle.LeafHash(leaf, poolLeaves.AsSpan(p * Merkle.HashSize, Merkle.HashSize));
        }

        if (structural) Rebuild(accounts, poolLeaves);
        else Update(accounts, changed, poolLeaves);
        _poolLeaves = poolLeaves;
        _built = true;

        Span<byte> root = stackalloc byte[32];
        if (_levelLengths[^1] == 0) SHA256.HashData(ReadOnlySpan<byte>.Empty, root);
        else _levels[^1].AsSpan(0, Merkle.HashSize).CopyTo(root);
        return new Hash32(root);
    }

    private void Rebuild(List<Account> accounts, byte[] poolLeaves)
    {
        int n = 0;
        foreach (var a in accounts) a.LeafIndex = a.HasLeaf ? n++ : -1;
        int accountLeaves = n;
        n += poolLeaves.Length / Merkle.HashSize;
        _levelLengths.Clear();
        var level0 = Level(0, n);
        foreach (var a in accounts)
            if (a.HasLeaf) a.LeafHash.AsSpan().CopyTo(level0.AsSpan(a.LeafIndex * Merkle.HashSize));
        poolLeaves.CopyTo(level0, accountLeaves * Merkle.HashSize);
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

    private void Update(List<Account> accounts, byte[] changed, byte[] poolLeaves)
    {
        var dirty = new List<int>();
        var level0 = _levels[0];
        for (int i = 0; i < accounts.Count; i++)
        {
            if (changed[i] == 0) continue;
            var a = accounts[i];
            if (!a.HasLeaf) continue;
            a.LeafHash.AsSpan().CopyTo(level0.AsSpan(a.LeafIndex * Merkle.HashSize));
            dirty.Add(a.LeafIndex);
        }
        int poolStart = _levelLengths[0] - poolLeaves.Length / Merkle.HashSize;
        for (int p = 0; p < poolLeaves.Length / Merkle.HashSize; p++)
        {
            var fresh = poolLeaves.AsSpan(p * Merkle.HashSize, Merkle.HashSize);
            var cached = level0.AsSpan((poolStart + p) * Merkle.HashSize, Merkle.HashSize);
            if (fresh.SequenceEqual(cached)) continue;
            fresh.CopyTo(cached);
            dirty.Add(poolStart + p);
        }
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
            var src = _levels[k];
            var dst = _levels[k + 1];
            int len = _levelLengths[k];
            HashChosenPairs(src, len, dst, dirty);
        }
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

    private const int LeafChunk = 4096;

    /// <summary>
    /// Refreshes the leaf hashes of the changed accounts in [<paramref name="from"/>, <paramref name="to"/>):
    /// their leaves encoded one after another, then hashed many at a time. Marks them in
    /// <paramref name="changed"/>; returns how many gained or lost a leaf (positions shift then).
    /// </summary>
    private static unsafe int RefreshLeaves(List<Account> accounts, int from, int to, byte[] changed)
    {
        int flips = 0, dirty = 0, bytes = 0;
        for (int i = from; i < to; i++)
        {
            var a = accounts[i];
            changed[i] = 0;
            if (!a.Dirty) continue;
            bool has = !a.IsEmpty;
            if (has != a.HasLeaf || (has && a.LeafIndex < 0)) flips++;
            a.HasLeaf = has;
            a.Dirty = false;
            changed[i] = 1;
            if (!has) continue;
            dirty++;
            bytes += LeafEncoding.AccountLeafSize(a);
        }
        if (dirty == 0) return flips;
        byte[] arena = ArrayPool<byte>.Shared.Rent(bytes);
        int[] offsets = ArrayPool<int>.Shared.Rent(2 * dirty);
        byte[] digests = ArrayPool<byte>.Shared.Rent(Merkle.HashSize * dirty);
        try
        {
            int k = 0, pos = 0;
            for (int i = from; i < to; i++)
            {
                if (changed[i] == 0 || !accounts[i].HasLeaf) continue;
                int size = LeafEncoding.WriteAccountLeaf(accounts[i], arena.AsSpan(pos));
                offsets[k] = pos;
                offsets[dirty + k] = size;
                pos += size;
                k++;
            }
            fixed (int* o = offsets)
                Sha256Lanes.Hash(arena.AsSpan(0, pos), new SpanMessages(o, o + dirty, dirty), 0, digests, parallel: false);
            k = 0;
            for (int i = from; i < to; i++)
            {
                var a = accounts[i];
                if (changed[i] == 0 || !a.HasLeaf) continue;
                digests.AsSpan(Merkle.HashSize * k++, Merkle.HashSize).CopyTo(a.LeafHash ??= new byte[Merkle.HashSize]);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(arena);
            ArrayPool<int>.Shared.Return(offsets);
            ArrayPool<byte>.Shared.Return(digests);
        }
        return flips;
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
