using GpuExec.Commitments;
using Xunit;

namespace GpuExec.Core.Tests;

/// <summary>The state tree's updates are sorted by their whole key, also where keys share their first 8 bytes.</summary>
public sealed class TreeUpdateSortTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 0)]
    [InlineData(2, 1)]
    [InlineData(1000, 0)]
    [InlineData(1000, 300)]
    [InlineData(50_000, 2_000)]
    [InlineData(5_000, 0, true)]
    public void Updates_are_sorted_as_a_comparison_of_whole_keys_sorts_them(int count, int sharingHeads, bool crowded = false)
    {
        var rng = new Random(count * 31 + sharingHeads);
        var updates = new TreeUpdate[count];
        var key = new byte[32];
        var seen = new HashSet<string>();
        for (int i = 0; i < count; i++)
        {
            rng.NextBytes(key);
            // Some keys share their first 8 bytes with an earlier one (a few heads, many times), and
            // some are equal to it up to their last byte.
            if (i > 0 && i < sharingHeads)
            {
                updates[rng.Next(Math.Min(i, 7))].Key.WriteTo(key.AsSpan(0, 32));
                if (rng.Next(2) == 0) rng.NextBytes(key.AsSpan(8, 24)); else key[31] ^= (byte)(1 + rng.Next(255));
            }
            // Keys ground to share their first 16 bits, all in one place of the counting sort.
            if (crowded) key[0] = key[1] = 0xA5;
            var k = new TreeKey(key);
            if (!seen.Add(k.ToString())) { i--; continue; } // a block's keys are distinct
            updates[i] = new TreeUpdate { Key = k, ValueHash = default, Delete = rng.Next(2) == 0 };
        }
        var expected = (TreeUpdate[])updates.Clone();
        Array.Sort(expected, (x, y) => x.Key.CompareTo(y.Key));
        TreeUpdates.SortByKey(updates);
        Assert.Equal(expected.Select(u => u.Key.ToString()), updates.Select(u => u.Key.ToString()));
        Assert.Equal(expected.Select(u => u.Delete), updates.Select(u => u.Delete));
        for (int i = 1; i < updates.Length; i++) Assert.True(updates[i - 1].Key.CompareTo(updates[i].Key) <= 0);
    }
}
