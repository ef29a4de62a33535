using GpuExec.Engine.Devices;
using GpuExec.Engine.Verify;
using ILGPU.Runtime;

namespace GpuExec.Kernels.Tests;

/// <summary>
/// One accelerator per test process and backend, with its verifier and hasher (kernels compile
/// once). Tests are written against this abstract fixture and run per backend: ILGPU's CPU
/// accelerator always, CUDA when a device exists (otherwise the tests skip).
/// </summary>
public abstract class AcceleratorFixture : IDisposable
{
    private readonly ComputeDevice? _device;
    private IlgpuSignatureVerifier? _verifier;
    private IlgpuHasher? _hasher;

    protected AcceleratorFixture(DeviceKind kind)
    {
        Kind = kind;
        try
        {
            _device = ComputeDevice.Open(kind);
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
