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

    private sealed class ListLogger : ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add(formatter(state, exception));
    }
}
