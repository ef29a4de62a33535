using GpuExec.Kernels.Verify;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GpuExec.Engine.Devices;

/// <summary>
/// The accelerator the whole engine shares: an ILGPU context (with the algorithms library) and
/// one accelerator, or none for <see cref="DeviceKind.Cpu"/>. Open it once per process; kernels
/// loaded on it are cached by the launchers that use it.
/// </summary>
public sealed partial class ComputeDevice : IDisposable
{
    /// <summary>The kind that was asked for (possibly <see cref="DeviceKind.Auto"/>).</summary>
    public DeviceKind Requested { get; }

    /// <summary>The kind in use: never <see cref="DeviceKind.Auto"/>.</summary>
    public DeviceKind Kind { get; }

    /// <summary>The ILGPU context; null for <see cref="DeviceKind.Cpu"/>.</summary>
    internal Context? Context { get; }

    /// <summary>The ILGPU accelerator; null for <see cref="DeviceKind.Cpu"/>.</summary>
    internal Accelerator? Accelerator { get; }

    /// <summary>Name, memory and compute units of the device in use.</summary>
    public DeviceInfo Info { get; }

    /// <summary>Why <see cref="DeviceKind.Auto"/> chose <see cref="Kind"/>, in words; null for a kind asked for by name.</summary>
    internal string? ChoiceReason { get; private set; }

    private ComputeDevice(DeviceKind requested, DeviceKind kind, Context? context, Accelerator? accelerator)
    {
        Requested = requested;
        Kind = kind;
        Context = context;
        Accelerator = accelerator;
        Info = accelerator is null ? HostInfo() : Describe(kind, accelerator.Device);
    }

    /// <summary>The accelerator, or an exception if this device runs without ILGPU.</summary>
    internal Accelerator RequireAccelerator() =>
        Accelerator ?? throw new InvalidOperationException("the 'cpu' device has no ILGPU accelerator");

    /// <summary>
    /// Opens <paramref name="kind"/>. An explicit kind that is missing throws
    /// <see cref="DeviceUnavailableException"/>; <see cref="DeviceKind.Auto"/> tries CUDA, then
    /// OpenCL, then falls back to <see cref="DeviceKind.Cpu"/>, logging what it chose and why.
    /// </summary>
    public static ComputeDevice Open(DeviceKind kind, ILogger? logger = null)
    {
        logger ??= NullLogger.Instance;
        var dev = OpenUnloaded(kind, logger);
        if (dev.Accelerator is { } acc)
            WarmUp(acc, logger);
        return dev;
    }

    /// <summary>
    /// Loads every verify, hash and conflict kernel on <paramref name="acc"/> now (logged once), so
    /// that the ILGPU compile and the driver's JIT are not paid by the first block. A kernel that
    /// fails to load is logged and fails again, with its error, where it is first used.
    /// </summary>
    private static void WarmUp(Accelerator acc, ILogger logger)
    {
        try
        {
            Verify.VerifyKernelSet.For(acc, logger);
            Conflicts.IlgpuConflictDetector.WarmUp(acc);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogWarmUpFailed(logger, acc.Name, ex.Message);
        }
    }

    /// <summary>
    /// Throws <see cref="DeviceUnavailableException"/> unless <paramref name="kind"/> can be opened,
    /// without loading its kernels (for callers that only need to know the device is there).
    /// </summary>
    internal static void EnsureAvailable(DeviceKind kind) => OpenUnloaded(kind, NullLogger.Instance).Dispose();

