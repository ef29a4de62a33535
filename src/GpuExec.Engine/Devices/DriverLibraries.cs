using System.Reflection;
using System.Runtime.InteropServices;

namespace GpuExec.Engine.Devices;

/// <summary>
/// Finds the GPU driver libraries for ILGPU and says why a driver gave no device.
/// <para>
/// ILGPU imports the CUDA driver as <c>cuda</c> and the OpenCL loader as <c>OpenCL</c>, which .NET
/// looks for on Linux as <c>libcuda.so</c> and <c>libOpenCL.so</c>: the unversioned names only the
/// development packages install. A machine with the driver alone (a bare GPU machine, a container
/// with the driver mounted) has <c>libcuda.so.1</c> and <c>libOpenCL.so.1</c>, the names the
/// libraries are linked by. The resolver installed here tries the plain name, then the versioned
/// one, each through the dynamic loader's usual search.
/// </para>
/// </summary>
internal static class DriverLibraries
{
    private static int _installed;

    /// <summary>The names tried, in order, for a library ILGPU imports (empty: not one of the drivers).</summary>
    public static IReadOnlyList<string> Candidates(string libraryName) => libraryName switch
    {
        "cuda" => ["libcuda.so", "libcuda.so.1"],
        "OpenCL" => ["libOpenCL.so", "libOpenCL.so.1"],
        _ => [],
    };

    /// <summary>
    /// Installs the resolver for ILGPU's imports, once per process, before ILGPU first calls a driver.
    /// Not on WSL, where ILGPU installs its own (the driver lives in <c>/usr/lib/wsl/lib</c>), and not
    /// when the host application already set one for ILGPU: that one is kept.
    /// </summary>
    public static void Install()
    {
        if (Interlocked.Exchange(ref _installed, 1) == 1 || !OperatingSystem.IsLinux() || IsWsl())
            return;
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(ILGPU.Context).Assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // A resolver is already set for ILGPU's assembly; .NET allows one.
        }
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        Load(Candidates(libraryName), out _);

    /// <summary>The first of <paramref name="names"/> the dynamic loader can load (its handle and name), or zero.</summary>
    public static IntPtr Load(IEnumerable<string> names, out string? loaded)
    {
        foreach (string name in names)
        {
            if (NativeLibrary.TryLoad(name, out IntPtr handle))
            {
                loaded = name;
                return handle;
            }
        }
        loaded = null;
        return IntPtr.Zero;
    }

    // The test ILGPU makes before it installs its own resolver for WSL.
    private static bool IsWsl()
    {
        try
        {
            return Directory.Exists("/usr/lib/wsl/lib")
                && File.ReadAllText("/proc/version").Contains("Microsoft", StringComparison.OrdinalIgnoreCase);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private const int CudaErrorNoDevice = 100;

    /// <summary>
    /// Why ILGPU found no CUDA device, asked of the driver itself (ILGPU swallows the error): no
    /// driver library, <c>cuInit</c>'s error, or the driver's device count.
    /// <paramref name="failed"/> is true when a driver is there but fails (worth a warning), false
    /// when there is simply no driver or no device.
    /// </summary>
    public static unsafe string WhyNoCudaDevice(out bool failed)
    {
        failed = false;
        IntPtr lib = Load(Candidates("cuda"), out string? name);
        if (lib == IntPtr.Zero)
            return "no CUDA driver (the dynamic loader finds neither libcuda.so nor libcuda.so.1)";
        try
        {
            if (!NativeLibrary.TryGetExport(lib, "cuInit", out IntPtr init) || !NativeLibrary.TryGetExport(lib, "cuDeviceGetCount", out IntPtr count))
            {
                failed = true;
                return $"{name} is not a CUDA driver (no cuInit or cuDeviceGetCount)";
            }
            int rc = ((delegate* unmanaged<uint, int>)init)(0);
            if (rc != 0)
            {
                failed = rc != CudaErrorNoDevice;
                return $"the CUDA driver ({name}) failed to start: cuInit returned {ErrorName(lib, rc)}";
            }
            int n = 0;
            rc = ((delegate* unmanaged<int*, int>)count)(&n);
            if (rc != 0)
            {
                failed = true;
                return $"the CUDA driver ({name}) failed to count devices: cuDeviceGetCount returned {ErrorName(lib, rc)}";
            }
            if (n == 0)
                return $"the CUDA driver ({name}) reports no device";
            failed = true;
            return $"the CUDA driver ({name}) reports {n} device(s), none of an architecture and PTX version ILGPU knows";
        }
        finally
        {
            NativeLibrary.Free(lib);
        }
    }

    private static unsafe string ErrorName(IntPtr lib, int code)
    {
        if (NativeLibrary.TryGetExport(lib, "cuGetErrorName", out IntPtr f))
        {
            byte* text = null;
            if (((delegate* unmanaged<int, byte**, int>)f)(code, &text) == 0 && text != null)
                return $"{Marshal.PtrToStringUTF8((IntPtr)text)} ({code})";
        }
        return code.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Whether an OpenCL loader library can be loaded at all (for the reason given when there is no OpenCL device).</summary>
    public static bool HasOpenClLoader()
    {
        IntPtr lib = Load(Candidates("OpenCL"), out _);
        if (lib == IntPtr.Zero)
            return false;
        NativeLibrary.Free(lib);
        return true;
    }
}
