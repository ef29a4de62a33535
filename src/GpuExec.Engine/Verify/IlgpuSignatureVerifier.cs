using GpuExec.Engine.Devices;
using GpuExec.Kernels.Verify;
using ILGPU;
using ILGPU.Runtime;
using Microsoft.Extensions.Logging;

namespace GpuExec.Engine.Verify;

/// <summary>
/// Ed25519 on an ILGPU accelerator. The arena and the jobs are staged in page-locked host memory;
/// the jobs go through in chunks of <see cref="ChunkSize"/> alternating over two accelerator
/// streams, so chunk k+1's upload (its jobs and, when the chunks' arena ranges follow each other,
/// as in a block, its part of the arena) overlaps chunk k's verification; the verdicts are read
/// back once. A block already on the device (<see cref="DeviceArena"/>, shared with the hashes) is
/// read in place: only the jobs travel. Device and host buffers are reused and grown; the kernel is loaded once per
/// accelerator by <see cref="VerifyKernelSet"/>. Every entry point binds the accelerator to the
/// calling thread first (a CUDA context is current per thread), so a verifier may move between
/// threads. Not thread-safe: one verifier per stream of work.
/// </summary>
internal sealed class IlgpuSignatureVerifier : ISignatureVerifier, IDisposable
{
    private const int Streams = 2;

    private readonly VerifyKernelSet _kernels;
    private readonly AcceleratorStream[] _streams;
    private readonly GrowableBuffer<byte> _arena;
    private readonly GrowableBuffer<SignatureJob> _jobs;
    private readonly GrowableBuffer<GeCached>[] _scratch;
    private readonly GrowableBuffer<int> _valid;
    private readonly GrowablePinned<byte> _hostArena;
    private readonly GrowablePinned<SignatureJob> _hostJobs;
    private readonly GrowablePinned<int> _hostValid;

    public int ChunkSize { get; }

    public IlgpuSignatureVerifier(Accelerator accelerator, int chunkSize = 1 << 16, ILogger? logger = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        ChunkSize = chunkSize;
        accelerator.Bind();
        _kernels = VerifyKernelSet.For(accelerator, logger);
        _streams = new AcceleratorStream[Streams];
        for (int s = 0; s < Streams; s++)
            _streams[s] = accelerator.CreateStream();
        _arena = new(accelerator);
        _jobs = new(accelerator);
        _scratch = new GrowableBuffer<GeCached>[Streams];
        for (int s = 0; s < Streams; s++)
            _scratch[s] = new(accelerator);
        _valid = new(accelerator);
        _hostArena = new(accelerator);
        _hostJobs = new(accelerator);
        _hostValid = new(accelerator);
    }

    public void Verify(ReadOnlySpan<byte> arena, ReadOnlySpan<SignatureJob> jobs, Span<bool> valid) =>
        Verify(arena, null, jobs, valid);

    /// <summary>As <see cref="Verify(ReadOnlySpan{byte}, ReadOnlySpan{SignatureJob}, Span{bool})"/> over an arena already on the device (a block uploaded once): only the jobs travel.</summary>
    internal void Verify(DeviceArena arena, ReadOnlySpan<SignatureJob> jobs, Span<bool> valid)
    {
        ArgumentNullException.ThrowIfNull(arena);
        Verify([], arena, jobs, valid);
    }

