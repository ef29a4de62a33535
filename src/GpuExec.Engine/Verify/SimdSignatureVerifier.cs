using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using GpuExec.Crypto;
using GpuExec.Engine.Verify.Simd;
using GpuExec.Kernels.Verify;

namespace GpuExec.Engine.Verify;

/// <summary>
/// libsodium's verdict (SPEC section 5) for every job, computed several signatures at a time in the
/// lanes of the widest vector the machine has: 8 with AVX-512F (<see cref="System.Runtime.Intrinsics.Vector512{T}"/>),
/// 4 with AVX2, else libsodium itself. Each lane checks its own signature with the whole rule (no
/// batch equation), so a verdict never depends on the other jobs. The encoding checks (canonical S,
/// the small-order blocklist, canonical A) run first, per job; jobs that pass fill the lanes, and
/// a short remainder goes to libsodium. Cores as <see cref="CpuSignatureVerifier"/>.
/// </summary>
internal sealed unsafe class SimdSignatureVerifier : ISignatureVerifier
{
    private const int Chunk = 256;

    /// <summary>Longer messages go to libsodium: every lane's hash buffer is as long as the longest message of its batch.</summary>
    private const int MaxLaneMessage = 1 << 16;
    private readonly ParallelOptions _options;

    /// <param name="maxDegreeOfParallelism">Threads to use; -1 (default) for all cores, 1 for the calling thread only.</param>
    /// <param name="lanes">Signatures per batch: 0 (default) for the widest supported, 8 (AVX-512F), 4 (AVX2) or 1 (libsodium alone).</param>
    public SimdSignatureVerifier(int maxDegreeOfParallelism = -1, int lanes = 0)
    {
        if (maxDegreeOfParallelism == 0 || maxDegreeOfParallelism < -1)
            throw new ArgumentOutOfRangeException(nameof(maxDegreeOfParallelism));
        if (lanes == 0)
            lanes = BestLanes;
        if (lanes is not (1 or 4 or 8))
            throw new ArgumentOutOfRangeException(nameof(lanes), lanes, "lanes is 0, 1, 4 or 8");
        if (!IsSupported(lanes))
            throw new PlatformNotSupportedException($"{lanes} lanes need {(lanes == 8 ? "AVX-512F" : "AVX2")}, which this machine (or DOTNET_Enable*) does not offer");
        Lanes = lanes;
        _options = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism };
    }

    public int MaxDegreeOfParallelism => _options.MaxDegreeOfParallelism;

    /// <summary>Signatures per batch (1: libsodium alone).</summary>
    public int Lanes { get; }

    /// <summary>The widest batch this machine runs: 8 with AVX-512F, 4 with AVX2, else 1.</summary>
    public static int BestLanes => Avx512F.IsSupported ? 8 : Avx2.IsSupported ? 4 : 1;

    /// <summary>Whether batches of <paramref name="lanes"/> run here.</summary>
    public static bool IsSupported(int lanes) => lanes switch
    {
        1 => true,
        // Not through Lanes512/Lanes256: touching them runs their static constructors, which compute with that width.
        4 => Avx2.IsSupported,
        8 => Avx512F.IsSupported,
        _ => false,
    };

    public void Verify(ReadOnlySpan<byte> arena, ReadOnlySpan<SignatureJob> jobs, Span<bool> valid)
    {
        SignatureJobs.CheckRanges(jobs, arena.Length, valid.Length);
        if (jobs.Length == 0)
            return;
        fixed (byte* a = arena)
        fixed (SignatureJob* j = jobs)
        fixed (bool* v = valid)
        {
            var state = new State((nint)a, arena.Length, (nint)j, jobs.Length, (nint)v, Lanes);
            if (_options.MaxDegreeOfParallelism == 1 || jobs.Length <= Chunk)
            {
                state.Run(0, jobs.Length);
                return;
            }
            int chunks = (jobs.Length + Chunk - 1) / Chunk;
            Parallel.For(0, chunks, _options, state.RunChunk);
        }
    }

    /// <summary>A thread's batch memory and the lanes' padded hash inputs (64-byte aligned native memory).</summary>
    private sealed class Workspace
    {
        // Two batches each: one computed and waiting while the other fills, so that they share the final inversion.
        public readonly byte* Batch512 = (byte*)NativeMemory.AlignedAlloc((nuint)(2 * sizeof(Lanes512.Batch)), 64);
        public readonly byte* Batch256 = (byte*)NativeMemory.AlignedAlloc((nuint)(2 * sizeof(Lanes256.Batch)), 64);
        public readonly int* Blocks = (int*)NativeMemory.AlignedAlloc(8 * sizeof(int), 64);
        public readonly byte* Digests = (byte*)NativeMemory.AlignedAlloc(8 * 64, 64);
        public int Stride = 512;
        public byte* Messages = (byte*)NativeMemory.AlignedAlloc(8 * 512, 64);

        /// <summary>Makes every lane's buffer at least <paramref name="bytes"/> long, keeping what the lanes hold.</summary>
        public void Reserve(int bytes)
        {
            if (bytes <= Stride)
                return;
            int stride = Math.Max(bytes, 2 * Stride);
            var m = (byte*)NativeMemory.AlignedAlloc((nuint)(8 * stride), 64);
            for (int j = 0; j < 8; j++)
                Buffer.MemoryCopy(Messages + j * Stride, m + j * stride, stride, Stride);
            NativeMemory.AlignedFree(Messages);
            Messages = m;
            Stride = stride;
        }

        ~Workspace()
        {
            NativeMemory.AlignedFree(Batch512);
            NativeMemory.AlignedFree(Batch256);
            NativeMemory.AlignedFree(Blocks);
            NativeMemory.AlignedFree(Digests);
            NativeMemory.AlignedFree(Messages);
        }
    }

    [ThreadStatic]
    private static Workspace? t_workspace;

    private sealed class State(nint arena, int arenaLength, nint jobs, int count, nint valid, int lanes)
    {
        public void RunChunk(int c) => Run(c * Chunk, Math.Min(count, (c + 1) * Chunk));

        public void Run(int from, int to)
        {
            var a = new ReadOnlySpan<byte>((byte*)arena, arenaLength);
            var js = new ReadOnlySpan<SignatureJob>((SignatureJob*)jobs, count);
            var v = new Span<bool>((bool*)valid, count);
            if (lanes == 1)
            {
                for (int i = from; i < to; i++)
                    v[i] = Libsodium(a, js[i]);
                return;
            }
            var ws = t_workspace ??= new Workspace();
            // Lanes of batch 0 then batch 1: batch 0, once computed, waits for batch 1 to share its inversion.
            Span<int> laneJob = stackalloc int[16];
            int cur = 0, n = 0;
            bool waiting = false;
            for (int i = from; i < to; i++)
            {
                ref readonly var j = ref js[i];
                if (SignatureJobs.IsMarkedInvalid(j) || !PassesEncodingChecks(a, j))
                {
                    v[i] = false;
                    continue;
                }
                if (j.MessageLength > MaxLaneMessage)
                {
                    v[i] = Libsodium(a, j);
                    continue;
                }
                Fill(ws, a, j, n);
                laneJob[8 * cur + n++] = i;
                if (n < lanes)
                    continue;
                Compute(ws, a, js, laneJob.Slice(8 * cur, lanes), cur);
                if (cur == 0)
                {
                    waiting = true;
                    cur = 1;
                }
                else
                {
                    CompletePair(ws, laneJob, lanes, lanes, v);
                    waiting = false;
                    cur = 0;
                }
                n = 0;
            }
            // A batch costs about as much as two and a half libsodium calls per lane it has.
            if (n > 0 && n * 5 >= lanes * 2)
            {
                for (int k = n; k < lanes; k++)
                {
                    Fill(ws, a, js[laneJob[8 * cur]], k);
                    laneJob[8 * cur + k] = laneJob[8 * cur];
                }
                Compute(ws, a, js, laneJob.Slice(8 * cur, lanes), cur);
                if (cur == 1)
                {
                    CompletePair(ws, laneJob, lanes, n, v);
                    waiting = false;
                }
                else
                {
                    CompleteOne(ws, 0, laneJob, n, v);
                }
            }
            else
            {
                for (int k = 0; k < n; k++)
                    v[laneJob[8 * cur + k]] = Libsodium(a, js[laneJob[8 * cur + k]]);
            }
            if (waiting)
                CompleteOne(ws, 0, laneJob, lanes, v);
        }

        private static bool Libsodium(ReadOnlySpan<byte> a, in SignatureJob j) =>
            !SignatureJobs.IsMarkedInvalid(j) && GpuExec.Crypto.Libsodium.Ed25519Verify(
                a.Slice(j.PublicKeyOffset, 32), a.Slice(j.MessageOffset, j.MessageLength), a.Slice(j.SignatureOffset, 64));

        private static bool PassesEncodingChecks(ReadOnlySpan<byte> a, in SignatureJob j)
        {
            var sig = a.Slice(j.SignatureOffset, 64);
            var pk = a.Slice(j.PublicKeyOffset, 32);
            return Ed25519Scalar.IsCanonicalScalar(sig[32..])
                && !Ed25519Scalar.HasSmallOrder(sig[..32])
                && Ed25519Scalar.IsCanonicalPoint(pk)
                && !Ed25519Scalar.HasSmallOrder(pk);
        }

        /// <summary>Puts R || A || M, padded for SHA-512, in lane <paramref name="lane"/>'s buffer.</summary>
        private static void Fill(Workspace ws, ReadOnlySpan<byte> a, in SignatureJob j, int lane)
        {
            int len = 64 + j.MessageLength;
            ws.Reserve(Ed25519Scalar.Sha512PaddedLength(len));
            var buf = new Span<byte>(ws.Messages + lane * ws.Stride, len);
            a.Slice(j.SignatureOffset, 32).CopyTo(buf);
            a.Slice(j.PublicKeyOffset, 32).CopyTo(buf[32..]);
            a.Slice(j.MessageOffset, j.MessageLength).CopyTo(buf[64..]);
            ws.Blocks[lane] = Ed25519Scalar.Sha512Pad(ws.Messages + lane * ws.Stride, len);
        }

        private byte* Batch(Workspace ws, int which) =>
            lanes == 8 ? ws.Batch512 + which * sizeof(Lanes512.Batch) : ws.Batch256 + which * sizeof(Lanes256.Batch);

        /// <summary>Hashes the lanes' messages and fills and computes batch <paramref name="which"/>, all but its final inversion.</summary>
        private void Compute(Workspace ws, ReadOnlySpan<byte> a, ReadOnlySpan<SignatureJob> js, ReadOnlySpan<int> laneJob, int which)
        {
            if (lanes == 8)
                Lanes512.Sha512(ws.Messages, ws.Stride, ws.Blocks, ws.Digests);
            else
                Lanes256.Sha512(ws.Messages, ws.Stride, ws.Blocks, ws.Digests);
            Span<byte> h = stackalloc byte[32];
            byte* b = Batch(ws, which);
            for (int k = 0; k < lanes; k++)
            {
                ref readonly var j = ref js[laneJob[k]];
                var sig = a.Slice(j.SignatureOffset, 64);
                var pk = a.Slice(j.PublicKeyOffset, 32);
                Ed25519Scalar.ReduceDigest(new ReadOnlySpan<byte>(ws.Digests + 64 * k, 64), h);
                if (lanes == 8)
                    Lanes512.SetLane((Lanes512.Batch*)b, k, pk, sig, h);
                else
                    Lanes256.SetLane((Lanes256.Batch*)b, k, pk, sig, h);
            }
            if (lanes == 8)
                Lanes512.Compute((Lanes512.Batch*)b);
            else
                Lanes256.Compute((Lanes256.Batch*)b);
        }

        /// <summary>Finishes batches 0 and 1 together; verdicts for all lanes of batch 0 and the first <paramref name="n1"/> of batch 1.</summary>
        private void CompletePair(Workspace ws, ReadOnlySpan<int> laneJob, int n0, int n1, Span<bool> v)
        {
            if (lanes == 8)
                Lanes512.Run2((Lanes512.Batch*)Batch(ws, 0), (Lanes512.Batch*)Batch(ws, 1));
            else
                Lanes256.Run2((Lanes256.Batch*)Batch(ws, 0), (Lanes256.Batch*)Batch(ws, 1));
            Verdicts(ws, 0, laneJob, n0, v);
            Verdicts(ws, 1, laneJob, n1, v);
        }

        /// <summary>Finishes batch <paramref name="which"/> alone; verdicts for its first <paramref name="n"/> lanes.</summary>
        private void CompleteOne(Workspace ws, int which, ReadOnlySpan<int> laneJob, int n, Span<bool> v)
        {
            if (lanes == 8)
                Lanes512.Complete((Lanes512.Batch*)Batch(ws, which));
            else
                Lanes256.Complete((Lanes256.Batch*)Batch(ws, which));
            Verdicts(ws, which, laneJob, n, v);
        }

        private void Verdicts(Workspace ws, int which, ReadOnlySpan<int> laneJob, int n, Span<bool> v)
        {
            byte* verdicts = lanes == 8 ? ((Lanes512.Batch*)Batch(ws, which))->Valid : ((Lanes256.Batch*)Batch(ws, which))->Valid;
            for (int k = 0; k < n; k++)
                v[laneJob[8 * which + k]] = verdicts[k] != 0;
        }
    }
}
