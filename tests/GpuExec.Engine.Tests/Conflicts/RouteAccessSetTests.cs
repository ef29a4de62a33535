using GpuExec.Engine.Conflicts;
using GpuExec.Engine.Execute;
using GpuExec.Engine.Schedule;
using GpuExec.Generation;
using GpuExec.Kernels.Conflicts;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Engine.Tests;

/// <summary>
/// Access sets of routes (several pools per transaction) as <see cref="AccessSetBuilder"/> builds
/// them from real blocks: the keys each position names, repeated pools and cycles held once,
/// routes that will fail UNKNOWN_POOL or BAD_ROUTE naming only the fee keys, costs, the
/// dependency graph on both detectors against the naive reference, and the slot state's guard.
/// </summary>
[Collection(IlgpuCollection.Name)]
public class RouteAccessSetTests(IlgpuFixture ilgpu)
{
    private static readonly Signer[] S = Blocks.Signers(10, 500);
    private static readonly Signer Collector = new(999);

    private static WorldState Genesis() => Blocks.Genesis(S, 1_000_000, tokens: 3, pools: 5);

    private static readonly TxStatus[] AllOk = new TxStatus[64];

    private static (AccessSets Sets, Block Block, WorldState State) Build(params byte[][] records)
    {
        var state = Genesis();
        var block = Blocks.Encode(state, Collector.Address, [.. records]);
        return (AccessSetBuilder.Build(state, block, AllOk.AsSpan(0, records.Length)), block, state);
    }

    /// <summary>Per position of <paramref name="tx"/>: the key and mode its record holds, or null when the position names no key of its own; and the alias table.</summary>
    private static ((ulong Key, AccessMode Mode)?[] Held, byte[] Alias) Declared(AccessSets sets, int tx)
    {
        var held = new (ulong, AccessMode)?[AccessSets.Stride];
        for (int r = 0; r < sets.RecordCount; r++)
        {
            var rec = sets.Records[r];
            if (rec.Tx == tx) held[rec.Position] = (sets.Keys[r], rec.Mode);
        }
        return (held, sets.Alias.AsSpan(tx * AccessSets.Stride, AccessSets.Stride).ToArray());
    }

    private static int Id(AccessSets sets, Address a) => Array.IndexOf(sets.Addresses, a, 0, sets.AccountCount);

    [Fact]
    public void A_route_declares_its_ends_and_every_hop_pool_once()
    {
        // 0 -> 1 (pool 0), then 1 -> 2, 2 -> 1, 1 -> 2, all through pool 1.
        var (sets, _, _) = Build(S[1].Route(Blocks.Chain, 0, 1, [0, 1, 1, 1], [true, true, false, true], 100, 0));
        var (held, alias) = Declared(sets, 0);
        int s = Id(sets, S[1].Address);
        Assert.Equal((StateKey.Nonce(s), AccessMode.Write), held[AccessSets.PosNonce]);
        Assert.Equal((StateKey.Balance(s, 0), AccessMode.Write), held[AccessSets.PosFee]);
        Assert.Equal((StateKey.Balance(Id(sets, Collector.Address), 0), AccessMode.Add), held[AccessSets.PosCollector]);
        // The input token is the fee token: the debit is held by the fee position.
        Assert.Null(held[AccessSets.PosDebit]);
        Assert.Equal(AccessSets.PosFee, alias[AccessSets.PosDebit]);
        Assert.Equal((StateKey.Balance(s, 2), AccessMode.Add), held[AccessSets.PosCredit]);
        Assert.Equal((StateKey.Pool(0), AccessMode.Write), held[AccessSets.PosPool]);
        Assert.Equal((StateKey.Pool(1), AccessMode.Write), held[AccessSets.PosPool + 1]);
        Assert.Null(held[AccessSets.PosPool + 2]);
        Assert.Null(held[AccessSets.PosPool + 3]);
        Assert.Equal(AccessSets.PosPool + 1, alias[AccessSets.PosPool + 2]);
        Assert.Equal(AccessSets.PosPool + 1, alias[AccessSets.PosPool + 3]);
        Assert.Equal(5, sets.Cost[0]);
        Assert.Equal(6, sets.RecordCount);
        int[] ordinals = sets.TxPools[..4];
        Assert.Equal(new uint[] { 0, 1, 1, 1 }, ordinals.Select(o => sets.Pools[o].Id).ToArray());
        Assert.All(ordinals, o => Assert.True(sets.PoolExists[o]));
    }

    [Fact]
    public void A_cycle_debits_and_credits_one_key_as_a_write()
    {
        var (sets, _, _) = Build(S[2].Route(Blocks.Chain, 0, 1, [1, 2, 2, 1], [true, true, false, false], 100, 0)); // 1 -> 2 -> 3 -> 2 -> 1
        var (held, alias) = Declared(sets, 0);
        int s = Id(sets, S[2].Address);
        Assert.Equal((StateKey.Balance(s, 1), AccessMode.Write), held[AccessSets.PosDebit]);
        Assert.Null(held[AccessSets.PosCredit]);
        Assert.Equal(AccessSets.PosDebit, alias[AccessSets.PosCredit]);
        Assert.Equal(5, sets.Cost[0]);
    }

