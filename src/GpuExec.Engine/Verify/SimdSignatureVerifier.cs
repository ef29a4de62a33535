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
/// a short remainder goes to libsodium. A signer met before is verified from its key table
/// (<see cref="KeyTableCache"/>: no decompression, a quarter of the doublings), in batches of its
/// own; the verdict is the same. Cores as <see cref="CpuSignatureVerifier"/>.
/// </summary>
internal sealed unsafe class SimdSignatureVerifier : ISignatureVerifier
{
    private const int Chunk = 256;

    /// <summary>Longer messages go to libsodium: every lane's hash buffer is as long as the longest message of its batch.</summary>
    private const int MaxLaneMessage = 1 << 16;
    private readonly ParallelOptions _options;

    /// <param name="maxDegreeOfParallelism">Threads to use; -1 (default) for all cores, 1 for the calling thread only.</param>
    /// <param name="lanes">Signatures per batch: 0 (default) for the widest supported, 8 (AVX-512F), 4 (AVX2) or 1 (libsodium alone).</param>
    /// <param name="keyTables">Public keys whose tables are kept (<see cref="KeyTableCache"/>, 3,840 bytes each), at most <see cref="MaxKeyTables"/>; 0 verifies every signature the plain way.</param>
    public SimdSignatureVerifier(int maxDegreeOfParallelism = -1, int lanes = 0, int keyTables = DefaultKeyTables)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keyTables);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(keyTables, MaxKeyTables);
        _keyTables = keyTables;
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

    /// <summary>Keys whose tables a verifier keeps by default: 32,768 (120 MiB at most, allocated as keys arrive).</summary>
    public const int DefaultKeyTables = 1 << 15;

    /// <summary>
    /// Most keys whose tables a verifier may keep: 2^20, 3.75 GiB of tables when a chain's signers
    /// take them all, which fits the machines GpuExec runs on (a chain of fresh signers, each
    /// signing twice, fills every table it is given).
    /// </summary>
    public const int MaxKeyTables = 1 << 20;

    private readonly int _keyTables;
    private KeyTableCache? _keys;

    public int MaxDegreeOfParallelism => _options.MaxDegreeOfParallelism;

    /// <summary>Keys whose tables it keeps at most (0: none, also with 1 lane).</summary>
    public int KeyTableCapacity => Lanes == 1 ? 0 : _keyTables;

    /// <summary>Keys whose tables are held now.</summary>
    public int KeyTablesHeld => Volatile.Read(ref _keys)?.Count ?? 0;

    /// <summary>Drops every key table: the next signatures verify as a fresh verifier's would (benchmarks start cold).</summary>
    public void ForgetKeyTables() => Volatile.Write(ref _keys, null);

    /// <summary>
    /// The key tables for this call: a new cache once the current one is full, so that keys keep
    /// arriving (the hot ones are built again at their next signature). A call keeps the cache it
    /// started with.
    /// </summary>
    private KeyTableCache? CurrentKeys()
    {
        if (_keyTables == 0 || Lanes == 1)
            return null;
        var k = Volatile.Read(ref _keys);
        if (k is not null && !k.IsFull)
            return k;
        var fresh = new KeyTableCache(_keyTables);
        var seen = Interlocked.CompareExchange(ref _keys, fresh, k);
        return seen == k ? fresh : seen;
    }

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
            var state = new State((nint)a, arena.Length, (nint)j, jobs.Length, (nint)v, Lanes, CurrentKeys());
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
        public readonly byte* KeyBuild = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(sizeof(Lanes512.KeyBuild), sizeof(Lanes256.KeyBuild)), 64);
        private byte* _keyScratch512, _keyScratch256;

        /// <summary>Scratch of a key-table build (100 KB with 8 lanes), allocated when a width first builds.</summary>
        public byte* KeyScratch512 => _keyScratch512 != null ? _keyScratch512 : _keyScratch512 = (byte*)NativeMemory.AlignedAlloc((nuint)sizeof(Lanes512.KeyScratch), 64);

        public byte* KeyScratch256 => _keyScratch256 != null ? _keyScratch256 : _keyScratch256 = (byte*)NativeMemory.AlignedAlloc((nuint)sizeof(Lanes256.KeyScratch), 64);
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
            NativeMemory.AlignedFree(KeyBuild);
            NativeMemory.AlignedFree(_keyScratch512);
            NativeMemory.AlignedFree(_keyScratch256);
            NativeMemory.AlignedFree(Messages);
        }
    }

    [ThreadStatic]
    private static Workspace? t_workspace;

    private sealed class State(nint arena, int arenaLength, nint jobs, int count, nint valid, int lanes, KeyTableCache? keys)
    {
        public void RunChunk(int c) => Run(c * Chunk, Math.Min(count, (c + 1) * Chunk));

        public void Run(int from, int to)
        {
            if (lanes == 1)
            {
                var a = new ReadOnlySpan<byte>((byte*)arena, arenaLength);
                var js = new ReadOnlySpan<SignatureJob>((SignatureJob*)jobs, count);
                var v = new Span<bool>((bool*)valid, count);
                for (int i = from; i < to; i++)
                    v[i] = Libsodium(a, js[i]);
                return;
            }
            for (int part = from; part < to; part += Chunk)
                RunPart(part, Math.Min(to, part + Chunk));
        }

        /// <summary>
        /// At most <see cref="Chunk"/> jobs: the encoding checks, then the keys' tables (found, or
        /// built here for the keys this part claims at their second sighting), then keyed batches
        /// and plain batches.
        /// </summary>
        private void RunPart(int from, int to)
        {
            var a = new ReadOnlySpan<byte>((byte*)arena, arenaLength);
            var js = new ReadOnlySpan<SignatureJob>((SignatureJob*)jobs, count);
            var v = new Span<bool>((bool*)valid, count);
            var ws = t_workspace ??= new Workspace();
            Span<int> plain = stackalloc int[Chunk];
            Span<int> keyed = stackalloc int[Chunk];
            Span<int> keyedSlot = stackalloc int[Chunk];
            Span<int> own = stackalloc int[Chunk];
            Span<int> ownJob = stackalloc int[Chunk];
            int np = 0, nk = 0, no = 0, tableHits = 0;
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
                if (keys is null)
                {
                    plain[np++] = i;
                    continue;
                }
                switch (keys.Find(a.Slice(j.PublicKeyOffset, 32), out int slot))
                {
                    case KeyTableCache.Found.Ready:
                        keyed[nk] = i;
                        keyedSlot[nk++] = slot;
                        tableHits++;
                        break;
                    case KeyTableCache.Found.NotAPoint:
                        v[i] = false;
                        break;
                    case KeyTableCache.Found.Claimed:
                        own[no] = slot;
                        ownJob[no++] = i;
                        keyed[nk] = i;
                        keyedSlot[nk++] = slot;
                        break;
                    case KeyTableCache.Found.Building when own[..no].Contains(slot):
                        keyed[nk] = i;
                        keyedSlot[nk++] = slot;
                        break;
                    default:  // met for the first time, another thread is building it, or the cache is full
                        plain[np++] = i;
                        break;
                }
            }
            if (no > 0)
            {
                BuildKeys(ws, a, js, own[..no], ownJob[..no]);
                // A key built here may have turned out not to be a point.
                int kept = 0;
                for (int k = 0; k < nk; k++)
                {
                    if (keys!.IsReady(keyedSlot[k]))
                    {
                        keyed[kept] = keyed[k];
                        keyedSlot[kept++] = keyedSlot[k];
                    }
                    else
                    {
                        v[keyed[k]] = false;
                    }
                }
                nk = kept;
            }
            if (tableHits > 0) GpuExecTelemetry.KeyTableHitCounter.Add(tableHits);
            RunBatches(ws, a, js, v, keyed[..nk], keyedSlot[..nk]);
            RunBatches(ws, a, js, v, plain[..np], default);
        }

        /// <summary>Builds and publishes the tables of the slots this part claimed, a key per lane.</summary>
        private void BuildKeys(Workspace ws, ReadOnlySpan<byte> a, ReadOnlySpan<SignatureJob> js, ReadOnlySpan<int> slots, ReadOnlySpan<int> jobOf)
        {
            for (int g = 0; g < slots.Length; g += lanes)
            {
                int n = Math.Min(lanes, slots.Length - g);
                for (int k = 0; k < lanes; k++)
                {
                    // Spare lanes repeat the group's first key into its own table.
                    int x = g + (k < n ? k : 0);
                    var pk = a.Slice(js[jobOf[x]].PublicKeyOffset, 32);
                    int* dest = keys!.Table(slots[x]);
                    if (lanes == 8)
                        Lanes512.SetKey((Lanes512.KeyBuild*)ws.KeyBuild, k, pk, dest);
                    else
                        Lanes256.SetKey((Lanes256.KeyBuild*)ws.KeyBuild, k, pk, dest);
                }
                byte* ok;
                if (lanes == 8)
                {
                    Lanes512.BuildKeys((Lanes512.KeyBuild*)ws.KeyBuild, (Lanes512.KeyScratch*)ws.KeyScratch512);
                    ok = ((Lanes512.KeyBuild*)ws.KeyBuild)->Ok;
                }
                else
                {
                    Lanes256.BuildKeys((Lanes256.KeyBuild*)ws.KeyBuild, (Lanes256.KeyScratch*)ws.KeyScratch256);
                    ok = ((Lanes256.KeyBuild*)ws.KeyBuild)->Ok;
                }
                for (int k = 0; k < n; k++)
                    keys!.Publish(slots[g + k], ok[k] != 0);
            }
        }

        /// <summary>
        /// The jobs of <paramref name="list"/> in batches of <c>lanes</c>, keyed (each job's key table
        /// in <paramref name="slots"/>) or plain (no slots): batch 0, once computed, waits for batch 1
        /// to share its inversion.
        /// </summary>
        private void RunBatches(Workspace ws, ReadOnlySpan<byte> a, ReadOnlySpan<SignatureJob> js, Span<bool> v,
            ReadOnlySpan<int> list, ReadOnlySpan<int> slots)
        {
            if (list.IsEmpty)
                return;
            bool isKeyed = !slots.IsEmpty;
            Span<int> laneJob = stackalloc int[16];
            Span<int> laneSlot = stackalloc int[16];
            int cur = 0, n = 0;
            bool waiting = false;
            for (int x = 0; x < list.Length; x++)
            {
                Fill(ws, a, js[list[x]], n);
                laneJob[8 * cur + n] = list[x];
                if (isKeyed)
                    laneSlot[8 * cur + n] = slots[x];
                if (++n < lanes)
                    continue;
                Compute(ws, a, js, laneJob.Slice(8 * cur, lanes), laneSlot.Slice(8 * cur, lanes), isKeyed, cur);
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
            // A plain batch costs about as much as two and a half libsodium calls per lane it has, a
            // keyed one about half that.
            if (n > 0 && n * 5 >= lanes * (isKeyed ? 1 : 2))
            {
                for (int k = n; k < lanes; k++)
                {
                    Fill(ws, a, js[laneJob[8 * cur]], k);
                    laneJob[8 * cur + k] = laneJob[8 * cur];
                    laneSlot[8 * cur + k] = laneSlot[8 * cur];
                }
                Compute(ws, a, js, laneJob.Slice(8 * cur, lanes), laneSlot.Slice(8 * cur, lanes), isKeyed, cur);
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
        private void Compute(Workspace ws, ReadOnlySpan<byte> a, ReadOnlySpan<SignatureJob> js, ReadOnlySpan<int> laneJob,
            ReadOnlySpan<int> laneSlot, bool isKeyed, int which)
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
                Ed25519Scalar.ReduceDigest(new ReadOnlySpan<byte>(ws.Digests + 64 * k, 64), h);
                if (isKeyed)
                {
                    int* table = keys!.Table(laneSlot[k]);
                    if (lanes == 8)
                        Lanes512.SetLaneKeyed((Lanes512.Batch*)b, k, table, sig, h);
                    else
                        Lanes256.SetLaneKeyed((Lanes256.Batch*)b, k, table, sig, h);
                    continue;
                }
                var pk = a.Slice(j.PublicKeyOffset, 32);
                if (lanes == 8)
                    Lanes512.SetLane((Lanes512.Batch*)b, k, pk, sig, h);
                else
                    Lanes256.SetLane((Lanes256.Batch*)b, k, pk, sig, h);
            }
            if (lanes == 8)
            {
                if (isKeyed)
                    Lanes512.ComputeKeyed((Lanes512.Batch*)b);
                else
                    Lanes512.Compute((Lanes512.Batch*)b);
            }
            else if (isKeyed)
            {
                Lanes256.ComputeKeyed((Lanes256.Batch*)b);
            }
            else
            {
                Lanes256.Compute((Lanes256.Batch*)b);
            }
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
