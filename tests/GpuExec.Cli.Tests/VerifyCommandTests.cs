using GpuExec.Cli.Commands;
using GpuExec.Engine.Devices;

namespace GpuExec.Cli.Tests;

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

    [Theory]
    [InlineData(GpuExec.Engine.Verify.VerifierKind.Auto)]
    [InlineData(GpuExec.Engine.Verify.VerifierKind.Simd)]
    [InlineData(GpuExec.Engine.Verify.VerifierKind.Libsodium)]
    public void Writes_one_verdict_per_line_in_order(GpuExec.Engine.Verify.VerifierKind verifier)
    {
        var signer = new GpuExec.Generation.Signer(1);
        var rec = signer.Transfer(1, 0, 1, signer.Address, 0, 5);
        string pk = signer.Address.ToHex(), msg = Convert.ToHexStringLower(rec[..^64]), sig = Convert.ToHexStringLower(rec[^64..]);
        var input = Write("in.jsonl",
            $"{{\"public_key\":\"{pk}\",\"message\":\"{msg}\",\"signature\":\"{sig}\"}}",
            $"{{\"public_key\":\"{pk}\",\"message\":\"73\",\"signature\":\"{sig}\"}}",
            "{\"public_key\":\"00\",\"message\":\"\",\"signature\":\"00\"}");
        var output = Path.Combine(_dir, "out.jsonl");
        var err = new StringWriter();
        Assert.Equal(0, VerifyCommand.Run(input, output, "cpu", err, verifier));
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
