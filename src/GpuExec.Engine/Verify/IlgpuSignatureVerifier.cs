using GpuExec.Kernels.Verify;
using ILGPU;
using ILGPU.Runtime;

namespace GpuExec.Engine.Verify;

/// <summary>
/// Ed25519 on an ILGPU accelerator: the arena is copied once, the jobs go through in chunks of
/// <see cref="ChunkSize"/> (device buffers are reused and grown as needed; the kernel is loaded
/// once per accelerator by <see cref="VerifyKernelSet"/>). Not thread-safe: one verifier per stream of work.
/// </summary>
public sealed class IlgpuSignatureVerifier : ISignatureVerifier, IDisposable
{
    private readonly VerifyKernelSet _kernels;
    private readonly GrowableBuffer<byte> _arena;
    private readonly GrowableBuffer<SignatureJob> _jobs;
    private readonly GrowableBuffer<GeCached> _scratch;
    private readonly GrowableBuffer<int> _valid;
    private int[] _hostValid = [];

    public int ChunkSize { get; }

    public IlgpuSignatureVerifier(Accelerator accelerator, int chunkSize = 1 << 16)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        ChunkSize = chunkSize;
        _kernels = VerifyKernelSet.For(accelerator);
        _arena = new(accelerator);
        _jobs = new(accelerator);
        _scratch = new(accelerator);
        _valid = new(accelerator);
    }

    public void Verify(ReadOnlySpan<byte> arena, ReadOnlySpan<SignatureJob> jobs, Span<bool> valid)
    {
        SignatureJobs.CheckRanges(jobs, arena.Length, valid.Length);
        if (jobs.Length == 0)
            return;
        var acc = _kernels.Accelerator;
        var arenaView = _arena.Get(arena.Length);
        if (arena.Length > 0)
            arenaView.SubView(0, arena.Length).CopyFromCPU(arena);
        int chunk = Math.Min(ChunkSize, jobs.Length);
        if (_hostValid.Length < chunk)
            _hostValid = new int[chunk];
        var kernel = _kernels.Ed25519;
        for (int from = 0; from < jobs.Length; from += chunk)
        {
            int n = Math.Min(chunk, jobs.Length - from);
            var jobView = _jobs.Get(n);
            jobView.SubView(0, n).CopyFromCPU(jobs.Slice(from, n));
            var validView = _valid.Get(n);
            kernel(n, arenaView, jobView.SubView(0, n), _kernels.BaseTable.View, _kernels.Sha512K.View,
                   _scratch.Get((long)n * Ed25519Kernels.ScratchPerItem), validView.SubView(0, n));
            acc.Synchronize();
            validView.SubView(0, n).CopyToCPU(_hostValid.AsSpan(0, n));
            for (int i = 0; i < n; i++)
                valid[from + i] = _hostValid[i] != 0;
        }
    }

    public void Dispose()
    {
        _arena.Dispose();
        _jobs.Dispose();
        _scratch.Dispose();
        _valid.Dispose();
    }
}