    [Fact]
    public void Routes_that_will_fail_on_their_pools_name_only_the_fee_keys()
    {
        var (sets, _, _) = Build(
            S[1].Route(Blocks.Chain, 0, 1, [0, 7, 1], [true, true, true], 100, 0),   // UNKNOWN_POOL at hop 1
            S[2].Route(Blocks.Chain, 0, 1, [0, 2], [true, true], 100, 0),           // BAD_ROUTE: 0 -> 1, then 2 -> 3
            S[3].Swap(Blocks.Chain, 0, 1, 8, true, 100, 0));                        // UNKNOWN_POOL swap
        for (int tx = 0; tx < 3; tx++)
        {
            var (held, _) = Declared(sets, tx);
            Assert.All(held.Skip(3), h => Assert.Null(h));
            Assert.Equal(1, sets.Cost[tx]);
        }
        // The pools they name are still known by ordinal, existing or not, for the rules' existence and token checks.
        int o = sets.TxPools[1];
        Assert.Equal((7u, false), (sets.Pools[o].Id, sets.PoolExists[o]));
        Assert.Equal(AccessSets.NoPool, sets.TxPools[3]);
        Assert.Equal((8u, false), (sets.Pools[sets.TxPools[2 * AccessSets.MaxPools]].Id, sets.PoolExists[sets.TxPools[2 * AccessSets.MaxPools]]));
        Assert.Equal(9, sets.RecordCount); // three keys each; the collector's credit is one key per transaction
    }

    [Fact]
    public void Routes_conflict_exactly_on_the_pools_they_share()
    {
        var (sets, _, _) = Build(
            S[1].Route(Blocks.Chain, 0, 1, [0, 1], [true, true], 100, 0),          // pools 0, 1
            S[2].Route(Blocks.Chain, 0, 1, [2, 3], [true, true], 100, 0),          // pools 2, 3
            S[3].Swap(Blocks.Chain, 0, 1, 1, true, 100, 0),                        // pool 1: after tx 0
            S[4].Route(Blocks.Chain, 0, 1, [3, 0, 4], [true, true, false], 100, 0), // pools 3, 0, 4: after txs 0 and 1
            S[5].Route(Blocks.Chain, 0, 1, [1, 3], [true, true], 100, 0),          // BAD_ROUTE: no pool, so no wait
            S[6].Route(Blocks.Chain, 0, 1, [4, 4, 4, 4], [true, false, true, false], 100, 0)); // pool 4 four times: after tx 3
        int[] expected = [0, 0, 1, 1, 0, 2];
        var cpu = new CpuConflictDetector().Detect(sets);
        Assert.Equal(expected, LevelScheduler.Levels(sets, cpu, out int cp));
        Assert.Equal(3, cp);
        using var gpu = new IlgpuConflictDetector(ilgpu.Accelerator);
        var g = gpu.Detect(sets);
        Assert.Equal(cpu.SortedRecords, g.SortedRecords);
        Assert.Equal(cpu.Predecessors, g.Predecessors);
        Assert.Equal(cpu.RecordSlots, g.RecordSlots);
        Assert.Equal(expected, LevelScheduler.Levels(sets, g, out _));
        var preds = new List<int>();
        cpu.PredecessorsOf(3, preds);
        Assert.Equal([0, 1], preds.Distinct().Order());
    }

    /// <summary>
    /// The keys SPEC section 4 lets each transaction touch, written from the transaction and the
    /// pre-state alone, position by position; the builder must declare exactly these.
    /// </summary>
    private static (ulong[] Keys, AccessMode[] Modes) NaiveDeclarations(WorldState state, Block block, AccessSets sets)
    {
        int n = block.Count;
        var keys = new ulong[n * AccessSets.Stride];
        var modes = new AccessMode[keys.Length];
        int collector = Id(sets, block.Header.FeeCollector);
        for (int i = 0; i < n; i++)
        {
            var tx = new TransactionView(block.Record(i));
            int s = Id(sets, tx.Sender), at = i * AccessSets.Stride;
            void Put(int pos, ulong key, AccessMode mode) { keys[at + pos] = key; modes[at + pos] = mode; }
            Put(0, StateKey.Nonce(s), AccessMode.Write);
            Put(1, StateKey.Balance(s, 0), AccessMode.Write);
            Put(2, StateKey.Balance(collector, 0), AccessMode.Add);
            if (tx.Kind == TxKind.Transfer)
            {
                Put(3, StateKey.Balance(s, tx.Token), AccessMode.Write);
                Put(4, StateKey.Balance(Id(sets, tx.To), tx.Token), AccessMode.Add);
                continue;
            }
            bool swap = tx.Kind == TxKind.Swap;
            int hops = swap ? 1 : tx.Hops;
            var ids = new uint[hops];
            var path = new List<(uint In, uint Out)>();
            for (int h = 0; h < hops; h++)
            {
                ids[h] = swap ? tx.PoolId : tx.HopPool(h);
                bool aToB = swap ? tx.AToB : tx.HopAToB(h);
                if (path.Count == h && state.TryGetPool(ids[h], out var p)) path.Add(aToB ? (p.TokenA, p.TokenB) : (p.TokenB, p.TokenA));
            }
            if (path.Count < hops) continue;
            if (Enumerable.Range(1, hops - 1).Any(h => path[h].In != path[h - 1].Out)) continue;
            Put(3, StateKey.Balance(s, path[0].In), AccessMode.Write);
            Put(4, StateKey.Balance(s, path[^1].Out), AccessMode.Add);
            for (int h = 0; h < hops; h++) Put(5 + h, StateKey.Pool(ids[h]), AccessMode.Write);
        }
        return (keys, modes);
    }

