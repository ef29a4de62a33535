using GpuExec.Engine.Devices;
using GpuExec.Engine.Verify;
using ILGPU.Runtime;

namespace GpuExec.Kernels.Tests;

/// <summary>
/// One accelerator per test process and backend, with its verifier and hasher (kernels compile
/// once). Tests are written against this abstract fixture and run per backend: ILGPU's CPU
/// accelerator always, CUDA when a device exists (otherwise the tests skip), OpenCL on pocl in
/// tests/GpuExec.NativeDrivers.Tests.
/// </summary>
public abstract class AcceleratorFixture : IDisposable
{
    private readonly ComputeDevice? _device;
    private IlgpuSignatureVerifier? _verifier;
    private IlgpuHasher? _hasher;

    protected AcceleratorFixture(DeviceKind kind) : this(kind, () => ComputeDevice.Open(kind))
    {
    }

    /// <summary>A fixture whose device <paramref name="open"/> opens (null, or a <see cref="DeviceUnavailableException"/>: the tests skip saying why).</summary>
    protected AcceleratorFixture(DeviceKind kind, Func<ComputeDevice?> open, string? skipReason = null)
    {
        Kind = kind;
        SkipReason = skipReason;
        if (skipReason is not null)
            return;
        try
        {
            _device = open();
            if (_device is null)
                SkipReason = $"no {kind.ToName()} device";
        }
        catch (DeviceUnavailableException ex)
        {
            SkipReason = ex.Message;
        }
    }

    public DeviceKind Kind { get; }

    /// <summary>Why the backend's tests skip; null when the accelerator is there.</summary>
    public string? SkipReason { get; }

    /// <summary>True on the slow CPU emulator: tests use subsets there.</summary>
    public bool IsEmulator => Kind == DeviceKind.IlgpuCpu;

    public Accelerator Accelerator
    {
        get
        {
            if (SkipReason is not null)
                Assert.Skip(SkipReason);
            return _device!.RequireAccelerator();
        }
    }

    /// <summary>The device the accelerator belongs to (skips as <see cref="Accelerator"/> does).</summary>
    public ComputeDevice Device
    {
        get
        {
            _ = Accelerator;
            return _device!;
        }
    }

    internal IlgpuSignatureVerifier Verifier => _verifier ??= new IlgpuSignatureVerifier(Accelerator, chunkSize: 4096);

    internal IlgpuHasher Hasher => _hasher ??= new IlgpuHasher(Accelerator);

    public void Dispose()
    {
        _verifier?.Dispose();
        _hasher?.Dispose();
        _device?.Dispose();
        GC.SuppressFinalize(this);
    }
}

public sealed class IlgpuCpuFixture() : AcceleratorFixture(DeviceKind.IlgpuCpu);

public sealed class CudaFixture() : AcceleratorFixture(DeviceKind.Cuda);

[CollectionDefinition("ilgpu-cpu")]
public sealed class IlgpuCpuCollection : ICollectionFixture<IlgpuCpuFixture>;

[CollectionDefinition("cuda")]
public sealed class CudaCollection : ICollectionFixture<CudaFixture>;
