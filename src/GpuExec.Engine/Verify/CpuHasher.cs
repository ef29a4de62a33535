using GpuExec.Commitments;
using GpuExec.Kernels.Verify;

namespace GpuExec.Engine.Verify;

/// <summary>Host hashing: SHA-256 many messages at a time (<see cref="Sha256Lanes"/>) and <see cref="KeccakReference"/>, no allocation per item.</summary>
internal sealed unsafe class CpuHasher : IHasher
{
    /// <summary>Below this many items one thread is faster than handing work out.</summary>
    private const int ParallelThreshold = 4096;
    private const int Chunk = 1024;

    public static CpuHasher Instance { get; } = new();

    public void Sha256(ReadOnlySpan<byte> arena, ReadOnlySpan<HashJob> jobs, Span<byte> digests)
    {
        HashJobs.Check(jobs, arena.Length, digests.Length, 32);
        fixed (HashJob* j = jobs)
            Sha256Lanes.Hash(arena, new JobMessages(j, jobs.Length), Sha256Lanes.NoPrefix, digests);
    }

    public void Keccak256(ReadOnlySpan<byte> arena, ReadOnlySpan<HashJob> jobs, Span<byte> digests)
    {
        HashJobs.Check(jobs, arena.Length, digests.Length, 32);
        ForEach(arena, jobs, digests, static (data, digest) => KeccakReference.Hash(data, digest));
    }

    /// <summary>RFC 6962 root of the jobs as leaves (<see cref="Merkle.RootOf{T}"/>).</summary>
    public void MerkleRoot(ReadOnlySpan<byte> arena, ReadOnlySpan<HashJob> leaves, Span<byte> root)
    {
        HashJobs.Check(leaves, arena.Length, int.MaxValue, 0);
        if (root.Length < 32)
            throw new ArgumentException("a root is 32 bytes", nameof(root));
        fixed (HashJob* j = leaves)
            Merkle.RootOf(arena, new JobMessages(j, leaves.Length), root);
    }

    private delegate void HashOne(ReadOnlySpan<byte> data, Span<byte> digest);

    /// <summary>digest i (32 bytes) = hash(job i), on all cores for large batches; no allocation per item.</summary>
    private static void ForEach(ReadOnlySpan<byte> arena, ReadOnlySpan<HashJob> jobs, Span<byte> digests, HashOne hash)
    {
        int n = jobs.Length;
        if (n < ParallelThreshold)
        {
            for (int i = 0; i < n; i++)
                hash(arena.Slice(jobs[i].Offset, jobs[i].Length), digests.Slice(32 * i, 32));
            return;
        }
        fixed (byte* a = arena)
        fixed (HashJob* j = jobs)
        fixed (byte* d = digests)
        {
            nint ap = (nint)a, jp = (nint)j, dp = (nint)d;
            Parallel.For(0, (n + Chunk - 1) / Chunk, c =>
            {
                var js = new ReadOnlySpan<HashJob>((HashJob*)jp, n);
                int end = Math.Min(n, (c + 1) * Chunk);
                for (int i = c * Chunk; i < end; i++)
                    hash(new ReadOnlySpan<byte>((byte*)ap + js[i].Offset, js[i].Length), new Span<byte>((byte*)dp + 32 * i, 32));
            });
        }
    }
}

/// <summary>Hash jobs as the messages of <see cref="Sha256Lanes"/>.</summary>
internal readonly unsafe struct JobMessages(HashJob* jobs, int count) : IMessageSet
{
    public int Count => count;
    public int Offset(int i) => jobs[i].Offset;
    public int Length(int i) => jobs[i].Length;
}
