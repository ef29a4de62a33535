using GpuExec.Execution;
using GpuExec.Generation;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Core.Tests;

/// <summary>The block's change set: what the execute stage hands on, and how a state adopts it.</summary>
public class ChangeSetTests
{
    private const uint Chain = 4;
    private static readonly Signer Alice = new(1), Bob = new(2), Carol = new(3), Collector = new(4);

    private static WorldState Genesis()
    {
        var s = new WorldState(Chain);
        s.GenesisAccount(Alice.Address).SetBalance(0, 1000);
        s.GenesisAccount(Alice.Address).SetBalance(1, 50);
        s.GenesisAccount(Bob.Address).SetBalance(0, 3);
        s.GenesisAccount(Carol.Address); // listed, but empty: no leaf
        s.SetPool(new Pool { Id = 7, TokenA = 0, TokenB = 1, ReserveA = 10_000, ReserveB = 10_000, FeeBps = 30 });
        return s;
    }

    private static BlockResult Run(WorldState s, params byte[][] records) =>
        SequentialExecutor.Execute(s, BlockCodec.Decode(Signer.NextBlock(s, Collector.Address, records)));

    [Fact]
    public void A_block_hands_on_exactly_the_leaves_it_changed_before_and_after()
    {
        var pre = Genesis();
        var post = pre.Clone();
        var r = Run(post,
            Alice.Transfer(Chain, 0, 5, Carol.Address, 1, 20),          // Carol gets her first leaf
            Bob.Transfer(Chain, 0, 3, Alice.Address, 0, 0),             // Bob pays all he has, and keeps his leaf (nonce 1)
            Alice.Swap(Chain, 1, 1, 7, true, 100, 0),                   // the pool moves
            Alice.Transfer(Chain, 9, 1, new Signer(50).Address, 0, 0),  // bad nonce: nothing
            new Signer(60).Transfer(Chain, 0, 0, new Signer(61).Address, 0, 0)); // fresh key, zero fee: touched, no leaf
        ChangeSetAssert.IsDiff(pre, post, r.Changes);
        var c = r.Changes!;
        Assert.Equal(new[] { Alice.Address, Bob.Address, Carol.Address, Collector.Address, new Signer(60).Address }.Order(), c.Accounts.Select(a => a.Address));
        Assert.True(c.Accounts.Single(a => a.Address == Carol.Address).Created);
        Assert.True(c.Accounts.Single(a => a.Address == Collector.Address).Created);
        Assert.Equal(7u, Assert.Single(c.Pools).Id);
        // The before-sides are what the state held, untouched by the block.
        Assert.Equal(1000UL, c.Accounts.Single(a => a.Address == Alice.Address).Before!.Balance(0));
    }

    [Fact]
    public void An_account_emptied_by_a_block_is_marked_and_leaves_the_state()
    {
        // An account with a leaf only through its balance cannot empty itself (its nonce rises), but
        // the state can adopt such a change: a fee collector's payout, say, in a future rule.
        var s = Genesis();
        _ = s.StateRoot;
        var changes = s.Edit(set => set.Account(Alice.Address).SetBalance(0, 1000));
        Assert.Empty(changes.Accounts); // touched, but the same leaf
        changes = s.Edit(set => { set.Account(Alice.Address).SetBalance(0, 0); set.Account(Alice.Address).SetBalance(1, 0); });
        var gone = Assert.Single(changes.Accounts);
        Assert.True(gone.Emptied);
        Assert.Null(gone.After);
        Assert.Null(s.TryGetAccount(Alice.Address));
        Assert.Equal(s.Rebuilt().StateRoot, s.StateRoot);
    }

    [Fact]
    public void A_live_state_refuses_genesis_edits()
    {
        var s = Genesis();
        s.AddAccount(new Account(new Signer(9).Address));
        _ = s.StateRoot;
        Assert.True(s.IsLive);
        Assert.Throws<InvalidOperationException>(() => s.AddAccount(new Account(new Signer(10).Address)));
        Assert.Throws<InvalidOperationException>(() => s.SetPool(new Pool { Id = 8, TokenA = 1, TokenB = 2, ReserveA = 1, ReserveB = 1 }));
        Assert.Throws<InvalidOperationException>(() => s.GenesisAccount(Alice.Address));
    }

    [Fact]
    public void A_change_set_is_adopted_once_and_only_by_the_state_it_was_made_on()
    {
        var s = Genesis();
        var other = Genesis();
        var block = BlockCodec.Decode(Signer.NextBlock(s, Collector.Address, Alice.Transfer(Chain, 0, 5, Bob.Address, 1, 20)));
        var copy = s.Clone();
        var r = SequentialExecutor.Execute(s, block);
        var root = s.StateRoot;
        string dump = Dump(s);
        // Twice: the before-sides no longer match.
        Assert.Throws<InvalidOperationException>(() => s.Apply(r.Changes!, 2));
        Assert.Equal(root, s.StateRoot);
        Assert.Equal(dump, Dump(s));
        // On a state whose accounts differ: refused, nothing changes.
        other.Edit(set => set.Account(Alice.Address).Nonce = 3);
        var otherRoot = other.StateRoot;
        Assert.Throws<InvalidOperationException>(() => other.Apply(r.Changes!, 1));
        Assert.Equal(otherRoot, other.StateRoot);
        // On an equal state (a copy made before the block): the same result.
        Assert.Equal(root, copy.Apply(r.Changes!, 1));
        Assert.Equal(dump, Dump(copy));
    }

    [Fact]
    public void Change_sets_must_be_sorted_and_sides_must_hold_leaves()
    {
        var a = new Account(Alice.Address);
        a.SetBalance(0, 1);
        var b = new Account(Bob.Address);
        b.SetBalance(0, 1);
        Assert.Throws<ArgumentException>(() => new AccountChange(Alice.Address, null, null));
        Assert.Throws<ArgumentException>(() => new AccountChange(Alice.Address, null, new Account(Alice.Address)));
        Assert.Throws<ArgumentException>(() => new AccountChange(Bob.Address, null, a));
        var ca = new AccountChange(Alice.Address, null, a);
        var cb = new AccountChange(Bob.Address, null, b);
        var sorted = Alice.Address < Bob.Address ? new[] { ca, cb } : [cb, ca];
        _ = new ChangeSet(sorted, []);
        Assert.Throws<ArgumentException>(() => new ChangeSet([sorted[1], sorted[0]], []));
        Assert.Throws<ArgumentException>(() => new ChangeSet([ca, ca], []));
        var p = new Pool { Id = 1, TokenA = 0, TokenB = 1, ReserveA = 5, ReserveB = 5 };
        Assert.Throws<ArgumentException>(() => new ChangeSet([], [new PoolChange(p, p with { FeeBps = 3 })]));
    }

    private static string Dump(WorldState s)
    {
        using var ms = new MemoryStream();
        StateJson.WriteDump(s, ms);
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }
}
