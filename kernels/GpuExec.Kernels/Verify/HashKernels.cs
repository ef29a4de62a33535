using ILGPU;

namespace GpuExec.Kernels.Verify;

/// <summary>
/// Batch hash kernels, one message per thread, reading messages in place from a byte arena.
/// Digests are written back to back into <c>digests</c> (32 or 64 bytes each).
/// Merkle kernels follow RFC 6962 (SPEC section 6): leaf = SHA-256(0x00 || data),
/// node = SHA-256(0x01 || left || right), a lone last node is carried up unchanged (which is
/// the same tree as splitting at the largest power of two below n).
/// </summary>
internal static class HashKernels
{
    public static void Sha256(Index1D i, ArrayView<byte> arena, ArrayView<HashJob> jobs, ArrayView<uint> k, ArrayView<byte> digests)
    {
        HashJob j = jobs[i];
        Verify.Sha256.Store(Verify.Sha256.Hash(arena, MessageSpec.Single(j.Offset, j.Length), k), digests, (long)i.X * 32);
    }

    public static void Sha512(Index1D i, ArrayView<byte> arena, ArrayView<HashJob> jobs, ArrayView<ulong> k, ArrayView<byte> digests)
    {
        HashJob j = jobs[i];
        Verify.Sha512.Store(Verify.Sha512.Hash(arena, MessageSpec.Single(j.Offset, j.Length), k), digests, (long)i.X * 64);
    }

    public static void Keccak256(Index1D i, ArrayView<byte> arena, ArrayView<HashJob> jobs, ArrayView<ulong> rc, ArrayView<byte> digests)
    {
        HashJob j = jobs[i];
        Verify.Keccak256.Store(Verify.Keccak256.Hash(arena, MessageSpec.Single(j.Offset, j.Length), rc), digests, (long)i.X * 32);
    }

    /// <summary>level[i] = SHA-256(0x00 || leaf i).</summary>
    public static void MerkleLeaves(Index1D i, ArrayView<byte> arena, ArrayView<HashJob> jobs, ArrayView<uint> k, ArrayView<byte> level)
    {
        HashJob j = jobs[i];
        var m = MessageSpec.Single(j.Offset, j.Length);
        m.PrefixLength = 1;
        m.Prefix = 0x00;
        Verify.Sha256.Store(Verify.Sha256.Hash(arena, m, k), level, (long)i.X * 32);
    }

    /// <summary>
    /// One level up: for i &lt; ceil(count / 2), next[i] = SHA-256(0x01 || level[2i] || level[2i+1]),
    /// or level[2i] itself when it has no right sibling.
    /// </summary>
    public static void MerkleLevel(Index1D i, ArrayView<byte> level, int count, ArrayView<uint> k, ArrayView<byte> next)
    {
        long left = 2L * i.X;
        if (left + 1 < count)
        {
            var m = new MessageSpec { PrefixLength = 1, Prefix = 0x01, Off0 = (int)(left * 32), Len0 = 64 };
            Verify.Sha256.Store(Verify.Sha256.Hash(level, m, k), next, (long)i.X * 32);
        }
        else
        {
            for (int b = 0; b < 32; b++)
                next[(long)i.X * 32 + b] = level[left * 32 + b];
        }
    }
}
