using GpuExec.Kernels.Verify;
using System.Diagnostics;
using ILGPU;
using ILGPU.Backends.OpenCL;
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
    /// Opens <paramref name="kind"/> and loads every kernel on it. An explicit kind that is missing,
    /// or whose kernels fail to load, throws <see cref="DeviceUnavailableException"/> with the
    /// driver's reason; <see cref="DeviceKind.Auto"/> tries CUDA, then an OpenCL GPU, then falls back
    /// to <see cref="DeviceKind.Cpu"/>, logging what it chose and why (at warning when a driver or a
    /// device was there but failed).
    /// </summary>
    public static ComputeDevice Open(DeviceKind kind, ILogger? logger = null) => Open(kind, logger, DeviceKernels.All);

    /// <summary>
    /// As <see cref="Open(DeviceKind, ILogger?)"/>, loading only <paramref name="kernels"/> (a caller
    /// that only verifies signatures needs no conflict kernels); <paramref name="load"/> replaces the
    /// loading itself (tests make it fail).
    /// </summary>
    internal static ComputeDevice Open(DeviceKind kind, ILogger? logger, DeviceKernels kernels, Action<Accelerator, DeviceKernels, ILogger>? load = null)
    {
        logger ??= NullLogger.Instance;
        load ??= LoadKernels;
        if (kind == DeviceKind.Auto)
            return OpenAuto(logger, kernels, load);
        var dev = OpenUnloaded(kind, logger);
        if (dev.Accelerator is not { } acc || kernels == DeviceKernels.None)
            return dev;
        if (TryLoad(dev, acc, kernels, load, logger, out string? failure, out var error))
            return dev;
        throw new DeviceUnavailableException(kind, failure, error);
    }

    /// <summary>Which kernels a device opened for a caller must load.</summary>
    [Flags]
    internal enum DeviceKernels
    {
        None = 0,
        /// <summary>Signatures and hashes (<see cref="Verify.VerifyKernelSet"/>).</summary>
        Verify = 1,
        /// <summary>Conflict detection, with ILGPU.Algorithms' radix sort and scans.</summary>
        Conflicts = 2,
        All = Verify | Conflicts,
    }

    /// <summary>
    /// Loads <paramref name="kernels"/> on <paramref name="acc"/> now (logged once), so that the
    /// ILGPU compile and the driver's JIT are not paid by the first block.
    /// </summary>
    private static void LoadKernels(Accelerator acc, DeviceKernels kernels, ILogger logger)
    {
        if (kernels.HasFlag(DeviceKernels.Verify))
            Verify.VerifyKernelSet.For(acc, logger);
        if (kernels.HasFlag(DeviceKernels.Conflicts))
            Conflicts.IlgpuConflictDetector.WarmUp(acc);
    }

    /// <summary>
    /// Loads the kernels; on failure disposes <paramref name="dev"/> and says why, with the
    /// driver's build log when it wrote one (ILGPU hands OpenCL and CUDA build logs to
    /// <see cref="Trace"/> only).
    /// </summary>
    private static bool TryLoad(ComputeDevice dev, Accelerator acc, DeviceKernels kernels, Action<Accelerator, DeviceKernels, ILogger> load,
                                ILogger logger, out string? failure, out Exception? error)
    {
        using var log = new BuildLog();
        try
        {
            acc.Bind();
            load(acc, kernels, logger);
            failure = null;
            error = null;
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            string? buildError = log.FirstError();
            failure = $"loading the kernels on {dev.Info.Name} failed: {DriverError(ex)}"
                + (buildError is null ? "" : $" (build log: {buildError})");
            error = ex;
            LogLoadFailed(logger, dev.Kind.ToName(), failure);
            dev.Dispose();
            return false;
        }
    }

    /// <summary>An exception in words: ILGPU's OpenCL exception keeps its error code apart from a generic message.</summary>
    internal static string DriverError(Exception ex) => ex switch
    {
        CLException cl => $"OpenCL error {cl.Error}",
        CudaException cuda => $"CUDA error {cuda.Error}: {cuda.Message}",
        _ => $"{ex.GetType().Name}: {ex.Message}",
    };

    private static ComputeDevice OpenAuto(ILogger logger, DeviceKernels kernels, Action<Accelerator, DeviceKernels, ILogger> load)
    {
        var reasons = new List<string>();
        bool failed = false;
        foreach (var gpu in new[] { DeviceKind.Cuda, DeviceKind.OpenCl })
        {
            var dev = OpenGpu(gpu, DeviceKind.Auto, logger, out string? absent, out bool broken);
            if (dev is null)
            {
                reasons.Add($"{gpu.ToName()}: {absent}");
                failed |= broken;
                continue;
            }
            if (kernels == DeviceKernels.None || TryLoad(dev, dev.RequireAccelerator(), kernels, load, logger, out string? failure, out _))
            {
                const string first = "first GPU found (CUDA preferred over OpenCL)";
                LogChose(logger, dev.Kind.ToName(), dev.Info.Name, first);
                dev.ChoiceReason = first;
                return dev;
            }
            reasons.Add($"{gpu.ToName()}: {failure}");
            failed = true;
        }
        string why = string.Join("; ", reasons);
        if (failed)
            LogFellBack(logger, Environment.ProcessorCount + " cores", why);
        else
            LogChose(logger, "cpu", Environment.ProcessorCount + " cores", "no CUDA or OpenCL GPU: " + why);
        return new ComputeDevice(DeviceKind.Auto, DeviceKind.Cpu, null, null) { ChoiceReason = (failed ? "a GPU driver failed: " : "no CUDA or OpenCL GPU: ") + why };
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
                return OpenGpu(kind, kind, logger, out string? absent, out _) ?? throw new DeviceUnavailableException(kind, absent);
            case DeviceKind.Auto:
                return OpenAuto(logger, DeviceKernels.None, LoadKernels);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    /// <summary>
    /// A context with the CPU accelerator, every CUDA device ILGPU supports and every OpenCL device
    /// (filtered by <see cref="OpenClGpu"/>, so that the reason a device is not used can be told).
    /// </summary>
    /// <remarks>
    /// One at a time in a process: the test host crashed (SIGSEGV, after a minute's hang) while one
    /// thread enumerated pocl's OpenCL device (in <c>clGetDeviceInfo</c>) and another made the CPU
    /// accelerator of a second context. A context is made once per device opened, so the wait costs nothing.
    /// </remarks>
    private static Context CreateContext()
    {
        DriverLibraries.Install();
        lock (ContextGate)
            return Context.Create(b => b.DefaultCPU().Cuda().OpenCL(_ => true).AutoAssertions().AutoIOOperations().EnableAlgorithms());
    }

    private static readonly Lock ContextGate = new();

    /// <summary>
    /// Whether <paramref name="d"/> is an OpenCL device <c>opencl</c> may use: a GPU (OpenCL CPU
    /// devices are slower than the <c>cpu</c> device and would take <c>auto</c>'s place), with the
    /// OpenCL C 2.0 generic address space ILGPU needs. Null when usable, else why not.
    /// </summary>
    internal static string? OpenClGpu(CLDevice d) =>
        !d.DeviceType.HasFlag(CLDeviceType.CL_DEVICE_TYPE_GPU)
            ? $"{d.Name} is not a GPU ({DeviceTypeName(d.DeviceType)})"
            : d.CLStdVersion < CLCVersion.CL20 || !d.Capabilities.GenericAddressSpace
                ? $"{d.Name} lacks the generic address space of OpenCL C 2.0 that ILGPU needs"
                : null;

    private static string DeviceTypeName(CLDeviceType t) =>
        t.HasFlag(CLDeviceType.CL_DEVICE_TYPE_CPU) ? "a CPU device"
        : t.HasFlag(CLDeviceType.CL_DEVICE_TYPE_ACCELERATOR) ? "an accelerator device"
        : $"device type {(long)t}";

    private static string WhyNoOpenClGpu(List<string> skipped) =>
        skipped.Count > 0 ? "no OpenCL GPU: " + string.Join("; ", skipped)
        : DriverLibraries.HasOpenClLoader() ? "no OpenCL device (no platform offers one)"
        : "no OpenCL loader (the dynamic loader finds neither libOpenCL.so nor libOpenCL.so.1)";

    private static ComputeDevice? OpenGpu(DeviceKind gpu, DeviceKind requested, ILogger logger, out string? absent, out bool failed)
    {
        absent = null;
        failed = false;
        Context? context = null;
        try
        {
            context = CreateContext();
            Accelerator? acc = null;
            if (gpu == DeviceKind.Cuda)
            {
                foreach (var d in context.GetCudaDevices())
                {
                    // Blocking sync: a host thread waiting for the GPU sleeps instead of spinning on a
                    // core the pipeline's host stages need.
                    acc = d.CreateCudaAccelerator(context, CudaAcceleratorFlags.ScheduleBlockingSync);
                    break;
                }
                if (acc is null)
                    absent = DriverLibraries.WhyNoCudaDevice(out failed);
            }
            else
            {
                var skipped = new List<string>();
                foreach (var d in context.GetCLDevices())
                {
                    if (OpenClGpu(d) is { } why)
                    {
                        skipped.Add(why);
                        continue;
                    }
                    acc = d.CreateCLAccelerator(context);
                    break;
                }
                if (acc is null)
                    absent = WhyNoOpenClGpu(skipped);
            }
            if (acc is null)
            {
                context.Dispose();
                return null;
            }
            return new ComputeDevice(requested, gpu, context, acc);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogProbeFailed(logger, gpu.ToName(), ex.Message);
            absent = $"opening the device failed: {DriverError(ex)}";
            failed = true;
            context?.Dispose();
            return null;
        }
    }

    /// <summary>Every device this machine offers: the plain CPU, ILGPU's CPU accelerator, CUDA GPUs and OpenCL GPUs (not OpenCL CPU devices).</summary>
    public static IReadOnlyList<DeviceInfo> List() => List(out _);

    /// <summary>As <see cref="List()"/>; <paramref name="gpuAbsence"/> says why each GPU kind that offers no device does not.</summary>
    internal static IReadOnlyList<DeviceInfo> List(out IReadOnlyList<(DeviceKind Kind, string Reason)> gpuAbsence)
    {
        var list = new List<DeviceInfo> { HostInfo() };
        var absence = new List<(DeviceKind, string)>();
        gpuAbsence = absence;
        try
        {
            using var context = CreateContext();
            foreach (var d in context.GetCPUDevices())
                list.Add(Describe(DeviceKind.IlgpuCpu, d));
            foreach (var d in context.GetCudaDevices())
                list.Add(Describe(DeviceKind.Cuda, d));
            if (!list.Any(d => d.Kind == DeviceKind.Cuda))
                absence.Add((DeviceKind.Cuda, DriverLibraries.WhyNoCudaDevice(out _)));
            var skipped = new List<string>();
            foreach (var d in context.GetCLDevices())
            {
                if (OpenClGpu(d) is { } why)
                    skipped.Add(why);
                else
                    list.Add(Describe(DeviceKind.OpenCl, d));
            }
            if (!list.Any(d => d.Kind == DeviceKind.OpenCl))
                absence.Add((DeviceKind.OpenCl, WhyNoOpenClGpu(skipped)));
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "device auto: fell back to cpu ({Name}): {Reason}")]
    private static partial void LogFellBack(ILogger logger, string name, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "device {Device}: {Failure}")]
    private static partial void LogLoadFailed(ILogger logger, string device, string failure);

    [LoggerMessage(Level = LogLevel.Debug, Message = "device probe for {Device} failed: {Error}")]
    private static partial void LogProbeFailed(ILogger logger, string device, string error);
}
