using System.Security.Cryptography;
using GpuExec.Commitments;

namespace GpuExec.Core.Tests;

/// <summary>The lane-parallel SHA-256 against the platform's, message by message, at every width this machine has.</summary>
public class Sha256LanesTests
{
    public static TheoryData<int> Widths()
    {
        var widths = new TheoryData<int>();
        foreach (int w in new[] { 1, 8, 16 })
            if (w <= Sha256Lanes.Width) widths.Add(w);
        return widths;
    }

    private static byte[] Expected(ReadOnlySpan<byte> message, int prefix) =>
        prefix < 0 ? SHA256.HashData(message) : SHA256.HashData([(byte)prefix, .. message]);

    private static unsafe byte[] Lanes(byte[] data, int[] offsets, int[] lengths, int prefix, int lanes, bool parallel = true)
    {
        var digests = new byte[32 * offsets.Length];
        fixed (int* o = offsets)
        fixed (int* l = lengths)
            Sha256Lanes.Hash(data, new SpanMessages(o, l, offsets.Length), prefix, digests, lanes, parallel);
        return digests;
    }

    private static void AssertEach(byte[] data, int[] offsets, int[] lengths, int prefix, byte[] digests)
    {
        for (int i = 0; i < offsets.Length; i++)
        {
            var want = Convert.ToHexString(Expected(data.AsSpan(offsets[i], lengths[i]), prefix));
            var got = Convert.ToHexString(digests, 32 * i, 32);
            Assert.True(want == got, $"message {i} ({lengths[i]} bytes, prefix {prefix}): {got} != {want}");
        }
    }

    /// <summary>
    /// Every length across every padding boundary (55/56, 119/120 ... bytes with the prefix) to ten
    /// blocks, mixed in groups: through the lanes up to <see cref="Sha256Lanes.MaxLaneBlocks"/> blocks
    /// and by the platform beyond, in one batch.
    /// </summary>
    [Theory]
    [MemberData(nameof(Widths))]
    public void Every_length_to_ten_blocks_equals_SHA256_HashData(int lanes)
    {
        var data = new byte[4096];
        new Random(lanes).NextBytes(data);
        var lengths = Enumerable.Range(0, 640).ToArray();
        var offsets = lengths.Select(l => (l * 7) % (data.Length - 700)).ToArray();
        foreach (int prefix in new[] { Sha256Lanes.NoPrefix, 0, 1, 0xff })
            AssertEach(data, offsets, lengths, prefix, Lanes(data, offsets, lengths, prefix, lanes));
    }

    /// <summary>
    /// Groups of one length (how a tree's keys, leaves and node pairs come), whose words are gathered
    /// across the lanes: every length to the lanes' limit, every prefix kind, full and partial last
    /// groups, one message ending at the buffer's last byte.
    /// </summary>
    [Theory]
    [MemberData(nameof(Widths))]
    public void Groups_of_one_length_equal_SHA256_HashData(int lanes)
    {
        var rng = new Random(5 * lanes);
        var data = new byte[8192];
        rng.NextBytes(data);
        for (int len = 0; len <= 64 * Sha256Lanes.MaxLaneBlocks; len++)
        {
            int n = 2 * lanes + 3;
            var lengths = Enumerable.Repeat(len, n).ToArray();
            var offsets = Enumerable.Range(0, n).Select(_ => rng.Next(0, data.Length - len + 1)).ToArray();
            offsets[n / 2] = data.Length - len;
            foreach (int prefix in new[] { Sha256Lanes.NoPrefix, 0, 1, 0xff })
                AssertEach(data, offsets, lengths, prefix, Lanes(data, offsets, lengths, prefix, lanes, parallel: false));
        }
    }

    /// <summary>Random lengths and places, long messages among short ones, partial last groups, and batches large enough to run on all cores.</summary>
    [Theory]
    [MemberData(nameof(Widths))]
    public void Random_batches_equal_SHA256_HashData(int lanes)
    {
        var rng = new Random(17 * lanes);
        var data = new byte[1 << 20];
        rng.NextBytes(data);
        foreach (int n in new[] { 1, 3, 15, 16, 17, 33, 1023, 5000 })
        {
            var lengths = new int[n];
            var offsets = new int[n];
            for (int i = 0; i < n; i++)
            {
                lengths[i] = rng.Next(8) == 0 ? rng.Next(0, 70_000) : rng.Next(0, 400);
                offsets[i] = rng.Next(0, data.Length - lengths[i] + 1);
            }
            int prefix = rng.Next(2) == 0 ? Sha256Lanes.NoPrefix : rng.Next(256);
            var parallel = Lanes(data, offsets, lengths, prefix, lanes);
            AssertEach(data, offsets, lengths, prefix, parallel);
            Assert.Equal(parallel, Lanes(data, offsets, lengths, prefix, lanes, parallel: false));
        }
    }

    /// <summary>A message that ends at the last byte of its buffer is read no further (the buffer ends where it does).</summary>
    [Theory]
    [MemberData(nameof(Widths))]
    public void Messages_at_the_end_of_the_buffer(int lanes)
    {
        for (int len = 0; len < 200; len += 13)
        {
            var data = new byte[len];
            new Random(len).NextBytes(data);
            AssertEach(data, [0], [len], 0, Lanes(data, [0], [len], 0, lanes));
        }
    }

    [Fact]
    public void Merkle_level_pairs_are_node_hashes()
    {
        var level = new byte[64 * 37];
        new Random(3).NextBytes(level);
        var digests = new byte[32 * 37];
        Sha256Lanes.Hash(level, new PairMessages(37), 1, digests);
        var want = new byte[32];
        for (int i = 0; i < 37; i++)
        {
            Merkle.NodeHash(level.AsSpan(64 * i, 32), level.AsSpan(64 * i + 32, 32), want);
            Assert.Equal(want, digests.AsSpan(32 * i, 32).ToArray());
        }
    }

    [Fact]
    public void Bad_arguments_are_refused_with_what_is_wrong()
    {
        var data = new byte[100];
        var digests = new byte[64];
        var outside = Assert.Throws<ArgumentException>(() => Lanes(data, [0, 90], [10, 11], 0, 1));
        Assert.Contains("message 1 (90, 11 bytes) lies outside the 100-byte buffer", outside.Message);
        Assert.Throws<ArgumentException>(() => Sha256Lanes.Hash(data, new PairMessages(1), 1, digests.AsSpan(0, 31)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sha256Lanes.Hash(data, new PairMessages(1), 256, digests));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sha256Lanes.Hash(data, new PairMessages(1), 1, digests, lanes: 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sha256Lanes.Hash(data, new PairMessages(1), 1, digests, lanes: 32));
    }
}
