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
    public static void LeafHash(ReadOnlySpan<byte> data, Span<byte> dest)
    {
        int n = data.Length + 1;
        byte[]? rented = null;
        Span<byte> buf = n <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(n));
        buf[0] = 0;
        data.CopyTo(buf[1..]);
        SHA256.HashData(buf[..n], dest);
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
    }

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
    /// to the root; the buffer is overwritten. Large levels are hashed on all cores into a second
    /// buffer (in place, one chunk's writes would land on another chunk's inputs).
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
            if (pairs >= ParallelThreshold)
            {
                spare ??= ArrayPool<byte>.Shared.Rent(pairs * HashSize + HashSize);
                dst = ReferenceEquals(src, leafHashes) ? spare : leafHashes;
                byte[] from = src, to = dst;
                Parallel.For(0, (pairs + 1023) / 1024, chunk =>
                {
                    int end = Math.Min(pairs, (chunk + 1) * 1024);
                    for (int i = chunk * 1024; i < end; i++) HashPair(from, to, i);
                });
            }
            else
            {
                // In place is safe in order: node i reads slots 2i and 2i+1, which are >= i.
                for (int i = 0; i < pairs; i++) HashPair(src, src, i);
            }
            if ((n & 1) == 1)
                src.AsSpan((n - 1) * HashSize, HashSize).CopyTo(dst.AsSpan(pairs * HashSize));
            src = dst;
            n = pairs + (n & 1);
        }
        src.AsSpan(0, HashSize).CopyTo(root);
        if (spare is not null) ArrayPool<byte>.Shared.Return(spare);
    }

    private const int ParallelThreshold = 4096;

    private static void HashPair(byte[] from, byte[] to, int i)
    {
        var pair = from.AsSpan(2 * i * HashSize, 2 * HashSize);
        NodeHash(pair[..HashSize], pair[HashSize..], to.AsSpan(i * HashSize, HashSize));
    }

    /// <summary>The block's <c>tx_root</c>: MTH over the raw transaction records in block order.</summary>
    public static void TxRoot(byte[] data, ReadOnlySpan<int> offsets, ReadOnlySpan<ushort> lengths, Span<byte> root)
    {
        int n = offsets.Length;
        var leaves = ArrayPool<byte>.Shared.Rent(checked(Math.Max(1, n) * HashSize));
        try
        {
            if (n >= 8192)
            {
                int[] offs = offsets.ToArray();
                ushort[] lens = lengths.ToArray();
                Parallel.For(0, (n + 2047) / 2048, chunk =>
                {
                    int end = Math.Min(n, (chunk + 1) * 2048);
                    for (int i = chunk * 2048; i < end; i++)
                        LeafHash(data.AsSpan(offs[i], lens[i]), leaves.AsSpan(i * HashSize, HashSize));
                });
            }
            else
            {
                for (int i = 0; i < n; i++)
                    LeafHash(data.AsSpan(offsets[i], lengths[i]), leaves.AsSpan(i * HashSize, HashSize));
            }
            RootFromLeafHashes(leaves, n, root);
        }
        finally { ArrayPool<byte>.Shared.Return(leaves); }
    }
}
