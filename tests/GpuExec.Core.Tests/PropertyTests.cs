using System.Text;
using CsCheck;
using GpuExec.Execution;
using GpuExec.Generation;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;
using GpuExec.Commitments;

namespace GpuExec.Core.Tests;

public class PropertyTests
{
    private static readonly Gen<GeneratorOptions> Options =
        Gen.Select(Gen.Int[2, 40], Gen.Int[0, 300], Gen.Int[0, 4], Gen.Double[0, 1], Gen.Double[0, 2], Gen.Double[0, 0.5], Gen.ULong, Gen.Bool)
           .Select((acc, txs, pools, swaps, skew, invalid, seed, collectorSends) => new GeneratorOptions
           {
               Accounts = acc, TxsPerBlock = txs, Pools = pools, SwapRatio = swaps, Skew = skew, InvalidRatio = invalid, Seed = seed,
               CollectorSends = collectorSends,
           })
           .Select(Gen.Double[0, 0.6], (o, routes) => o with { RouteRatio = routes });

    private static Dictionary<uint, UInt128> Supply(WorldState s)
    {
        var d = new Dictionary<uint, UInt128>();
        foreach (var a in s.Accounts)
            for (int i = 0; i < a.EntryCount; i++)
                d[a.TokenAt(i)] = d.GetValueOrDefault(a.TokenAt(i)) + a.AmountAt(i);
        foreach (var p in s.Pools)
        {
            d[p.TokenA] = d.GetValueOrDefault(p.TokenA) + p.ReserveA;
            d[p.TokenB] = d.GetValueOrDefault(p.TokenB) + p.ReserveB;
        }
        foreach (var k in d.Where(kv => kv.Value == 0).Select(kv => kv.Key).ToList()) d.Remove(k);
        return d;
    }

    [Fact]
    public void Per_token_supply_is_conserved_by_every_block()
    {
        Options.Sample(o =>
        {
            var gen = new BlockGenerator(o);
            var state = gen.Genesis.Clone();
            var before = Supply(state);
            SequentialExecutor.Execute(state, BlockCodec.Decode(gen.NextBlock()));
            var after = Supply(state);
            Assert.Equal(before.OrderBy(k => k.Key), after.OrderBy(k => k.Key));
        }, iter: 40, threads: 1);
    }

    [Fact]
    public void Dump_to_genesis_to_dump_is_identical()
    {
        Options.Sample(o =>
        {
            var gen = new BlockGenerator(o);
            var state = gen.Genesis.Clone();
            SequentialExecutor.Execute(state, BlockCodec.Decode(gen.NextBlock()));
            var dump = StateJsonTests.Dump(state);
            var reread = StateJson.Parse(Encoding.UTF8.GetBytes(dump), "dump");
            Assert.Equal(dump, StateJsonTests.Dump(reread));
            Assert.Equal(state.StateRoot, reread.StateRoot);
            Assert.Equal(state.Height, reread.Height);
        }, iter: 40, threads: 1);
    }

    [Fact]
    public void Decoding_random_bytes_throws_only_the_format_error()
    {
        var valid = new BlockGenerator(new GeneratorOptions { Accounts = 5, TxsPerBlock = 5, Seed = 3 }).NextBlock();
        // Random bytes, random bytes behind a valid magic, and mutations of a valid block.
        var gen = Gen.OneOf(
            Gen.Byte.Array[0, 400],
            Gen.Byte.Array[0, 400].Select(b => (byte[])[.. "GXB1"u8, .. b]),
            Gen.Select(Gen.Int[0, valid.Length - 1], Gen.Byte, Gen.Int[0, valid.Length]).Select((i, v, cut) =>
            {
                var b = (byte[])valid.Clone();
                b[i] = v;
                return b[..cut];
            }));
        gen.Sample(bytes =>
        {
            try
            {
                var block = BlockCodec.Decode(bytes);
                for (int i = 0; i < block.Count; i++) _ = TxRules.Precheck(block.Record(i), 1);
            }
            catch (BlockFormatException) { }
        }, iter: 5000);
    }

    [Fact]
    public void Precheck_never_throws_on_random_records()
    {
        Gen.Byte.Array[0, 200].Sample(r =>
        {
            var status = TxRules.Precheck(r, 1);
            Assert.True(status is TxStatus.Ok or TxStatus.Malformed or TxStatus.WrongChain);
            if (status == TxStatus.Ok) Assert.True(r[1] == 3 ? r.Length == TransactionView.RouteSize(r[54]) : r.Length is TransactionView.TransferSize or TransactionView.SwapSize);
        }, iter: 5000);
    }
}

