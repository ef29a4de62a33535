using ILGPU.Runtime;

namespace GpuExec.Engine.Conflicts;

/// <summary>
/// Conflict detection on the device the executor was given: the ILGPU kernels when an
/// accelerator is passed, the same algorithm in plain C# (<see cref="CpuConflictDetector"/>) when
/// it is null. Both return the same <see cref="ConflictGraph"/> for the same access sets.
/// Not thread-safe (it reuses buffers).
/// </summary>
internal sealed class ConflictDetector : IDisposable
{
    private readonly CpuConflictDetector? _cpu;
    private readonly IlgpuConflictDetector? _gpu;

    /// <param name="accelerator">An accelerator whose context has algorithms enabled, or null for the plain CPU path.</param>
    public ConflictDetector(Accelerator? accelerator)
    {
        if (accelerator is null) _cpu = new CpuConflictDetector();
        else _gpu = new IlgpuConflictDetector(accelerator);
    }

    /// <summary>True when detection runs as ILGPU kernels.</summary>
    public bool UsesAccelerator => _gpu is not null;

    public ConflictGraph Detect(AccessSets sets) => _gpu is not null ? _gpu.Detect(sets) : _cpu!.Detect(sets);

    public void Dispose() => _gpu?.Dispose();
}
