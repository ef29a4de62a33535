using System.Security.Cryptography;
using GpuExec.Engine.Verify;
using GpuExec.Kernels.Verify;

namespace GpuExec.Kernels.Tests;

/// <summary>Hash kernels == .NET's SHA-256/SHA-512 and the Keccak reference; written once, run per backend.</summary>
public abstract class HashKernelTests(AcceleratorFixture fixture)
{
    protected AcceleratorFixture Fixture { get; } = fixture;

    /// <summary>Block-boundary lengths of SHA-256 (55/56/63/64), SHA-512 (111/112/127/128) and Keccak-256 (135/136/137), plus random ones.</summary>
    internal static (byte[] Arena, HashJob[] Jobs) Messages(int seed, int randomCount)
    {
        int[] edges = [0, 1, 3, 31, 32, 55, 56, 63, 64, 65, 111, 112, 119, 120, 127, 128, 129, 135, 136, 137, 200, 271, 272, 273, 1000];
        var r = new Random(seed);
        var lengths = edges.Concat(Enumerable.Range(0, randomCount).Select(_ => r.Next(0, 700))).ToArray();
        var arena = new byte[lengths.Sum() + 7];
        r.NextBytes(arena);
        var jobs = new HashJob[lengths.Length];
        int off = 7; // unaligned start on purpose
        for (int i = 0; i < lengths.Length; i++)
        {
            jobs[i] = new HashJob(off - (i % 3 == 0 ? 0 : 0), lengths[i]);
            off += lengths[i];
        }
        return (arena, jobs);
    }

    [Fact]
    public void Sha256_matches_dotnet()
    {
        var (arena, jobs) = Messages(1, 30);
        var got = new byte[32 * jobs.Length];
        Fixture.Hasher.Sha256(arena, jobs, got);
        for (int i = 0; i < jobs.Length; i++)
            Assert.True(SHA256.HashData(arena.AsSpan(jobs[i].Offset, jobs[i].Length)).AsSpan().SequenceEqual(got.AsSpan(32 * i, 32)), $"length {jobs[i].Length}");
    }

    [Fact]
    public void Sha512_matches_dotnet()
    {
        var (arena, jobs) = Messages(2, 30);
        var got = new byte[64 * jobs.Length];
        Fixture.Hasher.Sha512(arena, jobs, got);
        for (int i = 0; i < jobs.Length; i++)
            Assert.True(SHA512.HashData(arena.AsSpan(jobs[i].Offset, jobs[i].Length)).AsSpan().SequenceEqual(got.AsSpan(64 * i, 64)), $"length {jobs[i].Length}");
    }

    [Fact]
    public void Keccak256_matches_the_reference()
    {
        var (arena, jobs) = Messages(3, 30);
        var got = new byte[32 * jobs.Length];
        Fixture.Hasher.Keccak256(arena, jobs, got);
        var want = new byte[32];
        for (int i = 0; i < jobs.Length; i++)
        {
            KeccakReference.Hash(arena.AsSpan(jobs[i].Offset, jobs[i].Length), want);
            Assert.True(want.AsSpan().SequenceEqual(got.AsSpan(32 * i, 32)), $"length {jobs[i].Length}");
        }
        // and the standard vectors through the kernel
        var abc = "abc"u8.ToArray();
        var two = new byte[64];
        Fixture.Hasher.Keccak256(abc, [new HashJob(0, 0), new HashJob(0, 3)], two);
        Assert.Equal(KeccakVectors.Empty, Convert.ToHexStringLower(two.AsSpan(0, 32)));
        Assert.Equal(KeccakVectors.Abc, Convert.ToHexStringLower(two.AsSpan(32, 32)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(13)]
    [InlineData(64)]
    public void Merkle_root_matches_the_cpu_and_rfc6962(int n)
    {
        var (arena, all) = Messages(4 + n, 70);
        var leaves = all.Take(n).ToArray();
        var gpu = new byte[32];
        var cpu = new byte[32];
        Fixture.Hasher.MerkleRoot(arena, leaves, gpu);
        CpuHasher.Instance.MerkleRoot(arena, leaves, cpu);
        Assert.Equal(Convert.ToHexString(MerkleReference.Root(arena, leaves)), Convert.ToHexString(cpu));
        Assert.Equal(Convert.ToHexString(cpu), Convert.ToHexString(gpu));
    }
}

/// <summary>RFC 6962 section 2.1 written literally (recursive split at the largest power of two below n).</summary>
internal static class MerkleReference
{
    public static byte[] Root(byte[] arena, HashJob[] leaves) => Mth(arena, leaves);

    private static byte[] Mth(byte[] arena, ReadOnlySpan<HashJob> d)
    {
        if (d.Length == 0)
            return SHA256.HashData([]);
        if (d.Length == 1)
            return SHA256.HashData([0x00, .. arena.AsSpan(d[0].Offset, d[0].Length)]);
        int k = 1;
        while (k * 2 < d.Length) k *= 2;
        return SHA256.HashData([0x01, .. Mth(arena, d[..k]), .. Mth(arena, d[k..])]);
    }
}

/// <summary>Keccak-256 (original padding) standard vectors, as Ethereum uses them; checked against
/// Zig's std.crypto tests and an independent Python Keccak validated against hashlib.sha3_256.</summary>
internal static class KeccakVectors
{
    public const string Empty = "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470";
    public const string Abc = "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45";
}
