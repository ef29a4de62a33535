using System.Runtime.InteropServices;
using System.Security.Cryptography;
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
    public static int BestLanes => Lanes512.IsSupported ? 8 : Lanes256.IsSupported ? 4 : 1;

    /// <summary>Whether batches of <paramref name="lanes"/> run here.</summary>
    public static bool IsSupported(int lanes) => lanes switch
    {
        1 => true,
        4 => Lanes256.IsSupported,
        8 => Lanes512.IsSupported,
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

    /// <summary>A thread's batch memory (64-byte aligned) and hash input buffer.</summary>
    private sealed class Workspace
    {
        public readonly byte* Batch512 = (byte*)NativeMemory.AlignedAlloc((nuint)sizeof(Lanes512.Batch), 64);
        public readonly byte* Batch256 = (byte*)NativeMemory.AlignedAlloc((nuint)sizeof(Lanes256.Batch), 64);
        public byte[] Hash = new byte[1024];

        ~Workspace()
        {
            NativeMemory.AlignedFree(Batch512);
            NativeMemory.AlignedFree(Batch256);
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
            Span<int> idx = stackalloc int[8];
            Span<byte> h = stackalloc byte[32];
            int n = 0;
            for (int i = from; i < to; i++)
            {
                ref readonly var j = ref js[i];
                if (SignatureJobs.IsMarkedInvalid(j) || !PassesEncodingChecks(a, j))
                {
                    v[i] = false;
                    continue;
                }
                Fill(ws, a, j, n, h);
                idx[n++] = i;
                if (n == lanes)
                {
                    RunBatch(ws, idx, n, v);
                    n = 0;
                }
            }
            if (n == 0)
                return;
            // A batch costs about as much as two and a half libsodium calls per lane it has.
            if (n * 5 >= lanes * 2)
            {
                for (int k = n; k < lanes; k++)
                    Fill(ws, a, js[idx[0]], k, h);
                RunBatch(ws, idx, n, v);
            }
            else
            {
                for (int k = 0; k < n; k++)
                    v[idx[k]] = Libsodium(a, js[idx[k]]);
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

        private void Fill(Workspace ws, ReadOnlySpan<byte> a, in SignatureJob j, int lane, Span<byte> h)
        {
            var sig = a.Slice(j.SignatureOffset, 64);
            var pk = a.Slice(j.PublicKeyOffset, 32);
            int len = 64 + j.MessageLength;
            if (ws.Hash.Length < len)
                ws.Hash = new byte[Math.Max(len, 2 * ws.Hash.Length)];
            var buf = ws.Hash.AsSpan(0, len);
            sig[..32].CopyTo(buf);
            pk.CopyTo(buf[32..]);
            a.Slice(j.MessageOffset, j.MessageLength).CopyTo(buf[64..]);
            Span<byte> digest = stackalloc byte[64];
            SHA512.HashData(buf, digest);
            Ed25519Scalar.ReduceDigest(digest, h);
            if (lanes == 8)
                Lanes512.SetLane((Lanes512.Batch*)ws.Batch512, lane, pk, sig, h);
            else
                Lanes256.SetLane((Lanes256.Batch*)ws.Batch256, lane, pk, sig, h);
        }

        private void RunBatch(Workspace ws, ReadOnlySpan<int> idx, int n, Span<bool> v)
        {
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
                v[idx[k]] = verdicts[k] != 0;
        }
    }
}
