using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using GpuExec.Engine.Devices;
using GpuExec.Kernels.Tests;

namespace GpuExec.NativeDrivers.Tests;

/// <summary>
/// pocl through the test-only OpenCL shim (<c>Native/opencl-shim.c</c>): in this process ILGPU's
/// OpenCL calls go to the shim (the resolver is set before any test runs), and child processes get
/// it first on their library path, named <c>libOpenCL.so</c> as the engine looks for it.
/// </summary>
internal static unsafe class Pocl
{
    private static readonly Lazy<(string? Dir, string? Why)> Built = new(() =>
    {
        string? dir = NativeBuild.Build("opencl-shim.c", "libOpenCL.so", ["-Wl,--no-as-needed", "-l:libOpenCL.so.1", "-ldl"], out string? why);
        return (dir, why is null ? null : why + " (the OpenCL loader is Debian's ocl-icd-libopencl1, pocl is pocl-opencl-icd; .ci/run installs both)");
    });

    /// <summary>The folder holding the shim as <c>libOpenCL.so</c>, or null (see <see cref="BuildFailure"/>).</summary>
    public static string? ShimDir => Built.Value.Dir;

    /// <summary>Why the shim could not be built, or null.</summary>
    public static string? BuildFailure => Built.Value.Why;

    private static IntPtr _shim;

    // The resolver .NET allows per assembly is set for ILGPU before a test can touch OpenCL, so that
    // no OpenCL call of this process bypasses the shim; the engine then keeps it (it sets its own
    // only where none is set). Other libraries are looked up as the engine would.
    [ModuleInitializer]
#pragma warning disable CA2255 // A test assembly's start-up is the one place to set it before ILGPU runs.
    internal static void RouteOpenClThroughTheShim()
#pragma warning restore CA2255
    {
        if (!OperatingSystem.IsLinux())
            return;
        NativeLibrary.SetDllImportResolver(typeof(ILGPU.Context).Assembly, Resolve);
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name == "OpenCL" && ShimDir is { } dir)
            return _shim = NativeLibrary.Load(Path.Combine(dir, "libOpenCL.so"));
        return DriverLibraries.Load(DriverLibraries.Candidates(name), out _);
    }

    /// <summary>Makes the shim report pocl's device as what it is (a CPU device), or as a GPU (its default).</summary>
    public static void ReportGpu(bool on)
    {
        var f = (delegate* unmanaged<int, void>)NativeLibrary.GetExport(Shim(), "gpuexec_shim_set_report_gpu");
        f(on ? 1 : 0);
    }

    /// <summary>How many OpenCL programs the shim has rewritten for pocl in this process.</summary>
    public static uint RewrittenPrograms() => ((delegate* unmanaged<uint>)NativeLibrary.GetExport(Shim(), "gpuexec_shim_rewritten_programs"))();

    private static IntPtr Shim() => _shim != IntPtr.Zero ? _shim
        : throw new InvalidOperationException("the shim is not loaded: no OpenCL call has been made in this process");

    /// <summary>
    /// Opens pocl's device through the shim, with only the signature and hash kernels loaded: pocl
    /// 3.1 lacks the work-group functions ILGPU.Algorithms' radix sort and scans compile to, so the
    /// conflict kernels are loaded and run on their own (<see cref="PoclConflictKernelTests"/>).
    /// </summary>
    public static ComputeDevice Open()
    {
        if (BuildFailure is { } why)
            throw new DeviceUnavailableException(DeviceKind.OpenCl, why);
        uint before = _shim == IntPtr.Zero ? 0 : RewrittenPrograms();
        ComputeDevice dev;
        try
        {
            dev = ComputeDevice.Open(DeviceKind.OpenCl, null, ComputeDevice.DeviceKernels.Verify);
        }
        catch (DeviceUnavailableException ex)
        {
            const string prefix = "device 'opencl' is not available on this machine: ";
            string detail = ex.Message.StartsWith(prefix, StringComparison.Ordinal) ? ex.Message[prefix.Length..] : ex.Message;
            throw new DeviceUnavailableException(DeviceKind.OpenCl, "pocl (pocl-opencl-icd) offers no device through the shim: " + detail, ex);
        }
        if (_shim == IntPtr.Zero || RewrittenPrograms() == before)
        {
            string name = dev.Info.Name;
            dev.Dispose();
            throw new DeviceUnavailableException(DeviceKind.OpenCl, $"the OpenCL device {name} is not pocl: its kernels did not go through the shim");
        }
        return dev;
    }
}

/// <summary>pocl's device for the shared kernel tests.</summary>
public sealed class PoclFixture() : AcceleratorFixture(DeviceKind.OpenCl, Pocl.Open);

[CollectionDefinition(Name)]
public sealed class PoclCollection : ICollectionFixture<PoclFixture>
{
    /// <summary>Every test that compiles kernels on pocl: one at a time, so they share pocl's cache instead of compiling side by side.</summary>
    public const string Name = "pocl";
}

[Collection(PoclCollection.Name), Trait("Category", "CompiledKernels")]
public sealed class Ed25519KernelTestsPocl(PoclFixture f) : Ed25519KernelTests(f);

[Collection(PoclCollection.Name), Trait("Category", "CompiledKernels")]
public sealed class HashKernelTestsPocl(PoclFixture f) : HashKernelTests(f);