public class IncrementalStateRootTests
{
    /// <summary>
    /// After any sequence of blocks' change sets (accounts created, changed, emptied, created and
    /// left empty; pools' reserves moved), the root kept from the change sets equals the root of
    /// the same contents computed from scratch.
    /// </summary>
    [Fact]
    public void Incremental_root_equals_the_root_from_scratch()
    {
        Gen.Select(Gen.Int[0, 300], Gen.ULong, Gen.Int[1, 8]).Sample((initial, seed, rounds) =>
        {
            var rng = new DeterministicRandom(seed);
            var state = new WorldState(1);
            var addrs = new List<Address>();
            var b = new byte[32];
            Address NewAddress() { rng.Fill(b); var a = new Address(b); addrs.Add(a); return a; }
            for (int i = 0; i < initial; i++) state.GenesisAccount(NewAddress()).SetBalance((uint)rng.Below(3UL), 1 + rng.Below(100UL));
            for (uint p = 0; p < rng.Below(3UL); p++)
                state.SetPool(new Pool { Id = p, TokenA = 1, TokenB = 2, ReserveA = 10, ReserveB = 10, FeeBps = 3 });
            Assert.Equal(state.Rebuilt().StateRoot, state.StateRoot);
            for (int r = 0; r < rounds; r++)
            {
                int changes = rng.Below(20);
                state.Edit(set =>
                {
                    for (int c = 0; c < changes; c++)
                    {
                        switch (rng.Below(5))
                        {
                            case 0: set.Account(NewAddress()).SetBalance(0, 1 + rng.Below(9UL)); break;
                            case 1: set.Account(NewAddress()); break; // touched, left empty: no leaf, no change
                            case 2 when addrs.Count > 0: set.Account(addrs[rng.Below(addrs.Count)]).Nonce++; break;
                            case 3 when addrs.Count > 0:
                                var acc = set.Account(addrs[rng.Below(addrs.Count)]);
                                for (int e = 0; e < acc.EntryCount; e++) acc.SetBalance(acc.TokenAt(e), 0);
                                if (rng.Chance(0.5)) acc.Nonce = 0; // may lose its leaf
                                break;
                            case 4 when state.PoolCount > 0: set.Pool(state.Pools.First().Id).ReserveA++; break;
                        }
                    }
                });
                Assert.Equal(state.Rebuilt().StateRoot, state.StateRoot);
            }
        }, iter: 300);
    }

    /// <summary>SPEC section 6 written out: every leaf's key and data, then the SPEC's recursion (<see cref="SpecTree"/>), one node at a time.</summary>
    private static Hash32 ReferenceStateRoot(WorldState state)
    {
        var leaves = new List<(byte[], byte[])>();
        foreach (var a in state.Accounts.Where(a => !a.IsEmpty))
        {
            var leaf = new byte[LeafEncoding.AccountLeafSize(a)];
            LeafEncoding.WriteAccountLeaf(a, leaf);
            leaves.Add((SpecTree.KeyOf(leaf), leaf));
        }
        foreach (var p in state.Pools)
        {
            var leaf = new byte[LeafEncoding.PoolLeafSize];
            LeafEncoding.WritePoolLeaf(p, leaf);
            leaves.Add((SpecTree.KeyOf(leaf), leaf));
        }
        return new Hash32(SpecTree.Root(leaves));
    }

    /// <summary>
    /// The kept root, whose leaves and nodes are hashed in batches on all cores, equals the
    /// specification's root hashed one leaf and node at a time: a state large enough that buckets
    /// are planned in chunks across threads, through rounds that touch a few accounts, most of
    /// them, and add new ones.
    /// </summary>
    [Fact]
    public void Root_equals_the_specification_hashed_one_node_at_a_time()
    {
        var rng = new DeterministicRandom(7);
        var state = new WorldState(1);
        var addrs = new List<Address>();
        var b = new byte[32];
        WorkingSet? set = null;
        void Add(int count)
        {
            for (int i = 0; i < count; i++)
            {
                rng.Fill(b);
                var a = new Address(b);
                addrs.Add(a);
                if (state.IsLive) set!.Account(a).SetBalance((uint)rng.Below(4UL), 1 + rng.Below(1000UL));
                else state.GenesisAccount(a).SetBalance((uint)rng.Below(4UL), 1 + rng.Below(1000UL));
            }
        }
        Add(20_000);
        state.SetPool(new Pool { Id = 3, TokenA = 1, TokenB = 2, ReserveA = 10, ReserveB = 20, FeeBps = 30 });
        Assert.Equal(ReferenceStateRoot(state), state.StateRoot);
        foreach (int touched in new[] { 3, 9_000, 20_000, 100 })
        {
            state.Edit(s =>
            {
                for (int c = 0; c < touched; c++)
                {
                    var acc = s.Account(addrs[rng.Below(addrs.Count)]);
                    if (rng.Chance(0.5)) acc.Nonce++;
                    else acc.SetBalance(7 + (uint)rng.Below(3UL), rng.Below(5UL));
                }
            });
            Assert.Equal(ReferenceStateRoot(state), state.StateRoot);
        }
        state.Edit(s =>
        {
            set = s;
            Add(5_000);
            s.Pool(3).ReserveB++;
        });
        Assert.Equal(ReferenceStateRoot(state), state.StateRoot);
    }
}
