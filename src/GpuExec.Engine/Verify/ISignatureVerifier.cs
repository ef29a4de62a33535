using GpuExec.Kernels.Verify;

namespace GpuExec.Engine.Verify;

/// <summary>
/// Batch Ed25519 verification with libsodium's verdict (SPEC section 5) for every job.
/// Implementations: <see cref="CpuSignatureVerifier"/> (libsodium, all cores) and
/// <see cref="IlgpuSignatureVerifier"/> (the kernel in <c>kernels/GpuExec.Kernels/Verify</c>).
/// </summary>
internal interface ISignatureVerifier
{
    /// <summary>
    /// valid[i] = the verdict for jobs[i], whose message, key and signature are read from
    /// <paramref name="arena"/>. A job with a negative key or signature offset is invalid (false);
    /// a job that reaches past the arena is a caller error (<see cref="ArgumentOutOfRangeException"/>).
    /// </summary>
    void Verify(ReadOnlySpan<byte> arena, ReadOnlySpan<SignatureJob> jobs, Span<bool> valid);
}

/// <summary>Checks shared by the verifiers.</summary>
internal static class SignatureJobs
{
    /// <summary>Whether the job is marked invalid (a negative offset or length: wrong-length inputs).</summary>
    public static bool IsMarkedInvalid(in SignatureJob j) =>
        j.PublicKeyOffset < 0 || j.SignatureOffset < 0 || j.MessageOffset < 0 || j.MessageLength < 0;

    /// <summary>Throws unless every job that is not marked invalid lies inside an arena of <paramref name="arenaLength"/> bytes.</summary>
    public static void CheckRanges(ReadOnlySpan<SignatureJob> jobs, int arenaLength, int validLength)
    {
        if (validLength < jobs.Length)
            throw new ArgumentException($"valid has {validLength} entries for {jobs.Length} jobs", "valid");
        for (int i = 0; i < jobs.Length; i++)
        {
            ref readonly var j = ref jobs[i];
            if (IsMarkedInvalid(j))
                continue;
            if ((long)j.MessageOffset + j.MessageLength > arenaLength
                || (long)j.PublicKeyOffset + 32 > arenaLength
                || (long)j.SignatureOffset + 64 > arenaLength)
                throw new ArgumentOutOfRangeException(nameof(jobs), $"job {i} reaches past the {arenaLength}-byte arena");
        }
    }

    /// <summary>
    /// One job per transaction of <paramref name="block"/>, read in place from <see cref="Wire.Block.Data"/>:
    /// body, sender key and signature. Transactions whose status is no longer <see cref="Model.TxStatus.Ok"/>
    /// (malformed, wrong chain) get a job marked invalid, whose verdict is never read.
    /// </summary>
    public static SignatureJob[] ForBlock(Wire.Block block, ReadOnlySpan<Model.TxStatus> statuses)
    {
        ArgumentNullException.ThrowIfNull(block);
        var jobs = new SignatureJob[block.Count];
        for (int i = 0; i < jobs.Length; i++)
        {
            int off = block.RecordOffsets[i], len = block.RecordLengths[i];
            jobs[i] = statuses[i] == Model.TxStatus.Ok
                ? new SignatureJob(off, len - Model.TransactionView.SignatureSize, off + Model.TransactionView.SenderOffset, off + len - Model.TransactionView.SignatureSize)
                : new SignatureJob(off, 0, -1, -1);
        }
        return jobs;
    }

    /// <summary>Appends (key, message, signature) to an arena buffer and returns the job; wrong lengths give a job marked invalid.</summary>
    public static SignatureJob Append(List<byte> arena, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        int msgOff = arena.Count;
        arena.AddRange(message);
        if (publicKey.Length != 32 || signature.Length != 64)
            return new SignatureJob(msgOff, message.Length, -1, -1);
        int pkOff = arena.Count;
        arena.AddRange(publicKey);
        int sigOff = arena.Count;
        arena.AddRange(signature);
        return new SignatureJob(msgOff, message.Length, pkOff, sigOff);
    }
}
