using GpuExec.Kernels.Offline;

namespace GpuExec.Kernels.Tests;

/// <summary>
/// Every kernel entry point compiles to PTX for sm_90 and to OpenCL C through ILGPU's own
/// backends, with no device: a change that breaks GPU code generation fails here, not on a GPU.
/// </summary>
public class KernelCodegenTests
{
    // The backend travels by name: KernelBackend is internal, and a theory's parameters are public.
    public static TheoryData<string, string> Kernels()
    {
        var data = new TheoryData<string, string>();
        foreach (var m in KernelCatalog.EntryPoints())
            foreach (var b in Enum.GetValues<KernelBackend>())
                data.Add(KernelCatalog.Name(m), b.ToString());
        return data;
    }

    [Fact]
    public void Entry_points_are_found_by_reflection()
    {
        var names = KernelCatalog.EntryPoints().Select(KernelCatalog.Name).ToList();
        Assert.Contains("Ed25519Kernels.Verify", names);
        Assert.Contains("HashKernels.Sha512", names);
        Assert.Contains("ConflictKernels.MarkBoundaries", names);
        Assert.Contains("StateRootKernels.Wave", names);
        Assert.DoesNotContain("Ed25519Kernels.VerifyOne", names);
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Kernel_compiles(string kernel, string backendName)
    {
        var backend = Enum.Parse<KernelBackend>(backendName);
        var method = KernelCatalog.EntryPoints().Single(m => KernelCatalog.Name(m) == kernel);
        using var context = KernelCatalog.CreateContext();
        using var be = KernelCatalog.CreateBackend(context, backend);
        string source = KernelCatalog.Compile(be, method);
        if (backend == KernelBackend.Ptx)
        {
            Assert.Contains(".entry ", source);
            Assert.Contains(".target sm_", source);
        }
        else
        {
            Assert.Contains("kernel void", source);
        }
    }
}
