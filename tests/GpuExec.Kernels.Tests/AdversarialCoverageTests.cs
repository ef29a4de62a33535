namespace GpuExec.Kernels.Tests;

public class AdversarialCoverageTests
{
    [Fact]
    public void Constructed_cases_include_accepted_mixed_order_keys_and_every_rejection_kind()
    {
        var cases = Adversarial.Constructed();
        Assert.Contains(cases, c => c.Id.StartsWith("mixed-A-", StringComparison.Ordinal) && c.Valid);
        Assert.Contains(cases, c => c.Id.StartsWith("mixed-A-", StringComparison.Ordinal) && !c.Valid);
        Assert.Contains(cases, c => c.Id.StartsWith("off-curve-", StringComparison.Ordinal));
        Assert.Contains(cases, c => c.Id == "baseline" && c.Valid);
        Assert.All(cases.Where(c => c.Id.StartsWith("small-", StringComparison.Ordinal) || c.Id.StartsWith("S", StringComparison.Ordinal) && c.Id != "S=L-1"),
            c => Assert.False(c.Valid, c.Id));
    }
}
