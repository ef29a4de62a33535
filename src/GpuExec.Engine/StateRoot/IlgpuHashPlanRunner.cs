using System.Runtime.InteropServices;
using GpuExec.Commitments;
using GpuExec.Engine.Devices;
using GpuExec.Kernels.StateRoot;
using GpuExec.Kernels.Verify;
using ILGPU;
using ILGPU.Runtime;

namespace GpuExec.Engine.StateRoot;

/// <summary>
/// Runs the state tree's <see cref="HashPlan"/> on an ILGPU accelerator: one upload of the value
/// slots (the changed leaves' keys and value hashes, the unchanged siblings' hashes) and of every
/// wave's jobs, one launch of <see cref="StateRootKernels.Wave"/> per wave from the leaves up to
/// depth 0, and one read-back of the slots, which hold the new leaf hashes, the nodes the host
/// keeps and the root. The kernel is loaded once per runner. Not thread-safe.
/// </summary>
internal sealed class IlgpuHashPlanRunner : IHashPlanRunner, IDisposable
{
    private readonly Accelerator _accelerator;
    private readonly Action<Index1D, ArrayView<byte>, ArrayView<TreeJob>, int, ArrayView<uint>> _wave;
    private readonly MemoryBuffer1D<uint, Stride1D.Dense> _k;
    private readonly GrowableBuffer<byte> _values;
    private readonly GrowableBuffer<TreeJob> _jobs;
    private TreeJob[] _staging = [];

    public IlgpuHashPlanRunner(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        _accelerator = accelerator;
        accelerator.Bind();
        _wave = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<TreeJob>, int, ArrayView<uint>>(StateRootKernels.Wave);
        _k = accelerator.Allocate1D(Sha256State.RoundConstants());
        _values = new GrowableBuffer<byte>(accelerator);
        _jobs = new GrowableBuffer<TreeJob>(accelerator);
    }

    public void Run(HashPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.JobCount == 0) return;
        // A CUDA context is current per thread: the caller's thread may be new to it.
        _accelerator.Bind();
        // Waves in launch order, laid end to end: leaves, then depths from the deepest up.
        if (_staging.Length < plan.JobCount) _staging = new TreeJob[plan.JobCount + plan.JobCount / 4];
        var waves = new List<(int Start, int Count, int Prefix)>();
        int n = 0;
        for (int w = HashPlan.LeafWave; w >= 0; w--)
        {
            if (w < HashPlan.LeafWave && w > plan.DeepestWave) continue;
            var jobs = MemoryMarshal.Cast<TreeHashJob, TreeJob>(plan.Wave(w));
            if (jobs.Length == 0) continue;
            jobs.CopyTo(_staging.AsSpan(n));
            waves.Add((n, jobs.Length, w == HashPlan.LeafWave ? 0 : 1));
            n += jobs.Length;
        }
        long bytes = 32L * plan.SlotCount;
        var values = _values.Get(bytes);
        values.SubView(0, bytes).CopyFromCPU(plan.Values.AsSpan(0, (int)bytes));
        var jobsView = _jobs.Get(n);
        jobsView.SubView(0, n).CopyFromCPU(_staging.AsSpan(0, n));
        foreach (var (start, count, prefix) in waves)
            _wave(count, values, jobsView.SubView(start, count), prefix, _k.View);
        _accelerator.Synchronize();
        values.SubView(0, bytes).CopyToCPU(plan.Values.AsSpan(0, (int)bytes));
    }

    public void Dispose()
    {
        _values.Dispose();
        _jobs.Dispose();
        _k.Dispose();
    }
}
