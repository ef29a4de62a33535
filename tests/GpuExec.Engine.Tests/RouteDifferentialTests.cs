using GpuExec.Engine.Devices;
using GpuExec.Execution;
using GpuExec.Generation;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Engine.Tests;

/// <summary>
/// Routes (kind 3) through the shipped pipeline == the sequential reference: hand-made blocks where
/// routes share hot pools with swaps, repeat pools, cycle, pay or receive the fee token and fail in
/// every way; and random chains of routes, swaps and transfers. In lanes with 1, 2 and 4 threads,
/// in order, and on the ILGPU emulator (the conflict kernels).
/// </summary>
[Collection(IlgpuCollection.Name)]
public class RouteDifferentialTests(IlgpuFixture ilgpu)
{
    public static TheoryData<bool, int, ApplyMode> Configs => new()
    {
        { false, 1, ApplyMode.Lanes }, { false, 2, ApplyMode.Lanes }, { false, 4, ApplyMode.Lanes },
        { false, 2, ApplyMode.InOrder }, { true, 1, ApplyMode.Lanes }, { true, 2, ApplyMode.Lanes }, { true, 4, ApplyMode.Lanes },
    };

    private ComputeDevice? Dev(bool useIlgpu) => useIlgpu ? ilgpu.Device : null;

    private static readonly Signer[] S = Blocks.Signers(10, 500);

    /// <summary>Tokens 0..3; pools 0..4 chain (0,1) (1,2) (2,3) (3,0) (0,1) (see <see cref="Blocks.Genesis"/>).</summary>
    internal static WorldState Genesis(ulong balance = 1_000_000) => Blocks.Genesis(S, balance, tokens: 3, pools: 5);

    [Theory, MemberData(nameof(Configs))]
    public void Routes_on_hot_pools_with_every_status(bool useIlgpu, int threads, ApplyMode mode)
    {
        var pre = Genesis();
        var recs = new List<byte[]>();
        var nonce = new ulong[S.Length];
        byte[] R(int s, ulong fee, uint[] pools, bool[] dir, ulong amount, ulong minOut) =>
            S[s].Route(Blocks.Chain, nonce[s]++, fee, pools, dir, amount, minOut);
        for (int round = 0; round < 6; round++)
        {
            int a = round % 5, b = (round + 3) % 5;
            recs.Add(R(a, 2, [0, 1, 2, 3], [true, true, true, true], 10_000, 1));          // 0->1->2->3->0: a cycle on the fee token
            recs.Add(R(b, 1, [1, 1], [true, false], 5_000, 0));                            // one pool twice, there and back
            recs.Add(S[a].Swap(Blocks.Chain, nonce[a]++, 1, 1, false, 3_000, 0));         // a swap between routes on the same pool
            recs.Add(R(a, 1, [4, 0], [true, false], 2_000, 0));                            // 0->1 on pool 4, 1->0 on pool 0
            recs.Add(R(b, 1, [2, 9], [true, true], 100, 0));                               // UNKNOWN_POOL
            recs.Add(R(b, 1, [0, 2], [true, true], 100, 0));                               // BAD_ROUTE
            recs.Add(R(a, 1, [1, 2], [true, true], 2_000_000, 0));                         // INSUFFICIENT_BALANCE
            recs.Add(R(b, 1, [0, 1, 2], [true, true, true], 1, 0));                        // ZERO_OUTPUT
            recs.Add(R(a, 1, [2, 3], [true, true], 1_000, ulong.MaxValue));                // SLIPPAGE
            recs.Add(R(6 + round % 3, 3, [3, 0, 1], [true, true, true], 7_000, 1));        // 3->0->1->2 from a quiet sender
            recs.Add(S[9].Transfer(Blocks.Chain, nonce[9]++, 1, S[a].Address, 2, 500));    // feeds a route's input token
            var malformed = R(b, 1, [0, 1], [true, true], 10, 0);
            malformed[54] = 3; // hop count that does not match the length
            recs.Add(malformed);
            nonce[b]--;
        }
        // The collector routes too: its route reads the fee balance every earlier transaction credited.
        recs.Add(R(0, 1, [3, 2, 1, 0], [false, false, false, false], 50_000, 0));
        var block = Blocks.Encode(pre, S[0].Address, recs);
        Blocks.AssertSame(pre, block, threads, Dev(useIlgpu), repeats: 2, mode);
        var statuses = SequentialExecutor.Execute(pre.Clone(), block).Statuses;
        foreach (var s in new[] { TxStatus.Ok, TxStatus.UnknownPool, TxStatus.BadRoute, TxStatus.InsufficientBalance, TxStatus.ZeroOutput, TxStatus.Slippage, TxStatus.Malformed })
            Assert.Contains(s, statuses);
    }

