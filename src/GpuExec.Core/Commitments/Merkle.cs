using System.Buffers;
using System.Security.Cryptography;

namespace GpuExec.Commitments;

/// <summary>
/// RFC 6962 Merkle Tree Hash with SHA-256 (SPEC section 6): empty tree <c>H("")</c>,
/// leaf <c>H(0x00 || data)</c>, node <c>H(0x01 || left || right)</c>.
/// Computed bottom-up: pairing left to right and carrying an odd last node up a level gives
/// exactly RFC 6962's split at the largest power of two below n.
/// </summary>
public static class Merkle
{
    /// <summary>Size in bytes of every hash in the tree (SHA-256).</summary>
    public const int HashSize = 32;

    /// <summary><c>H(0x00 || data)</c> into <paramref name="dest"/>.</summary>
    public static void LeafHash(ReadOnlySpan<byte> data, Span<byte> dest) => Sha256Lanes.HashOne(data, 0, dest);

    /// <summary><c>H(0x01 || left || right)</c> into <paramref name="dest"/> (which may alias either input).</summary>
    public static void NodeHash(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right, Span<byte> dest)
    {
        Span<byte> buf = stackalloc byte[1 + 2 * HashSize];
        buf[0] = 1;
        left[..HashSize].CopyTo(buf[1..]);
        right[..HashSize].CopyTo(buf[(1 + HashSize)..]);
        SHA256.HashData(buf, dest);
    }

    /// <summary>
    /// Reduces <paramref name="count"/> leaf hashes, stored consecutively in <paramref name="leafHashes"/>,
    /// to the root; the buffer is overwritten. Each level's pairs are hashed many at a time
    /// (<see cref="Sha256Lanes"/>); large levels on all cores into a second buffer (in place, one
    /// chunk's writes would land on another chunk's inputs).
    /// </summary>
    public static void RootFromLeafHashes(byte[] leafHashes, int count, Span<byte> root)
    {
        if (count == 0) { SHA256.HashData(ReadOnlySpan<byte>.Empty, root); return; }
        byte[] src = leafHashes;
        byte[]? spare = null;
        int n = count;
        while (n > 1)
        {
            int pairs = n / 2;
            byte[] dst = src;
            bool parallel = pairs >= ParallelThreshold;
            if (parallel)
            {
                spare ??= ArrayPool<byte>.Shared.Rent(pairs * HashSize + HashSize);
                dst = ReferenceEquals(src, leafHashes) ? spare : leafHashes;
            }
            // On one thread in place is safe: a group of pairs is read whole before its nodes, which
            // land below every later group's pairs, are written.
            HashPairs(src, pairs, dst, parallel);
            if ((n & 1) == 1)
                src.AsSpan((n - 1) * HashSize, HashSize).CopyTo(dst.AsSpan(pairs * HashSize));
            src = dst;
            n = pairs + (n & 1);
        }
        src.AsSpan(0, HashSize).CopyTo(root);
        if (spare is not null) ArrayPool<byte>.Shared.Return(spare);
    }

    private const int ParallelThreshold = 4096;

    /// <summary>Node i = <c>H(0x01 || pair i)</c> for the first <paramref name="pairs"/> adjacent pairs of <paramref name="level"/>.</summary>
    internal static void HashPairs(byte[] level, int pairs, byte[] nodes, bool parallel) =>
        Sha256Lanes.Hash(level.AsSpan(0, 2 * HashSize * pairs), new PairMessages(pairs), 1, nodes.AsSpan(0, HashSize * pairs), parallel: parallel);

    /// <summary>The block's <c>tx_root</c>: MTH over the raw transaction records in block order.</summary>
    public static unsafe void TxRoot(byte[] data, ReadOnlySpan<int> offsets, ReadOnlySpan<ushort> lengths, Span<byte> root)
    {
        int n = offsets.Length;
        if (lengths.Length != n)
            throw new ArgumentException($"{n} record offsets but {lengths.Length} lengths", nameof(lengths));
        fixed (int* o = offsets)
        fixed (ushort* l = lengths)
            RootOf(data, new RecordMessages(o, l, n), root);
    }

    /// <summary>MTH over <paramref name="leaves"/>: their leaf hashes many at a time (on all cores when many), then <see cref="RootFromLeafHashes"/>.</summary>
    internal static void RootOf<T>(ReadOnlySpan<byte> data, T leaves, Span<byte> root) where T : struct, IMessageSet
    {
        int n = leaves.Count;
        var level = ArrayPool<byte>.Shared.Rent(checked(Math.Max(1, n) * HashSize));
        try
        {
            Sha256Lanes.Hash(data, leaves, 0, level.AsSpan(0, n * HashSize));
            RootFromLeafHashes(level, n, root);
        }
        finally { ArrayPool<byte>.Shared.Return(level); }
    }
}
