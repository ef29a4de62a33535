using System.Reflection;
using System.Text.Json;

namespace GpuExec.Cli.Tests;

/// <summary>The command line says what it runs on: the executor a device option asks for, why auto chose a device, what devices were probed, the product's version, the required options.</summary>
public class IntegratorCliTests
{
    private static readonly string Example = TestPaths.Shared("examples", "conformance-2");
    private static string Genesis => Path.Combine(Example, "genesis.json");
    private static string Block1 => Path.Combine(Example, "block-1.gxb");
    private static string Block2 => Path.Combine(Example, "block-2.gxb");
    private const string Reference = "on reference (one thread, libsodium)";

    private static string RunSummary(params string[] extra)
    {
        var dir = Cli.TempDir();
        var (code, _, err) = Cli.Run(["run", "--genesis", Genesis, "--block", Block1, "--block", Block2, "--out", Path.Combine(dir, "d.json"), .. extra]);
        Assert.True(code == 0, err);
        Assert.Equal(File.ReadAllBytes(Path.Combine(Example, "expected-dump.json")), File.ReadAllBytes(Path.Combine(dir, "d.json")));
        return Assert.Single(err.Trim().Split('\n'));
    }

    [Theory]
    [InlineData("--device", "cpu")]
    [InlineData("--apply", "lanes")]
    [InlineData("--verifier", "libsodium")]
    [InlineData("--key-tables", "0")]
    [InlineData("--lanes", "1")]
    public void A_pipeline_option_without_executor_runs_the_pipeline(string option, string value)
    {
        var line = RunSummary(option, value);
        Assert.DoesNotContain(Reference, line);
        Assert.Contains(" on cpu (", line);
    }

    [Fact]
    public void Without_pipeline_options_or_with_executor_sequential_the_reference_runs()
    {
        Assert.Contains(Reference, RunSummary());
        Assert.Contains(Reference, RunSummary("--executor", "sequential", "--device", "cpu"));
    }

    [Fact]
    public void The_reason_auto_chose_a_device_is_in_the_summary_without_verbose()
    {
        var line = RunSummary("--device", "auto");
        Assert.Matches(@"chosen by --device auto because (first GPU found \(CUDA preferred over OpenCL\)|(no CUDA or OpenCL GPU|a GPU driver failed): cuda: \S.*; opencl: \S)", line);
        // A device named explicitly needs no reason.
        Assert.DoesNotContain("chosen by", RunSummary("--device", "cpu"));
    }

    [Fact]
    public void Devices_says_why_each_absent_GPU_kind_is_absent()
    {
        var (code, stdout, err) = Cli.Run("devices");
        Assert.True(code == 0, err);
        var lines = stdout.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("cpu ", StringComparison.Ordinal));
        foreach (var kind in new[] { "cuda", "opencl" })
        {
            bool listed = lines.Any(l => l.StartsWith(kind + " ", StringComparison.Ordinal));
            var reasons = lines.Where(l => l.StartsWith(kind + ": ", StringComparison.Ordinal)).ToList();
            // A kind is either in the table or has one line saying, in words, why it is not.
            Assert.Equal(listed ? 0 : 1, reasons.Count);
            if (!listed) Assert.True(reasons[0].Length > kind.Length + 20, reasons[0]);
        }
    }

    [Fact]
    public void Bench_json_carries_the_products_version()
    {
        var json = Path.Combine(Cli.TempDir(), "bench.json");
        var (code, _, err) = Cli.Run("bench", "--txs", "200", "--accounts", "30", "--pools", "2", "--repeat", "1", "--device", "cpu", "--json", json);
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        string product = typeof(GpuExec.Engine.BlockPipeline).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];
        Assert.Equal(product, doc.RootElement.GetProperty("provenance").GetProperty("version").GetString());
        Assert.Matches(@"<Version>" + System.Text.RegularExpressions.Regex.Escape(product) + "</Version>", File.ReadAllText(Path.Combine(RepoRoot(), "Packaging.props")));
    }

    [Theory]
    [InlineData("verify", "--input", "(REQUIRED)")]
    [InlineData("verify", "--out", "(REQUIRED)")]
    [InlineData("gen", "--out", "(REQUIRED)")]
    [InlineData("verify-proof", "--proof", "(REQUIRED)")]
    [InlineData("run", "--genesis", "(REQUIRED unless --state")]
    [InlineData("run", "--out", "REQUIRED")]
    [InlineData("proof", "--address", "(REQUIRED unless --pool)")]
    public void Help_marks_required_options(string command, string option, string mark)
    {
        var (code, stdout, _) = Cli.Run(command, "--help");
        Assert.Equal(0, code);
        var line = Assert.Single(stdout.Split('\n'), l => l.TrimStart().StartsWith(option + " ", StringComparison.Ordinal));
        Assert.Contains(mark, line);
    }

    [Fact]
    public void A_missing_required_option_is_a_usage_error_of_one_line()
    {
        var (code, _, err) = Cli.Run("verify", "--out", Path.Combine(Cli.TempDir(), "v.jsonl"));
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--input", err);
        Assert.Single(err.Trim().Split('\n'));
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Packaging.props"))) dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("Packaging.props");
    }
}