    private static ComputeDevice OpenUnloaded(DeviceKind kind, ILogger logger)
    {
        switch (kind)
        {
            case DeviceKind.Cpu:
                return new ComputeDevice(kind, DeviceKind.Cpu, null, null);
            case DeviceKind.IlgpuCpu:
            {
                var context = CreateContext();
                return new ComputeDevice(kind, DeviceKind.IlgpuCpu, context, context.CreateCPUAccelerator(0));
            }
            case DeviceKind.Cuda:
            case DeviceKind.OpenCl:
                // An explicit device that fails says why: the probe's own error is the useful part.
                return OpenGpu(kind, kind, logger, out string? failure) ?? throw new DeviceUnavailableException(kind,
                    (kind == DeviceKind.Cuda ? "no CUDA device found (driver missing or no NVIDIA GPU)" : "no OpenCL GPU device found")
                    + (failure is null ? "" : ": " + failure));
            case DeviceKind.Auto:
            {
                var dev = OpenGpu(DeviceKind.Cuda, kind, logger, out _) ?? OpenGpu(DeviceKind.OpenCl, kind, logger, out _);
                if (dev is not null)
                {
                    const string first = "first GPU found (CUDA preferred over OpenCL)";
                    LogChose(logger, dev.Kind.ToName(), dev.Info.Name, first);
                    dev.ChoiceReason = first;
                    return dev;
                }
                string none = NoGpuReason();
                LogChose(logger, "cpu", Environment.ProcessorCount + " cores", none);
                return new ComputeDevice(kind, DeviceKind.Cpu, null, null) { ChoiceReason = none };
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    private static Context CreateContext() => Context.Create(b => b.Default().EnableAlgorithms());

    private static ComputeDevice? OpenGpu(DeviceKind gpu, DeviceKind requested, ILogger logger, out string? failure)
    {
        failure = null;
        Context? context = null;
        try
        {
            context = CreateContext();
            Device? device = null;
            if (gpu == DeviceKind.Cuda)
            {
                foreach (var d in context.GetCudaDevices())
                {
                    device = d;
                    break;
                }
            }
            else
            {
                foreach (var d in context.GetCLDevices())
                {
                    device = d;
                    break;
                }
            }
            if (device is null)
            {
                context.Dispose();
                return null;
            }
            return new ComputeDevice(requested, gpu, context, device.CreateAccelerator(context));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogProbeFailed(logger, gpu.ToName(), ex.Message);
            failure = $"{ex.GetType().Name}: {ex.Message}";
            context?.Dispose();
            return null;
        }
    }

    /// <summary>Every device this machine offers: the plain CPU, ILGPU's CPU accelerator, CUDA and OpenCL GPUs.</summary>
    public static IReadOnlyList<DeviceInfo> List()
    {
        var list = new List<DeviceInfo> { HostInfo() };
        try
        {
            using var context = CreateContext();
            foreach (var d in context.GetCPUDevices())
                list.Add(Describe(DeviceKind.IlgpuCpu, d));
            foreach (var d in context.GetCudaDevices())
                list.Add(Describe(DeviceKind.Cuda, d));
            foreach (var d in context.GetCLDevices())
                list.Add(Describe(DeviceKind.OpenCl, d));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // No ILGPU runtime at all: the plain CPU is still there.
            list.Add(new DeviceInfo(DeviceKind.IlgpuCpu, "unavailable: " + ex.Message, 0, 0, 0));
        }
        return list;
    }

    private static DeviceInfo HostInfo() => new(
        DeviceKind.Cpu,
        System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture + " host (SIMD or libsodium verification, SIMD SHA-256)",
        GC.GetGCMemoryInfo().TotalAvailableMemoryBytes,
        Environment.ProcessorCount,
        1);

    private static DeviceInfo Describe(DeviceKind kind, Device d) =>
        // ILGPU's CPU accelerator reports an unbounded memory size: show the host's instead.
        new(kind, d.Name, kind == DeviceKind.IlgpuCpu ? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes : d.MemorySize,
            d.NumMultiprocessors, d.WarpSize);

    /// <summary>Closes the accelerator and the ILGPU context (nothing for <see cref="DeviceKind.Cpu"/>).</summary>
    public void Dispose()
    {
        Accelerator?.Dispose();
        Context?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "device auto: chose {Device} ({Name}) because {Reason}")]
    private static partial void LogChose(ILogger logger, string device, string name, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "loading the kernels on {Device} failed: {Error}")]
    private static partial void LogWarmUpFailed(ILogger logger, string device, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "device probe for {Device} failed: {Error}")]
    private static partial void LogProbeFailed(ILogger logger, string device, string error);
}
