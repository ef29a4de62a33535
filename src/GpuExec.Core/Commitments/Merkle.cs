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
    /// to the root; the buffer is overwritten. Large levels are hashed on all cores.
    /// </summary>
    public static void RootFromLeafHashes(byte[] leafHashes, int count, Span<byte> root)
    {
        if (count == 0) { SHA256.HashData(ReadOnlySpan<byte>.Empty, root); return; }
        int n = count;
        while (n > 1)
        {
            int pairs = n / 2;
            if (pairs >= 4096)
            {
                Parallel.For(0, (pairs + 1023) / 1024, chunk =>
                {
                    int end = Math.Min(pairs, (chunk + 1) * 1024);
                    for (int i = chunk * 1024; i < end; i++) HashPair(leafHashes, i);
                });
            }
            else
            {
                for (int i = 0; i < pairs; i++) HashPair(leafHashes, i);
            }
            if ((n & 1) == 1)
                leafHashes.AsSpan((n - 1) * HashSize, HashSize).CopyTo(leafHashes.AsSpan(pairs * HashSize));
            n = pairs + (n & 1);
        }
        leafHashes.AsSpan(0, HashSize).CopyTo(root);
    }

    private static void HashPair(byte[] level, int i)
    {
        // Node i of the next level lands at slot i; it reads slots 2i and 2i+1, which are >= i.
        var src = level.AsSpan(2 * i * HashSize, 2 * HashSize);
        NodeHash(src[..HashSize], src[HashSize..], level.AsSpan(i * HashSize, HashSize));
    }

    /// <summary>The block's <c>tx_root</c>: MTH over the raw transaction records in block order.</summary>
    public static void TxRoot(byte[] data, ReadOnlySpan<int> offsets, ReadOnlySpan<ushort> lengths, Span<byte> root)
    {
        int n = offsets.Length;
        var leaves = ArrayPool<byte>.Shared.Rent(Math.Max(1, n) * HashSize);
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
