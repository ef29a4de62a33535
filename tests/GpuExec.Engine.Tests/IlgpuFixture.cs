using GpuExec.Engine.Devices;
using ILGPU.Runtime;

namespace GpuExec.Engine.Tests;

/// <summary>
/// ILGPU's CPU accelerator (a GPU emulator: correct, slow), opened as the pipeline opens it, once for
/// the whole test run: loading kernels on it compiles them, so pipelines share it. Tests that use it
/// belong to the <see cref="IlgpuCollection"/>, so they never share the accelerator concurrently.
/// </summary>
public sealed class IlgpuFixture : IDisposable
{
    public ComputeDevice Device { get; } = ComputeDevice.Open(DeviceKind.IlgpuCpu);

    public Accelerator Accelerator => Device.Accelerator!;

    public void Dispose() => Device.Dispose();
}

[CollectionDefinition(Name)]
public sealed class IlgpuCollection : ICollectionFixture<IlgpuFixture>
{
    public const string Name = "ilgpu";
}
