using GpuExec.Kernels.Verify;

namespace GpuExec.Engine.Verify;

/// <summary>
/// Batch hashing of messages read in place from a byte arena: SHA-256 (transaction ids),
/// Keccak-256 (Ethereum's, padding 0x01) and the RFC 6962 Merkle root (SPEC section 6).
/// Implementations: <see cref="CpuHasher"/> and <see cref="IlgpuHasher"/>.
/// </summary>
internal interface IHasher
{
    /// <summary>digests[32 i .. 32 i + 32] = SHA-256(message i).</summary>
    void Sha256(ReadOnlySpan<byte> arena, ReadOnlySpan<HashJob> jobs, Span<byte> digests);

    /// <summary>digests[32 i .. 32 i + 32] = Keccak-256(message i).</summary>
    void Keccak256(ReadOnlySpan<byte> arena, ReadOnlySpan<HashJob> jobs, Span<byte> digests);

    /// <summary>The RFC 6962 Merkle Tree Hash of the leaves (SHA-256("") for none) into 32 bytes.</summary>
    void MerkleRoot(ReadOnlySpan<byte> arena, ReadOnlySpan<HashJob> leaves, Span<byte> root);
}

/// <summary>Hash jobs: range checks, and the jobs of a block's records.</summary>
internal static class HashJobs
{
    /// <summary>One job per transaction record of <paramref name="block"/>, in place in <see cref="Wire.Block.Data"/>.</summary>
    public static HashJob[] ForRecords(Wire.Block block)
    {
        ArgumentNullException.ThrowIfNull(block);
        var jobs = new HashJob[block.Count];
        for (int i = 0; i < jobs.Length; i++) jobs[i] = new HashJob(block.RecordOffsets[i], block.RecordLengths[i]);
        return jobs;
    }

    public static void Check(ReadOnlySpan<HashJob> jobs, int arenaLength, int outLength, int digestSize)
    {
        if (outLength < (long)jobs.Length * digestSize)
            throw new ArgumentException($"the digest span holds {outLength} bytes, {jobs.Length} digests need {(long)jobs.Length * digestSize}", "digests");
        for (int i = 0; i < jobs.Length; i++)
        {
            var j = jobs[i];
            if (j.Offset < 0 || j.Length < 0 || (long)j.Offset + j.Length > arenaLength)
                throw new ArgumentOutOfRangeException(nameof(jobs), $"hash job {i} ({j.Offset}, {j.Length}) is outside the {arenaLength}-byte arena");
        }
    }
}
