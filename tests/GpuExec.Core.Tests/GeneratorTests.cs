using GpuExec.Execution;
using GpuExec.Generation;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Core.Tests;

public class GeneratorTests
{
    [Fact]
    public void Generated_chain_executes_to_the_generators_own_state_and_covers_every_status()
    {
        var gen = new BlockGenerator(new GeneratorOptions { Accounts = 50, TxsPerBlock = 3000, Pools = 3, Blocks = 2, InvalidRatio = 0.2, Skew = 1.0, Seed = 7 });
        var state = gen.Genesis.Clone();
        var seen = new HashSet<TxStatus>();
        for (int b = 0; b < 2; b++)
        {
            var block = BlockCodec.Decode(gen.NextBlock());
            var pre = state.Clone();
            var result = SequentialExecutor.Execute(state, block);
            EffectsAssert.Model(pre, block, result);
            foreach (var s in result.Statuses) seen.Add(s);
            Assert.Equal(gen.Current.StateRoot, result.StateRoot);
        }
        Assert.Equal(Enum.GetValues<TxStatus>().Length, seen.Count);
    }

    [Fact]
    public void The_same_seed_gives_the_same_bytes()
    {
        var o = new GeneratorOptions { Accounts = 20, TxsPerBlock = 200, Pools = 2, Seed = 42, InvalidRatio = 0.1 };
        var a = new BlockGenerator(o).NextBlock();
        var b = new BlockGenerator(o).NextBlock();
        Assert.Equal(a, b);
        var c = new BlockGenerator(o with { Seed = 43 }).NextBlock();
        Assert.NotEqual(a, c);
    }

    /// <summary>
    /// With no routes the generator makes, byte for byte, the blocks it made before routes existed
    /// (hashes taken from that version), so workloads and figures recorded then stay comparable.
    /// The parent state root is left out of the hash: it is the only field SPEC v2 changed.
    /// </summary>
    [Fact]
    public void No_routes_gives_the_blocks_of_before_routes()
    {
        static string Hash(params byte[][] blocks)
        {
            using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
            foreach (var b in blocks)
            {
                var copy = (byte[])b.Clone();
                copy.AsSpan(48, 32).Clear(); // parent_state_root
                sha.AppendData(copy);
            }
            return Convert.ToHexString(sha.GetHashAndReset());
        }
        var o = new GeneratorOptions { Accounts = 40, TxsPerBlock = 400, Pools = 3, Skew = 0.8, InvalidRatio = 0.3, Seed = 99, Blocks = 2, RouteRatio = 0 };
        var g = new BlockGenerator(o);
        Assert.Equal("BC557E3245EE6F5EE18DF33DC5D8DAF781B69687647C934B3D1707EC371374A0", Hash(g.NextBlock(), g.NextBlock()));
        // Without pools no route can be made, whatever the ratio.
        var noPools = new BlockGenerator(o with { Pools = 0, Seed = 3, RouteRatio = 0.5 }).NextBlock();
        Assert.Equal("937AD2CB64202BCD764D22AA02F4FCA87303ACF8985B9F20E5F05531A304F331", Hash(noPools));
    }

    [Fact]
    public void Routes_are_chained_through_the_hot_pools_with_every_status_among_them()
    {
        var gen = new BlockGenerator(new GeneratorOptions { Accounts = 60, TxsPerBlock = 4000, Pools = 8, Blocks = 2, RouteRatio = 0.5, SwapRatio = 0.2, InvalidRatio = 0.3, Skew = 1.0, Seed = 11 });
        var state = gen.Genesis.Clone();
        var statuses = new HashSet<TxStatus>();
        var okHops = new HashSet<int>();
        int routes = 0, ok = 0, repeated = 0, cycles = 0;
        var poolUse = new int[8];
        for (int b = 0; b < 2; b++)
        {
            var block = BlockCodec.Decode(gen.NextBlock());
            var result = SequentialExecutor.Execute(state, block);
            Assert.Equal(gen.Current.StateRoot, result.StateRoot);
            for (int i = 0; i < block.Count; i++)
            {
                var rec = block.Record(i);
                if (rec.Length < 2 || rec[1] != (byte)TxKind.Route) continue;
                routes++;
                statuses.Add(result.Statuses[i]);
                if (result.Statuses[i] != TxStatus.Ok) continue;
                ok++;
                var tx = new TransactionView(rec);
                okHops.Add(tx.Hops);
                var ids = new uint[tx.Hops];
                for (int h = 0; h < ids.Length; h++) ids[h] = tx.HopPool(h);
                foreach (var id in ids) poolUse[id]++;
                if (ids.Distinct().Count() < ids.Length) repeated++;
                Assert.True(gen.Genesis.TryGetPool(ids[0], out var first));
                Assert.True(gen.Genesis.TryGetPool(ids[^1], out var last));
                uint tin = tx.HopAToB(0) ? first.TokenA : first.TokenB, tout = tx.HopAToB(tx.Hops - 1) ? last.TokenB : last.TokenA;
                if (tin == tout) cycles++;
            }
        }
        Assert.Equal(Enum.GetValues<TxStatus>().Length, statuses.Count);
        Assert.Equal([1, 2, 3, 4], okHops.Order());
        Assert.InRange(routes, 3000, 5000);
        Assert.True(ok > routes / 2, $"{ok} of {routes} routes applied: most should");
        Assert.True(repeated > 50 && cycles > 50, $"{repeated} routes repeat a pool, {cycles} are cycles");
        Assert.True(poolUse[0] > 3 * poolUse[7], "routes favour the hot pools as swaps do");
    }
}
