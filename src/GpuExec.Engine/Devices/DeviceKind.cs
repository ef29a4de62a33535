namespace GpuExec.Engine.Devices;

/// <summary>Which machine runs the heavy checks (signatures, hashes).</summary>
public enum DeviceKind
{
    /// <summary>CUDA if present, else OpenCL, else <see cref="Cpu"/>.</summary>
    Auto,
    /// <summary>No ILGPU: the host code paths (the SIMD verifier or libsodium, see <see cref="GpuExecOptions.Verifier"/>; SHA-256 many messages at a time in vector lanes) on all cores.</summary>
    Cpu,
    /// <summary>ILGPU's CPU accelerator running the GPU kernels (an emulator: for correctness, not speed).</summary>
    IlgpuCpu,
    /// <summary>An NVIDIA GPU through CUDA (the first one).</summary>
    Cuda,
    /// <summary>A GPU through OpenCL 2.0 (the first one).</summary>
    OpenCl,
}

/// <summary>The command-line names of <see cref="DeviceKind"/>: <c>auto|cpu|ilgpu-cpu|cuda|opencl</c>.</summary>
public static class DeviceKindNames
{
    /// <summary>The accepted names, separated by '|', for messages and help texts.</summary>
    public const string All = "auto|cpu|ilgpu-cpu|cuda|opencl";

    /// <summary>Parses a device name (case and surrounding spaces ignored); false for an unknown or null one.</summary>
    public static bool TryParse(string? text, out DeviceKind kind)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "auto": kind = DeviceKind.Auto; return true;
            case "cpu": kind = DeviceKind.Cpu; return true;
            case "ilgpu-cpu": kind = DeviceKind.IlgpuCpu; return true;
            case "cuda": kind = DeviceKind.Cuda; return true;
            case "opencl": kind = DeviceKind.OpenCl; return true;
            default: kind = DeviceKind.Auto; return false;
        }
    }

    /// <summary>Parses a device name; throws <see cref="ArgumentException"/> naming the accepted values.</summary>
    public static DeviceKind Parse(string text) =>
        TryParse(text, out var kind)
            ? kind
            : throw new ArgumentException($"unknown device '{text}' (expected {All})", nameof(text));

    /// <summary>The command-line name of <paramref name="kind"/>.</summary>
    public static string ToName(this DeviceKind kind) => kind switch
    {
        DeviceKind.Auto => "auto",
        DeviceKind.Cpu => "cpu",
        DeviceKind.IlgpuCpu => "ilgpu-cpu",
        DeviceKind.Cuda => "cuda",
        DeviceKind.OpenCl => "opencl",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}

/// <summary>An explicitly requested device is not present on this machine.</summary>
public sealed class DeviceUnavailableException : Exception
{
    /// <summary>The kind that was asked for.</summary>
    public DeviceKind Kind { get; }

    /// <summary><paramref name="kind"/> is missing; <paramref name="detail"/> says why, <paramref name="inner"/> is the driver's error if any.</summary>
    public DeviceUnavailableException(DeviceKind kind, string? detail = null, Exception? inner = null)
        : base($"device '{kind.ToName()}' is not available on this machine{(detail is null ? "" : ": " + detail)}", inner)
    {
        Kind = kind;
    }
}

/// <summary>One device as <c>gpuexec devices</c> lists it.</summary>
/// <param name="Kind">The <c>--device</c> name that selects it.</param>
/// <param name="Name">The driver's name for it.</param>
/// <param name="MemoryBytes">Device memory (host memory for CPU kinds).</param>
/// <param name="Multiprocessors">Streaming multiprocessors / compute units (cores for CPU kinds).</param>
/// <param name="WarpSize">Threads per warp (1 for the plain CPU).</param>
public sealed record DeviceInfo(DeviceKind Kind, string Name, long MemoryBytes, int Multiprocessors, int WarpSize);
