using GpuExec.Engine.Verify;

namespace GpuExec.Engine.Tests.Verify;

public class VerifierSelectionTests
{
    [Fact]
    public void Auto_picks_simd_exactly_when_a_vector_width_is_present()
    {
        var (kind, reason) = VerifierSelection.Resolve(VerifierKind.Auto);
        Assert.Equal(SimdSignatureVerifier.BestLanes > 1 ? VerifierKind.Simd : VerifierKind.Libsodium, kind);
        Assert.StartsWith("auto: ", reason, StringComparison.Ordinal);
        Assert.Equal(VerifierKind.Libsodium, VerifierSelection.Resolve(VerifierKind.Libsodium).Kind);
        Assert.NotEqual(VerifierKind.Auto, VerifierSelection.Resolve(VerifierKind.Simd).Kind);
    }

    [Fact]
    public void Create_builds_the_resolved_verifier_on_the_given_threads()
    {
        var v = VerifierSelection.Create(VerifierKind.Simd, 1, out var kind, out _);
        if (kind == VerifierKind.Simd)
            Assert.Equal(1, Assert.IsType<SimdSignatureVerifier>(v).MaxDegreeOfParallelism);
        else
            Assert.IsType<CpuSignatureVerifier>(v);
        Assert.IsType<CpuSignatureVerifier>(VerifierSelection.Create(VerifierKind.Libsodium, 1, out _, out _));
    }

    [Fact]
    public void Names_round_trip()
    {
        foreach (var k in Enum.GetValues<VerifierKind>())
            Assert.Equal(k, VerifierSelection.Parse(k.ToName()));
        Assert.Throws<ArgumentException>(() => VerifierSelection.Parse("gpu"));
    }

    [Fact]
    public void The_pipeline_on_cpu_reports_its_verifier()
    {
        using var p = new BlockPipeline(new GpuExecOptions { Device = Devices.DeviceKind.Cpu, Verifier = VerifierKind.Libsodium });
        Assert.Equal(VerifierKind.Libsodium, p.VerifierKind);
        using var q = new BlockPipeline(new GpuExecOptions { Device = Devices.DeviceKind.Cpu });
        Assert.Equal(VerifierSelection.Resolve(VerifierKind.Auto).Kind, q.VerifierKind);
    }
}
