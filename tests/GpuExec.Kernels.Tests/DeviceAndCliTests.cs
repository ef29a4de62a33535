using GpuExec.Cli.Commands;
using GpuExec.Engine.Devices;

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
}

public sealed class VerifyCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gpuexec-verify-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, params string[] lines)
    {
        var p = Path.Combine(_dir, name);
        File.WriteAllLines(p, lines);
        return p;
    }

    [Fact]
    public void Writes_one_verdict_per_line_in_order()
    {
        var rfc = Rfc8032.All[1];
        var input = Write("in.jsonl",
            $"{{\"public_key\":\"{rfc.PublicKey}\",\"message\":\"{rfc.Message}\",\"signature\":\"{rfc.Signature}\"}}",
            $"{{\"public_key\":\"{rfc.PublicKey}\",\"message\":\"73\",\"signature\":\"{rfc.Signature}\"}}",
            "{\"public_key\":\"00\",\"message\":\"\",\"signature\":\"00\"}");
        var output = Path.Combine(_dir, "out.jsonl");
        var err = new StringWriter();
        Assert.Equal(0, VerifyCommand.Run(input, output, "cpu", err));
        Assert.Equal(
            ["{\"index\":0,\"valid\":true}", "{\"index\":1,\"valid\":false}", "{\"index\":2,\"valid\":false}"],
            File.ReadAllLines(output));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"public_key\":\"zz\",\"message\":\"\",\"signature\":\"00\"}")]
    [InlineData("{\"public_key\":\"abc\",\"message\":\"\",\"signature\":\"00\"}")]
    [InlineData("{\"message\":\"\",\"signature\":\"00\"}")]
    public void Bad_lines_exit_3_naming_the_line_and_write_nothing(string bad)
    {
        var input = Write("in.jsonl", "{\"public_key\":\"00\",\"message\":\"\",\"signature\":\"00\"}", bad);
        var output = Path.Combine(_dir, "out.jsonl");
        var err = new StringWriter();
        Assert.Equal(3, VerifyCommand.Run(input, output, "cpu", err));
        Assert.False(File.Exists(output));
        var lines = err.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains("line 2:", lines[0]);
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void Usage_errors_exit_2_and_a_missing_input_exits_3()
    {
        var input = Write("in.jsonl", "{\"public_key\":\"00\",\"message\":\"\",\"signature\":\"00\"}");
        Assert.Equal(2, VerifyCommand.Run(input, Path.Combine(_dir, "o"), "gpu", new StringWriter()));
        Assert.Equal(2, VerifyCommand.Run(null, Path.Combine(_dir, "o"), "cpu", new StringWriter()));
        Assert.Equal(3, VerifyCommand.Run(Path.Combine(_dir, "missing"), Path.Combine(_dir, "o"), "cpu", new StringWriter()));
    }

    [Fact]
    public void Commands_build()
    {
        Assert.Equal("verify", VerifyCommand.Create().Name);
        Assert.Equal("devices", DevicesCommand.Create().Name);
        var w = new StringWriter();
        DevicesCommand.Write(ComputeDevice.List(), w);
        Assert.Contains("cpu", w.ToString());
    }
}
