using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;

namespace GpuExec.Engine.Tests;

/// <summary>
/// One ILGPU context with algorithms enabled and its CPU accelerator (a GPU emulator: correct,
/// slow) for the whole test run. Tests that use it belong to the <see cref="IlgpuCollection"/>,
/// so they never share the accelerator concurrently. A CUDA fixture can supply a GPU the same way.
/// </summary>
public sealed class IlgpuFixture : IDisposable
{
    public IlgpuFixture()
    {
        Context = Context.Create(b => b.CPU().EnableAlgorithms());
        Accelerator = Context.CreateCPUAccelerator(0);
    }

    public Context Context { get; }
    public Accelerator Accelerator { get; }

    public void Dispose()
    {
        Accelerator.Dispose();
        Context.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class IlgpuCollection : ICollectionFixture<IlgpuFixture>
{
    public const string Name = "ilgpu";
}
