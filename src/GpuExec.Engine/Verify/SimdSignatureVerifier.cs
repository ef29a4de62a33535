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
public sealed unsafe class SimdSignatureVerifier : ISignatureVerifier
{
    private const int Chunk = 256;
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
        public readonly byte* Batch512 = (byte*)NativeMemory.AlignedAlloc((nuint)sizeof(Lanes512.Batch), 64);
        public readonly byte* Batch256 = (byte*)NativeMemory.AlignedAlloc((nuint)sizeof(Lanes256.Batch), 64);
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
            Span<int> laneJob = stackalloc int[8];
            int n = 0;
            for (int i = from; i < to; i++)
            {
                ref readonly var j = ref js[i];
                if (SignatureJobs.IsMarkedInvalid(j) || !PassesEncodingChecks(a, j))
                {
                    v[i] = false;
                    continue;
                }
                Fill(ws, a, j, n);
                laneJob[n++] = i;
                if (n == lanes)
                {
                    RunBatch(ws, a, js, laneJob, n, v);
                    n = 0;
                }
            }
            if (n == 0)
                return;
            // A batch costs about as much as two and a half libsodium calls per lane it has.
            if (n * 5 >= lanes * 2)
            {
                for (int k = n; k < lanes; k++)
                {
                    Fill(ws, a, js[laneJob[0]], k);
                    laneJob[k] = laneJob[0];
                }
                RunBatch(ws, a, js, laneJob, n, v);
            }
            else
            {
                for (int k = 0; k < n; k++)
                    v[laneJob[k]] = Libsodium(a, js[laneJob[k]]);
            }
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

        /// <summary>Hashes the lanes' messages, fills and runs the batch; verdicts for the first <paramref name="n"/> lanes.</summary>
        private void RunBatch(Workspace ws, ReadOnlySpan<byte> a, ReadOnlySpan<SignatureJob> js, ReadOnlySpan<int> laneJob, int n, Span<bool> v)
        {
            if (lanes == 8)
                Lanes512.Sha512(ws.Messages, ws.Stride, ws.Blocks, ws.Digests);
            else
                Lanes256.Sha512(ws.Messages, ws.Stride, ws.Blocks, ws.Digests);
            Span<byte> h = stackalloc byte[32];
            for (int k = 0; k < lanes; k++)
            {
                ref readonly var j = ref js[laneJob[k]];
                var sig = a.Slice(j.SignatureOffset, 64);
                var pk = a.Slice(j.PublicKeyOffset, 32);
                Ed25519Scalar.ReduceDigest(new ReadOnlySpan<byte>(ws.Digests + 64 * k, 64), h);
                if (lanes == 8)
                    Lanes512.SetLane((Lanes512.Batch*)ws.Batch512, k, pk, sig, h);
                else
                    Lanes256.SetLane((Lanes256.Batch*)ws.Batch256, k, pk, sig, h);
            }
            byte* verdicts;
            if (lanes == 8)
            {
                var b = (Lanes512.Batch*)ws.Batch512;
                Lanes512.Run(b);
                verdicts = b->Valid;
            }
            else
            {
                var b = (Lanes256.Batch*)ws.Batch256;
                Lanes256.Run(b);
                verdicts = b->Valid;
            }
            for (int k = 0; k < n; k++)
                v[laneJob[k]] = verdicts[k] != 0;
        }
    }
}
