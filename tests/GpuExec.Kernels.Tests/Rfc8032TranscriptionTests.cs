using GpuExec.Crypto;

namespace GpuExec.Kernels.Tests;

public class Rfc8032TranscriptionTests
{
    [Fact]
    public void Libsodium_reproduces_the_transcribed_keys_and_signatures()
    {
        foreach (var c in Rfc8032.All)
        {
            var pk = new byte[32];
            var sk = new byte[64];
            Libsodium.Ed25519KeyPairFromSeed(Convert.FromHexString(c.Seed), pk, sk);
            Assert.Equal(c.PublicKey, Convert.ToHexStringLower(pk));
            var sig = new byte[64];
            Libsodium.Ed25519Sign(sk, Convert.FromHexString(c.Message), sig);
            Assert.Equal(c.Signature, Convert.ToHexStringLower(sig));
        }
        Assert.Equal(1023, Convert.FromHexString(Rfc8032.All[3].Message).Length);
    }
}
