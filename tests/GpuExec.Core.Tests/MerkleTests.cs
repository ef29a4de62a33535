using System.Security.Cryptography;
using GpuExec.Commitments;

namespace GpuExec.Core.Tests;

public class MerkleTests
{
    /// <summary>RFC 6962 section 2.1 written as the recursion it states.</summary>
    private static byte[] ReferenceMth(byte[][] leaves, int start, int n)
    {
        if (n == 0) return SHA256.HashData([]);
        if (n == 1) return SHA256.HashData([0, .. leaves[start]]);
        int k = 1;
        while (k * 2 < n) k *= 2;
        return SHA256.HashData([1, .. ReferenceMth(leaves, start, k), .. ReferenceMth(leaves, start + k, n - k)]);
    }

    [Theory]
    [InlineData(0)] [InlineData(1)] [InlineData(2)] [InlineData(3)] [InlineData(4)] [InlineData(5)]
    [InlineData(7)] [InlineData(8)] [InlineData(9)] [InlineData(255)] [InlineData(1000)]
    [InlineData(8191)] [InlineData(8192)] [InlineData(8193)] [InlineData(20001)]
    public void Root_equals_the_rfc6962_recursion(int n)
    {
        var rng = new Random(n);
        var leaves = new byte[n][];
        var leafHashes = new byte[Math.Max(1, n) * 32];
        for (int i = 0; i < n; i++)
        {
            leaves[i] = new byte[rng.Next(0, 40)];
            rng.NextBytes(leaves[i]);
            Merkle.LeafHash(leaves[i], leafHashes.AsSpan(i * 32, 32));
        }
        var root = new byte[32];
        Merkle.RootFromLeafHashes(leafHashes, n, root);
        Assert.Equal(Convert.ToHexString(ReferenceMth(leaves, 0, n)), Convert.ToHexString(root));
    }

    [Fact]
    public void Empty_tree_is_the_hash_of_nothing()
    {
        var root = new byte[32];
        Merkle.RootFromLeafHashes([], 0, root);
        Assert.Equal("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", Convert.ToHexString(root));
    }
}
