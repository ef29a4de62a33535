using GpuExec.Crypto;
using GpuExec.Kernels.Verify;

namespace GpuExec.Engine.Verify;

/// <summary>
/// libsodium's <c>crypto_sign_ed25519_verify_detached</c> on all cores (the <c>cpu</c> device,
/// and the oracle the kernels are tested against). No allocation per item.
/// </summary>
internal sealed unsafe class CpuSignatureVerifier : ISignatureVerifier
{
    private const int Chunk = 64;
    private readonly ParallelOptions _options;

    /// <param name="maxDegreeOfParallelism">Threads to use; -1 (default) for all cores, 1 for the calling thread only.</param>
    public CpuSignatureVerifier(int maxDegreeOfParallelism = -1)
    {
        if (maxDegreeOfParallelism == 0 || maxDegreeOfParallelism < -1)
            throw new ArgumentOutOfRangeException(nameof(maxDegreeOfParallelism));
        _options = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism };
    }

    public int MaxDegreeOfParallelism => _options.MaxDegreeOfParallelism;

    public void Verify(ReadOnlySpan<byte> arena, ReadOnlySpan<SignatureJob> jobs, Span<bool> valid)
    {
        SignatureJobs.CheckRanges(jobs, arena.Length, valid.Length);
        if (jobs.Length == 0)
            return;
        fixed (byte* a = arena)
        fixed (SignatureJob* j = jobs)
        fixed (bool* v = valid)
        {
            var state = new State((nint)a, arena.Length, (nint)j, jobs.Length, (nint)v);
            if (_options.MaxDegreeOfParallelism == 1 || jobs.Length <= Chunk)
            {
                state.Run(0, jobs.Length);
                return;
            }
            int chunks = (jobs.Length + Chunk - 1) / Chunk;
            Parallel.For(0, chunks, _options, state.RunChunk);
        }
    }

    private sealed class State(nint arena, int arenaLength, nint jobs, int count, nint valid)
    {
        public void RunChunk(int c) => Run(c * Chunk, Math.Min(count, (c + 1) * Chunk));

        public void Run(int from, int to)
        {
            var a = new ReadOnlySpan<byte>((byte*)arena, arenaLength);
            var js = new ReadOnlySpan<SignatureJob>((SignatureJob*)jobs, count);
            var v = new Span<bool>((bool*)valid, count);
            for (int i = from; i < to; i++)
            {
                ref readonly var j = ref js[i];
                v[i] = !SignatureJobs.IsMarkedInvalid(j) && Libsodium.Ed25519Verify(
                    a.Slice(j.PublicKeyOffset, 32),
                    a.Slice(j.MessageOffset, j.MessageLength),
                    a.Slice(j.SignatureOffset, 64));
            }
        }
    }
}
