using GpuExec.State;

namespace GpuExec.Testing;

/// <summary>
/// Checks a block's change set against a naive one: the two states, before and after, compared
/// account by account and pool by pool (SPEC section 6's leaves: an account with nonce 0 and no
/// non-zero balance has none).
/// </summary>
internal static class ChangeSetAssert
{
    /// <summary>The change set must hold exactly the accounts and pools whose leaves differ between <paramref name="pre"/> and <paramref name="post"/>, sorted, with those values.</summary>
    public static void IsDiff(WorldState pre, WorldState post, ChangeSet? changes)
    {
        Assert.NotNull(changes);
        var addresses = pre.Accounts.Select(a => a.Address).Union(post.Accounts.Select(a => a.Address)).Order().ToList();
        var expected = new List<(Model.Address, Account?, Account?)>();
        foreach (var address in addresses)
        {
            var b = Leaf(pre.TryGetAccount(address));
            var a = Leaf(post.TryGetAccount(address));
            if (b is null && a is null) continue;
            if (b is not null && a is not null && Same(b, a)) continue;
            expected.Add((address, b, a));
        }
        Assert.Equal(expected.Count, changes.Accounts.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            var (address, b, a) = expected[i];
            var c = changes.Accounts[i];
            Assert.Equal(address, c.Address);
            Assert.Equal(b is null, c.Created);
            Assert.Equal(a is null, c.Emptied);
            if (b is not null) Assert.True(Same(b, c.Before!), $"before-side of {address}");
            if (a is not null) Assert.True(Same(a, c.After!), $"after-side of {address}");
        }
        var pools = post.Pools.Where(p => !pre.TryGetPool(p.Id, out var q) || q.ReserveA != p.ReserveA || q.ReserveB != p.ReserveB).OrderBy(p => p.Id).ToList();
        Assert.Equal(pools.Select(p => p.Id), changes.Pools.Select(p => p.Id));
        for (int i = 0; i < pools.Count; i++)
        {
            Assert.True(pre.TryGetPool(pools[i].Id, out var before));
            Assert.Equal(before, changes.Pools[i].Before);
            Assert.Equal(pools[i], changes.Pools[i].After);
        }
    }

    /// <summary>Two change sets of the same block from different executors: equal, side by side.</summary>
    public static void Equal(ChangeSet? expected, ChangeSet? actual)
    {
        Assert.NotNull(expected);
        Assert.NotNull(actual);
        Assert.Equal(expected.Accounts.Select(c => c.Address), actual.Accounts.Select(c => c.Address));
        for (int i = 0; i < expected.Accounts.Count; i++)
        {
            var (e, a) = (expected.Accounts[i], actual.Accounts[i]);
            Assert.Equal(e.Created, a.Created);
            Assert.Equal(e.Emptied, a.Emptied);
            if (!e.Created) Assert.True(Same(e.Before!, a.Before!), $"before-side of {e.Address}");
            if (!e.Emptied) Assert.True(Same(e.After!, a.After!), $"after-side of {e.Address}");
        }
        Assert.Equal(expected.Pools.Select(p => (p.Before, p.After)), actual.Pools.Select(p => (p.Before, p.After)));
    }

    private static Account? Leaf(Account? a) => a is null || a.IsEmpty ? null : a;

    /// <summary>Same nonce and non-zero balances, compared entry by entry from the public accessors.</summary>
    private static bool Same(Account x, Account y)
    {
        static IEnumerable<(uint, ulong)> Balances(Account a) =>
            Enumerable.Range(0, a.EntryCount).Select(i => (a.TokenAt(i), a.AmountAt(i))).Where(e => e.Item2 != 0);
        return x.Address == y.Address && x.Nonce == y.Nonce && Balances(x).SequenceEqual(Balances(y));
    }
}