    [Theory, MemberData(nameof(Configs))]
    public async Task Random_chains_of_routes_swaps_and_transfers(bool useIlgpu, int threads, ApplyMode mode)
    {
        for (ulong seed = 1; seed <= (useIlgpu ? 2UL : 4UL); seed++)
        {
            var genesis = Genesis(balance: 200_000);
            var rng = new DeterministicRandom(seed * 7919 + (ulong)threads);
            var state = genesis.Clone();
            var blocks = new List<Block>();
            var routeStatuses = new HashSet<TxStatus>();
            for (int b = 0; b < 3; b++)
            {
                var block = RandomBlock(state, rng, 150);
                Blocks.AssertSame(state, block, threads, Dev(useIlgpu), 1, mode);
                var result = SequentialExecutor.Execute(state, block);
                for (int i = 0; i < block.Count; i++)
                    if (new TransactionView(block.Record(i)).Kind == TxKind.Route) routeStatuses.Add(result.Statuses[i]);
                blocks.Add(block);
            }
            // The chain exercises routes that apply and routes that fail in every way the state can make them.
            Assert.Superset(new HashSet<TxStatus> { TxStatus.Ok, TxStatus.UnknownPool, TxStatus.BadRoute, TxStatus.InsufficientBalance, TxStatus.ZeroOutput, TxStatus.Slippage }, routeStatuses);
            await Blocks.AssertStreamSame(genesis, blocks, threads, Dev(useIlgpu), mode);
        }
    }

    /// <summary>
    /// A random block on <paramref name="state"/>: half routes of 1-4 hops (mostly chained, some
    /// broken, some through pools that do not exist, amounts sometimes over the balance, min_out
    /// sometimes out of reach), the rest swaps and transfers, among few senders so that nonces,
    /// balances and pools chain; the collector is one of the senders.
    /// </summary>
    internal static Block RandomBlock(WorldState state, DeterministicRandom rng, int count)
    {
        var pools = state.Pools.OrderBy(p => p.Id).ToArray();
        var nonce = S.Select(s => state.TryGetAccount(s.Address)?.Nonce ?? 0).ToArray();
        var recs = new List<byte[]>();
        Span<uint> ids = stackalloc uint[4];
        Span<bool> dirs = stackalloc bool[4];
        for (int i = 0; i < count; i++)
        {
            int s = rng.Below(S.Length);
            ulong fee = rng.Below(5UL);
            ulong amount = rng.Chance(0.1) ? 1_000_000 + rng.Below(1_000_000UL) : rng.Chance(0.05) ? rng.Below(2UL) : rng.Below(30_000UL);
            ulong minOut = rng.Chance(0.2) ? rng.Below(40_000UL) : 0;
            double kind = rng.NextDouble();
            if (kind < 0.5)
            {
                int hops = 1 + rng.Below(4);
                uint token = (uint)rng.Below(4);
                for (int h = 0; h < hops; h++)
                {
                    Pool p;
                    if (rng.Chance(0.85))
                    {
                        // A pool that takes the current token: chained.
                        var takes = pools.Where(q => q.TokenA == token || q.TokenB == token).ToArray();
                        p = takes[rng.Below(takes.Length)];
                    }
                    else p = pools[rng.Below(pools.Length)];
                    ids[h] = rng.Chance(0.04) ? 100 + (uint)rng.Below(3) : p.Id;
                    dirs[h] = p.TokenA == token ? true : p.TokenB == token ? false : rng.Chance(0.5);
                    token = dirs[h] ? p.TokenB : p.TokenA;
                }
                recs.Add(S[s].Route(Blocks.Chain, nonce[s]++, fee, ids[..hops], dirs[..hops], amount, minOut));
            }
            else if (kind < 0.75)
                recs.Add(S[s].Swap(Blocks.Chain, nonce[s]++, fee, (uint)rng.Below(pools.Length + 1), rng.Chance(0.5), amount, minOut));
            else
                recs.Add(S[s].Transfer(Blocks.Chain, nonce[s]++, fee, S[rng.Below(S.Length)].Address, (uint)rng.Below(4), amount));
        }
        return Blocks.Encode(state, S[rng.Below(S.Length)].Address, recs);
    }
}
