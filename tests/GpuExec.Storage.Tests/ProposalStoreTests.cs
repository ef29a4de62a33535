using GpuExec.Engine;
using GpuExec.Engine.Devices;
using GpuExec.Execution;
using GpuExec.Generation;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Storage.Tests;

/// <summary>Proposals (blocks executed without changing the state) committed to the RocksDB store.</summary>
public class ProposalStoreTests
{
    private static (WorldState Genesis, Block[] Chain, Block Sibling) Fork()
    {
        var gen = new BlockGenerator(new GeneratorOptions { Accounts = 120, TxsPerBlock = 400, Pools = 4, Blocks = 3, InvalidRatio = 0.1, Skew = 0.8, RouteRatio = 0.2, Seed = 21 });
        var genesis = gen.Genesis.Clone();
        var chain = new[] { BlockCodec.Decode(gen.NextBlock()), BlockCodec.Decode(gen.NextBlock()) };
        var other = new BlockGenerator(new GeneratorOptions { Accounts = 120, TxsPerBlock = 300, Pools = 4, Blocks = 1, Skew = 0.3, RouteRatio = 0.1, Seed = 21 }); // same seed and sizes: the same genesis
        return (genesis, chain, BlockCodec.Decode(other.NextBlock()));
    }

    private static string Dump(WorldState s)
    {
        using var ms = new MemoryStream();
        StateJson.WriteDump(s, ms);
        return Convert.ToBase64String(ms.ToArray());
    }

    /// <summary>
    /// A store commits a proposal's result exactly as an executed block's: the RocksDB store, reopened,
    /// holds the reference's state after the chain, and a proposal that was dropped left no trace.
    /// </summary>
    [Fact]
    public async Task Proposals_commit_to_a_store()
    {
        var (genesis, chain, sibling) = Fork();
        var dir = Path.Combine(Path.GetTempPath(), "gpuexec-proposal-" + Guid.NewGuid().ToString("N")[..10]);
        try
        {
            using var pipeline = new BlockPipeline(new GpuExecOptions { Device = DeviceKind.Cpu, Threads = 2 });
            using (var store = RocksDbStateStore.Open(dir, genesis.Clone()))
            {
                var state = store.Load();
                var p1 = await pipeline.ProposeAsync(chain[0], state, TestContext.Current.CancellationToken);
                _ = await pipeline.ProposeAsync(sibling, state, TestContext.Current.CancellationToken); // dropped
                var p2 = await pipeline.ProposeAsync(chain[1], p1.State!, TestContext.Current.CancellationToken);
                foreach (var p in new[] { p1, p2 })
                {
                    store.CommitBlock(p.Block, p.Result);
                    state.Commit(p.State!);
                }
            }
            var reference = genesis.Clone();
            SequentialExecutor.Execute(reference, chain[0]);
            SequentialExecutor.Execute(reference, chain[1]);
            using var reopened = RocksDbStateStore.Open(dir, null, readOnly: true);
            Assert.Equal(Dump(reference), Dump(reopened.Load()));
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
    }

}
