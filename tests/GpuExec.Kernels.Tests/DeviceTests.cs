using System.Diagnostics;
using GpuExec.Engine.Devices;
using GpuExec.Engine.Verify;
using Microsoft.Extensions.Logging;

namespace GpuExec.Kernels.Tests;

public class DeviceTests
{
    [Theory]
    [InlineData("auto", DeviceKind.Auto)]
    [InlineData("cpu", DeviceKind.Cpu)]
    [InlineData("ilgpu-cpu", DeviceKind.IlgpuCpu)]
    [InlineData("CUDA", DeviceKind.Cuda)]
    [InlineData("opencl", DeviceKind.OpenCl)]
    public void Names_parse_and_round_trip(string name, DeviceKind kind)
    {
        Assert.Equal(kind, DeviceKindNames.Parse(name));
        Assert.Equal(name.ToLowerInvariant(), kind.ToName());
    }

    [Fact]
    public void Unknown_names_are_refused_with_the_accepted_list()
    {
        Assert.False(DeviceKindNames.TryParse("gpu", out _));
        var ex = Assert.Throws<ArgumentException>(() => DeviceKindNames.Parse("gpu"));
        Assert.Contains(DeviceKindNames.All, ex.Message);
    }

    /// <summary>
    /// Devices are listed and opened from several threads at once (a node's pipelines, or test
    /// classes run in parallel), each thread seeing the same devices. The test host once crashed
    /// (SIGSEGV) while one thread enumerated pocl's OpenCL device and another made a context's CPU
    /// accelerator, so contexts are made one at a time. This runs that mix from the drivers' first use
    /// in the process: with contexts made in parallel it crashed the host in 1 of 12 runs here.
    /// </summary>
    [Fact]
    public void Devices_are_listed_and_opened_from_many_threads_at_once()
    {
        var seen = new System.Collections.Concurrent.ConcurrentBag<string>();
        // Nothing listed first: the drivers' first use in the process is among the threads.
        Parallel.For(0, 32, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            if (i % 2 == 0)
            {
                seen.Add(string.Join(",", ComputeDevice.List().Select(d => d.Kind)));
                return;
            }
            using var dev = ComputeDevice.Open(DeviceKind.IlgpuCpu, null, ComputeDevice.DeviceKernels.None);
            Assert.Equal(DeviceKind.IlgpuCpu, dev.Kind);
            Assert.NotNull(dev.Accelerator);
        });
        Assert.Equal(16, seen.Count);
        var expected = string.Join(",", ComputeDevice.List().Select(d => d.Kind));
        Assert.All(seen, s => Assert.Equal(expected, s));
    }

    [Fact]
    public void Cpu_has_no_accelerator_and_auto_never_fails()
    {
        using var cpu = ComputeDevice.Open(DeviceKind.Cpu);
        Assert.Null(cpu.Accelerator);
        Assert.Equal(DeviceKind.Cpu, cpu.Kind);
        using var auto = ComputeDevice.Open(DeviceKind.Auto);
        Assert.NotEqual(DeviceKind.Auto, auto.Kind);
        Assert.Equal(DeviceKind.Auto, auto.Requested);
    }

    [Fact]
    public void A_missing_explicit_device_throws_naming_it()
    {
        var list = ComputeDevice.List();
        Assert.Contains(list, d => d.Kind == DeviceKind.Cpu);
        Assert.Contains(list, d => d.Kind == DeviceKind.IlgpuCpu);
        if (list.Any(d => d.Kind == DeviceKind.Cuda))
            Assert.Skip("a CUDA device is present");
        var ex = Assert.Throws<DeviceUnavailableException>(() => ComputeDevice.Open(DeviceKind.Cuda));
        Assert.Equal(DeviceKind.Cuda, ex.Kind);
        Assert.Contains("'cuda'", ex.Message);
    }

    [Fact]
    public void Opening_a_device_loads_every_kernel_once_and_logs_it()
    {
        var logger = new ListLogger();
        using var dev = ComputeDevice.Open(DeviceKind.IlgpuCpu, logger);
        var set = VerifyKernelSet.For(dev.RequireAccelerator());
        Assert.True(set.LoadTime > TimeSpan.Zero);
        Assert.Same(set, VerifyKernelSet.For(dev.RequireAccelerator()));
        Assert.Single(logger.Lines, l => l.Contains("loaded the verify and hash kernels", StringComparison.Ordinal));
        Assert.Equal(0, set.RewrittenProducts); // the rewrite is for CUDA's PTX only
    }

    [Fact]
    public void Kernels_that_fail_to_load_fail_an_explicit_device_with_the_drivers_error()
    {
        var logger = new ListLogger();
        var ex = Assert.Throws<DeviceUnavailableException>(() => ComputeDevice.Open(DeviceKind.IlgpuCpu, logger, ComputeDevice.DeviceKernels.All,
            (_, _, _) =>
            {
                // What ILGPU does with an OpenCL build log: it writes it to Trace, then throws.
                Trace.WriteLine("Kernel loading failed:");
                Trace.WriteLine("<source>:12:9: error: use of undeclared identifier 'work_group_reduce_add'");
                throw new InvalidOperationException("CL_BUILD_PROGRAM_FAILURE");
            }));
        Assert.Equal(DeviceKind.IlgpuCpu, ex.Kind);
        Assert.Contains("CPUAccelerator", ex.Message);
        Assert.Contains("CL_BUILD_PROGRAM_FAILURE", ex.Message);
        Assert.Contains("undeclared identifier 'work_group_reduce_add'", ex.Message);
        Assert.IsType<InvalidOperationException>(ex.InnerException);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Debug && e.Text.Contains("CL_BUILD_PROGRAM_FAILURE", StringComparison.Ordinal));
    }

    [Fact]
    public void Auto_without_a_GPU_says_why_for_each_kind()
    {
        if (ComputeDevice.List().Any(d => d.Kind is DeviceKind.Cuda or DeviceKind.OpenCl))
            Assert.Skip("a GPU is present");
        var logger = new ListLogger();
        using var dev = ComputeDevice.Open(DeviceKind.Auto, logger);
        Assert.Equal(DeviceKind.Cpu, dev.Kind);
        var line = Assert.Single(logger.Lines, l => l.Contains("device auto", StringComparison.Ordinal));
        Assert.Contains("cuda: ", line);
        Assert.Contains("opencl: ", line);
        // No driver, or a driver without a device, is no failure: information, not a warning.
        Assert.DoesNotContain(logger.Entries, e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public void Driver_libraries_are_looked_up_by_the_plain_name_then_the_versioned_one()
    {
        Assert.Equal(["libcuda.so", "libcuda.so.1"], DriverLibraries.Candidates("cuda"));
        Assert.Equal(["libOpenCL.so", "libOpenCL.so.1"], DriverLibraries.Candidates("OpenCL"));
        Assert.Empty(DriverLibraries.Candidates("nvvm"));
        // Only the versioned name exists: it is the one loaded.
        string dir = Path.Combine(Path.GetTempPath(), "gpuexec-driver-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            // Any loadable library will do: libsodium, which the tests carry for this machine.
            string rid = "linux-" + System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
            string real = Path.Combine(AppContext.BaseDirectory, "runtimes", rid, "native", "libsodium.so");
            if (!File.Exists(real))
                real = Path.Combine(AppContext.BaseDirectory, "libsodium.so"); // a build published for one platform
            if (!OperatingSystem.IsLinux() || !File.Exists(real))
                Assert.Skip("driver libraries are looked up this way on Linux only");
            File.Copy(real, Path.Combine(dir, "libcuda.so.1"));
            var h = DriverLibraries.Load([Path.Combine(dir, "libcuda.so"), Path.Combine(dir, "libcuda.so.1")], out string? loaded);
            Assert.NotEqual(IntPtr.Zero, h);
            Assert.Equal(Path.Combine(dir, "libcuda.so.1"), loaded);
            System.Runtime.InteropServices.NativeLibrary.Free(h);
            Assert.Equal(IntPtr.Zero, DriverLibraries.Load([Path.Combine(dir, "libcuda.so")], out loaded));
            Assert.Null(loaded);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Text)> Entries { get; } = [];

        public List<string> Lines => Entries.Select(e => e.Text).ToList();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception)));
    }
}
