using GpuExec.Engine;
using GpuExec.Execution;
using GpuExec.Model;

namespace GpuExec.PublicApi.Tests;

/// <summary>Per-transaction effects on receipts: every executor gives the reference's, and the reference's match a naive model.</summary>
public class EffectsTests
{
    [Theory]
    [InlineData(ApplyMode.InOrder)]
    [InlineData(ApplyMode.Lanes)]
    public async Task Every_executor_gives_the_effects_of_the_model(ApplyMode mode)
    {
        var world = new World(accounts: 24);
        var reference = new ReferenceExecutor();
        using var pipeline = World.Pipeline(mode);
        var seq = world.Genesis;
        var par = StateJsonCopy(world.Genesis);
        var seen = new HashSet<TxStatus>();
        for (int b = 0; b < 3; b++)
        {
            var block = world.Next(seq, world.Mix(600, seed: 10 * b + (int)mode));
            var before = StateJsonCopy(seq);
            var expected = await reference.ExecuteAsync(block, seq, TestContext.Current.CancellationToken);
            // A proposal on the same state carries the same effects, and changes nothing.
            var proposed = await pipeline.ProposeAsync(block, par, TestContext.Current.CancellationToken);
            Assert.Equal(expected.Result.Effects, proposed.Result.Effects);
            var got = await pipeline.ExecuteAsync(block, par, TestContext.Current.CancellationToken);
            EffectsAssert.Model(before, block, expected.Result);
            Assert.Equal(expected.Result.Statuses, got.Result.Statuses);
            Assert.Equal(expected.Result.Effects, got.Result.Effects);
            Assert.Equal(expected.Result.StateRoot, got.Result.StateRoot);
            foreach (var s in expected.Result.Statuses) seen.Add(s);
        }
        // The mix reaches every status, so every branch of the effects was compared.
        Assert.Equal(Enum.GetValues<TxStatus>().Length, seen.Count);
    }

    [Fact]
    public void A_transfer_a_swap_and_a_route_show_what_they_moved()
    {
        var world = new World(accounts: 4);
        var a = world.Builders[1];
        var state = world.Genesis;
        Assert.True(state.TryGetPool(0, out var p0));
        var block = world.Next(state, [
            a.Transfer(0, 3, world.Builders[2].Sender, 1, 500).Record,
            a.Swap(1, 4, 0, aToB: true, 1000, 1).Record,
            a.Route(2, 5, [new RouteHop(0, true), new RouteHop(1, true)], 700, 1).Record,
            a.Transfer(3, 6, world.Builders[2].Sender, 1, 1UL << 60).Record,
            a.Transfer(9, 6, world.Builders[2].Sender, 1, 1).Record,
        ]);
        var result = new ReferenceExecutor().Execute(block, state).Result;
        var e = result.Effects!;
        Assert.Equal([TxStatus.Ok, TxStatus.Ok, TxStatus.Ok, TxStatus.InsufficientBalance, TxStatus.BadNonce], result.Statuses);
        Assert.Equal(new TxEffect { Fee = 3, DebitToken = 1, DebitAmount = 500, CreditToken = 1, CreditAmount = 500 }, e[0]);
        // Pool 0 is token 0 / token 1 with 10,000,000 / 5,000,000 and no fee.
        ulong swapOut = 5_000_000UL * 1000 * 10000 / (10_000_000UL * 10000 + 1000 * 10000);
        Assert.Equal(new TxEffect { Fee = 4, DebitToken = p0.TokenA, DebitAmount = 1000, CreditToken = p0.TokenB, CreditAmount = swapOut, AmountOut = swapOut }, e[1]);
        Assert.Equal(e[2].CreditAmount, e[2].AmountOut);
        Assert.Equal((0u, 700UL, 2u), (e[2].DebitToken, e[2].DebitAmount, e[2].CreditToken));
        Assert.Equal(new TxEffect { Fee = 6 }, e[3]);
        Assert.Equal(default, e[4]);
    }

    [Fact]
    public void An_effect_costs_40_bytes_per_transaction() =>
        Assert.Equal(40, System.Runtime.CompilerServices.Unsafe.SizeOf<TxEffect>());

    private static State.WorldState StateJsonCopy(State.WorldState s)
    {
        using var ms = new MemoryStream();
        State.StateJson.WriteDump(s, ms);
        return State.StateJson.Parse(ms.ToArray());
    }
}