    [Fact]
    public void Random_route_blocks_declare_the_naive_keys_and_detect_like_the_reference()
    {
        using var gpu = new IlgpuConflictDetector(ilgpu.Accelerator);
        var cpu = new CpuConflictDetector();
        var rng = new DeterministicRandom(17);
        for (int round = 0; round < 30; round++)
        {
            var state = RouteDifferentialTests.Genesis(200_000);
            var block = RouteDifferentialTests.RandomBlock(state, rng, 40);
            var statuses = new TxStatus[block.Count];
            var sets = AccessSetBuilder.Build(state, block, statuses);
            var (keys, modes) = NaiveDeclarations(state, block, sets);
            var declared = AccessSetBuilder.FromDeclared(block.Count, keys, modes);
            Assert.Equal(declared.Keys.AsSpan(0, declared.RecordCount).ToArray(), sets.Keys.AsSpan(0, sets.RecordCount).ToArray());
            Assert.Equal(declared.Records.AsSpan(0, declared.RecordCount).ToArray(), sets.Records.AsSpan(0, sets.RecordCount).ToArray());
            Assert.Equal(declared.Alias, sets.Alias);
            Assert.Equal(declared.Cost, sets.Cost);
            var graph = round % 3 == 0 ? gpu.Detect(sets) : cpu.Detect(sets);
            ConflictDetectionTests.CheckAgainstNaive(block.Count, keys, modes, graph, sets);
        }
    }

    [Fact]
    public void The_slot_state_gives_tokens_of_named_pools_and_reserves_only_of_declared_ones()
    {
        var (sets, _, _) = Build(
            S[1].Route(Blocks.Chain, 0, 1, [0, 2], [true, true], 100, 0),   // BAD_ROUTE: pools 0 and 2 named, not declared
            S[2].Route(Blocks.Chain, 0, 1, [1, 2], [true, true], 100, 0));  // valid: pools 1 and 2 declared
        var graph = new CpuConflictDetector().Detect(sets);
        var table = SlotTable.Load(sets, graph, new ParallelOptions { MaxDegreeOfParallelism = 1 });
        var bad = new SlotTxState(table, 0, exclusive: true);
        Assert.True(bad.TryGetPoolTokens(2, out uint a, out uint b));
        Assert.Equal((2u, 3u), (a, b));
        Assert.Throws<InvalidOperationException>(() => { var st = new SlotTxState(table, 0, exclusive: true); st.TryGetPool(2, out _); });
        Assert.Throws<InvalidOperationException>(() => { var st = new SlotTxState(table, 0, exclusive: true); st.TryGetPoolTokens(1, out _, out _); });
        var good = new SlotTxState(table, 1, exclusive: true);
        Assert.True(good.TryGetPool(2, out var pool));
        Assert.Equal(10_000_000UL, pool.ReserveA);
        good.SetPoolReserves(2, 1, 2);
        Assert.True(good.TryGetPool(2, out pool));
        Assert.Equal((1UL, 2UL), (pool.ReserveA, pool.ReserveB));
        Assert.Throws<InvalidOperationException>(() => { var st = new SlotTxState(table, 1, exclusive: true); st.SetPoolReserves(0, 1, 1); });
    }

    [Fact]
    public void A_one_lane_plan_costs_a_route_one_plus_its_hops()
    {
        var (sets, _, _) = Build(
            S[1].Transfer(Blocks.Chain, 0, 1, S[2].Address, 1, 5),
            S[2].Swap(Blocks.Chain, 0, 1, 0, true, 100, 0),
            S[3].Route(Blocks.Chain, 0, 1, [0, 1, 2], [true, true, true], 100, 0),
            S[4].Route(Blocks.Chain, 0, 1, [0, 2], [true, true], 100, 0)); // BAD_ROUTE
        Assert.Equal([1, 2, 4, 1], sets.Cost);
        var graph = new CpuConflictDetector().Detect(sets);
        Assert.Equal(8, LaneScheduler.Plan(sets, graph, 1).Makespan);
    }
}
