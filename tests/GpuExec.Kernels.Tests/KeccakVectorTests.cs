using System.Security.Cryptography;
using GpuExec.Engine.Verify;

namespace GpuExec.Kernels.Tests;

public class KeccakVectorTests
{
    [Fact]
    public void Reference_gives_the_standard_vectors()
    {
        var d = new byte[32];
        KeccakReference.Hash([], d);
        Assert.Equal(KeccakVectors.Empty, Convert.ToHexStringLower(d));
        KeccakReference.Hash("abc"u8, d);
        Assert.Equal(KeccakVectors.Abc, Convert.ToHexStringLower(d));
    }

    [Fact]
    public void Reference_with_sha3_padding_would_differ()
    {
        // sanity: .NET's SHA3-256 (padding 0x06) of "" is a different, well-known value
        if (!SHA3_256.IsSupported) return;
        Assert.NotEqual(KeccakVectors.Empty, Convert.ToHexStringLower(SHA3_256.HashData([])));
    }
}
