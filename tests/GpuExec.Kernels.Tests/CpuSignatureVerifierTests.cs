using GpuExec.Crypto;
using GpuExec.Engine.Verify;

namespace GpuExec.Kernels.Tests;

/// <summary>The <c>cpu</c> verifier (libsodium on all cores) runs the whole file, and the constructed cases.</summary>
public class CpuSignatureVerifierTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(-1)]
    public void Whole_shared_file_matches(int dop)
    {
        var all = Vectors.LibsodiumVerdicts;
        var got = Vectors.Run(new CpuSignatureVerifier(dop), all);
        for (int i = 0; i < all.Count; i++)
            Assert.True(got[i] == all[i].Valid, $"{all[i].Source}/{all[i].Id}");
        Assert.True(all.Count > 1000);
    }

    [Fact]
    public void Negative_offsets_are_invalid_and_ranges_are_checked()
    {
        var arena = new byte[100];
        var valid = new bool[1];
        new CpuSignatureVerifier().Verify(arena, [new Kernels.Verify.SignatureJob(0, 0, -1, -1)], valid);
        Assert.False(valid[0]);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            new CpuSignatureVerifier().Verify(arena, [new Kernels.Verify.SignatureJob(0, 0, 80, 0)], valid));
    }

    [Fact]
    public void Rfc8032_vectors_are_valid_for_libsodium_too()
    {
        foreach (var c in Rfc8032.Cases())
            Assert.True(Libsodium.Ed25519Verify(c.PublicKey, c.Message, c.Signature), c.Id);
    }
}