    /// <summary>
    /// Allocates the device and page-locked buffers for a call with <paramref name="arenaBytes"/> of
    /// arena and <paramref name="jobs"/> signatures now, so that the call itself measures only the
    /// transfers and the kernels.
    /// </summary>
    public void Reserve(int arenaBytes, int jobs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(arenaBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(jobs);
        _kernels.Accelerator.Bind();
        _hostJobs.Get(jobs);
        _jobs.Get(jobs);
        _valid.Get(jobs);
        _hostValid.Get(jobs);
        _hostArena.Get(arenaBytes);
        _arena.Get(arenaBytes);
        int chunk = Math.Min(ChunkSize, Math.Max(1, jobs));
        foreach (var s in _scratch)
            s.Get((long)chunk * Ed25519Kernels.ScratchPerItem);
    }

    private void Verify(ReadOnlySpan<byte> arena, DeviceArena? resident, ReadOnlySpan<SignatureJob> jobs, Span<bool> valid)
    {
        _kernels.Accelerator.Bind();
        int arenaLength = resident?.Length ?? arena.Length;
        SignatureJobs.CheckRanges(jobs, arenaLength, valid.Length);
        if (jobs.Length == 0)
            return;
        int total = jobs.Length;
        int chunk = Math.Min(ChunkSize, total);
        int chunks = (total + chunk - 1) / chunk;

        // Host staging in page-locked memory (a memcpy), so the uploads below are asynchronous DMA.
        var hostJobs = _hostJobs.Get(total);
        HostCopy.Copy(jobs, hostJobs.Span);
        var jobView = _jobs.Get(total);
        var validView = _valid.Get(total);
        ArrayView<byte> arenaView;
        long[]? ends = null;
        PageLockedArray1D<byte>? hostArena = null;
        if (resident is not null)
        {
            arenaView = resident.View;
        }
        else
        {
            hostArena = _hostArena.Get(Math.Max(1, arena.Length));
            HostCopy.Copy(arena, hostArena.Span);
            arenaView = _arena.Get(Math.Max(1, arena.Length));
            // Chunk k needs the arena bytes its jobs point at. When those ranges follow each other (a
            // block's records in order), chunk k uploads the arena from where chunk k-1's range ended
            // on its own stream; otherwise the whole arena goes first and every stream waits for it.
            ends = ArenaSplit(jobs, chunk, chunks, arena.Length);
        }
        if (hostArena is not null && ends is null && arena.Length > 0)
        {
            HostTransfers.Upload(arenaView.SubView(0, arena.Length), _streams[0], hostArena, 0);
            _streams[0].Synchronize();
        }
        long uploaded = 0;
        for (int k = 0; k < chunks; k++)
        {
            var stream = _streams[k % Streams];
            int from = k * chunk, n = Math.Min(chunk, total - from);
            if (hostArena is not null && ends is not null && ends[k] > uploaded)
            {
                HostTransfers.Upload(arenaView.SubView(uploaded, ends[k] - uploaded), stream, hostArena, uploaded);
                uploaded = ends[k];
            }
            var chunkJobs = jobView.SubView(from, n);
            HostTransfers.Upload(chunkJobs, stream, hostJobs, from);
            _kernels.Ed25519On(stream, n, arenaView, chunkJobs, _kernels.BaseTable.View, _kernels.Sha512K.View,
                _scratch[k % Streams].Get((long)n * Ed25519Kernels.ScratchPerItem), validView.SubView(from, n));
        }
        foreach (var s in _streams)
            s.Synchronize();

        var hostValid = _hostValid.Get(total);
        HostTransfers.Download(validView.SubView(0, total), _streams[0], hostValid, 0);
        _streams[0].Synchronize();
        var verdicts = hostValid.Span;
        for (int i = 0; i < total; i++)
            valid[i] = verdicts[i] != 0;
    }

    /// <summary>
    /// The arena offset each chunk's upload must reach (a partition of [0, arena length) in chunk
    /// order), or null when some chunk's jobs point below the previous chunk's range.
    /// </summary>
    private static long[]? ArenaSplit(ReadOnlySpan<SignatureJob> jobs, int chunk, int chunks, int arenaLength)
    {
        var ends = new long[chunks];
        long previousEnd = 0;
        for (int k = 0; k < chunks; k++)
        {
            int from = k * chunk, to = Math.Min(jobs.Length, from + chunk);
            long lo = long.MaxValue, hi = previousEnd;
            for (int i = from; i < to; i++)
            {
                var j = jobs[i];
                if (j.PublicKeyOffset < 0 || j.SignatureOffset < 0 || j.MessageOffset < 0 || j.MessageLength < 0)
                    continue; // invalid jobs read nothing
                lo = Math.Min(lo, Math.Min(j.MessageOffset, Math.Min(j.PublicKeyOffset, j.SignatureOffset)));
                hi = Math.Max(hi, Math.Max((long)j.MessageOffset + j.MessageLength, Math.Max(j.PublicKeyOffset + 32L, j.SignatureOffset + 64L)));
            }
            if (lo < previousEnd)
                return null;
            ends[k] = hi;
            previousEnd = hi;
        }
        ends[chunks - 1] = arenaLength;
        return ends;
    }

    public void Dispose()
    {
        if (!_kernels.Accelerator.IsDisposed)
            _kernels.Accelerator.Bind();
        _arena.Dispose();
        _jobs.Dispose();
        foreach (var s in _scratch)
            s.Dispose();
        _valid.Dispose();
        _hostArena.Dispose();
        _hostJobs.Dispose();
        _hostValid.Dispose();
        foreach (var s in _streams)
            s.Dispose();
    }
}
