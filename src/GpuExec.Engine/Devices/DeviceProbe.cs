using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace GpuExec.Engine.Devices;

/// <summary>What probing one device kind found: how many devices, and in words what was looked for or why there is none.</summary>
/// <param name="Kind">The kind probed.</param>
/// <param name="Found">Devices of that kind found (0: absent).</param>
/// <param name="Detail">What was probed and, for an absent kind, why it is absent.</param>
internal readonly record struct DeviceProbe(DeviceKind Kind, int Found, string Detail);

public sealed partial class ComputeDevice
{
    private static readonly string[] CudaLibraries = OperatingSystem.IsWindows() ? ["nvcuda.dll"] : ["libcuda.so.1", "libcuda.so"];

    private static readonly string[] OpenClLibraries = OperatingSystem.IsWindows() ? ["OpenCL.dll"]
        : OperatingSystem.IsMacOS() ? ["/System/Library/Frameworks/OpenCL.framework/OpenCL"] : ["libOpenCL.so.1", "libOpenCL.so"];

    /// <summary>
    /// Probes every kind <c>--device</c> can name: the host (always there), ILGPU's CPU accelerator,
    /// CUDA (its driver library, then ILGPU's device list) and OpenCL (its loader library, then
    /// ILGPU's list), saying for each absent kind why.
    /// </summary>
    internal static IReadOnlyList<DeviceProbe> Probe()
    {
        var probes = new List<DeviceProbe> { new(DeviceKind.Cpu, 1, $"the host's {Environment.ProcessorCount} cores, always present") };
        string? cudaLibrary = FirstLoadable(CudaLibraries), openClLibrary = FirstLoadable(OpenClLibraries);
        Context? context = null;
        try
        {
            context = CreateContext();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            string why = $"the ILGPU runtime failed to start: {ex.GetType().Name}: {ex.Message}";
            probes.Add(new(DeviceKind.IlgpuCpu, 0, why));
            probes.Add(new(DeviceKind.Cuda, 0, why));
            probes.Add(new(DeviceKind.OpenCl, 0, why));
            return probes;
        }
        using (context)
        {
            int cpus = 0;
            foreach (var _ in context.GetCPUDevices()) cpus++;
            probes.Add(new(DeviceKind.IlgpuCpu, cpus, cpus > 0 ? "ILGPU's CPU accelerator (an emulator, for correctness, not speed)" : "ILGPU listed no CPU accelerator"));
            int cuda = 0;
            foreach (var _ in context.GetCudaDevices()) cuda++;
            probes.Add(new(DeviceKind.Cuda, cuda,
                cuda > 0 ? $"ILGPU's CUDA devices, through the driver library {cudaLibrary ?? "(found by ILGPU)"}"
                : cudaLibrary is null ? $"the CUDA driver library ({string.Join(" or ", CudaLibraries)}) could not be loaded: no NVIDIA driver is installed"
                : $"the CUDA driver library {cudaLibrary} loaded, but ILGPU found no CUDA device (no NVIDIA GPU visible, or a driver ILGPU cannot use)"));
            int cl = 0;
            foreach (var _ in context.GetCLDevices()) cl++;
            probes.Add(new(DeviceKind.OpenCl, cl,
                cl > 0 ? $"ILGPU's OpenCL devices, through {openClLibrary ?? "the OpenCL loader"}"
                : openClLibrary is null ? $"the OpenCL loader library ({string.Join(" or ", OpenClLibraries)}) could not be loaded: no OpenCL runtime is installed"
                : $"the OpenCL loader {openClLibrary} loaded, but ILGPU found no OpenCL device it supports (no platform installed, or none with a GPU)"));
        }
        return probes;
    }

    /// <summary>Why <see cref="DeviceKind.Auto"/> found no GPU: the CUDA and OpenCL probes' words.</summary>
    private static string NoGpuReason()
    {
        try
        {
            var probes = Probe();
            return "no CUDA or OpenCL GPU found (" + string.Join("; ", probes.Where(p => p.Kind is DeviceKind.Cuda or DeviceKind.OpenCl).Select(p => $"{p.Kind.ToName()}: {p.Detail}")) + ")";
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return "no CUDA or OpenCL GPU found";
        }
    }

    private static string? FirstLoadable(string[] names)
    {
        foreach (var name in names)
        {
            if (NativeLibrary.TryLoad(name, out var handle))
            {
                NativeLibrary.Free(handle);
                return name;
            }
        }
        return null;
    }
}
