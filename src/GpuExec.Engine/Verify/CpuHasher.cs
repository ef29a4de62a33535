using System.Buffers;
using System.Security.Cryptography;
using GpuExec.Kernels.Verify;

namespace GpuExec.Engine.Verify;

/// <summary>Host hashing: <see cref="SHA256.HashData(ReadOnlySpan{byte}, Span{byte})"/> and <see cref="KeccakReference"/>, no allocation per item.</summary>
public sealed class CpuHasher : IHasher
{
    public static CpuHasher Instance { get; } = new();

    public void Sha256(ReadOnlySpan<byte> arena, ReadOnlySpan<HashJob> jobs, Span<byte> digests)
    {
        HashJobs.Check(jobs, arena.Length, digests.Length, 32);
        for (int i = 0; i < jobs.Length; i++)
            SHA256.HashData(arena.Slice(jobs[i].Offset, jobs[i].Length), digests.Slice(32 * i, 32));
    }

    public void Keccak256(ReadOnlySpan<byte> arena, ReadOnlySpan<HashJob> jobs, Span<byte> digests)
    {
        HashJobs.Check(jobs, arena.Length, digests.Length, 32);
        for (int i = 0; i < jobs.Length; i++)
            KeccakReference.Hash(arena.Slice(jobs[i].Offset, jobs[i].Length), digests.Slice(32 * i, 32));
    }

    public void MerkleRoot(ReadOnlySpan<byte> arena, ReadOnlySpan<HashJob> leaves, Span<byte> root)
    {
        HashJobs.Check(leaves, arena.Length, int.MaxValue, 0);
        if (root.Length < 32)
            throw new ArgumentException("a root is 32 bytes", nameof(root));
        if (leaves.Length == 0)
        {
            SHA256.HashData(ReadOnlySpan<byte>.Empty, root);
            return;
        }
        byte[] level = ArrayPool<byte>.Shared.Rent(32 * leaves.Length);
        byte[] input = ArrayPool<byte>.Shared.Rent(1 + 64);
        try
        {
            using (var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                for (int i = 0; i < leaves.Length; i++)
                {
                    h.AppendData([0x00]);
                    h.AppendData(arena.Slice(leaves[i].Offset, leaves[i].Length));
                    h.GetHashAndReset(level.AsSpan(32 * i, 32));
                }
            }
            int n = leaves.Length;
            input[0] = 0x01;
            while (n > 1)
            {
                int next = 0;
                for (int i = 0; i + 1 < n; i += 2)
                {
                    level.AsSpan(32 * i, 64).CopyTo(input.AsSpan(1));
                    SHA256.HashData(input.AsSpan(0, 65), level.AsSpan(32 * next++, 32));
                }
                if ((n & 1) == 1)
                    level.AsSpan(32 * (n - 1), 32).CopyTo(level.AsSpan(32 * next++, 32));
                n = next;
            }
            level.AsSpan(0, 32).CopyTo(root);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(level);
            ArrayPool<byte>.Shared.Return(input);
        }
    }
}
