using GpuExec.Engine;
using GpuExec.Engine.Devices;
using GpuExec.Generation;
using GpuExec.State;
using GpuExec.Wire;
using Xunit;

namespace GpuExec.Storage.Tests;

/// <summary>
/// A store's state on disk holds its state tree (a gigabyte at 10^8 accounts) and caches: once the
/// store is disposed and the node drops what it was given, nothing the pipeline keeps may hold it.
/// </summary>
public sealed class StoreLifetimeTests
{
    public enum Use { Opened, Streamed, ProposedAndCommitted, ProposedOnly }

    [Theory]
    [InlineData(Use.Opened)]
    [InlineData(Use.Streamed)]
    [InlineData(Use.ProposedAndCommitted)]
    [InlineData(Use.ProposedOnly)]
    public async Task A_disposed_store_is_not_kept_alive_by_the_pipeline(Use use)
    {
        var ct = TestContext.Current.CancellationToken;
        var chain = ReferenceChain.Make(new GeneratorOptions { Accounts = 2000, Signers = 100, TxsPerBlock = 300, Pools = 3, Blocks = 3, Seed = 9 });
        var (genesis, blocks, replay) = (chain.Genesis, chain.Blocks, chain.Final);
        string dir = Path.Combine(Path.GetTempPath(), "gpuexec-lifetime-" + Guid.NewGuid().ToString("N")[..10]);
        try
        {
            using var pipeline = new BlockPipeline(new GpuExecOptions { Device = DeviceKind.Cpu, Threads = 2 });
            var state = await Run(pipeline, genesis, blocks, dir, use, ct);
            // Off the stack that ran the blocks: its frames may still hold what they used.
            await Task.Run(() => { }, ct);
            for (int i = 0; i < 3; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
            Assert.False(state.IsAlive, $"{use}: the store's state is still reachable after the store was disposed");
            bool committed = use is Use.Streamed or Use.ProposedAndCommitted;
            Assert.Equal(committed ? replay.StateRoot : genesis.StateRoot, ReadRoot(dir));
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static Hash32 ReadRoot(string dir)
    {
        using var store = RocksDbStateStore.Open(dir, null, readOnly: true);
        return store.StateRoot;
    }

    private static async Task<WeakReference> Run(BlockPipeline pipeline, WorldState genesis, IReadOnlyList<Block> blocks, string dir, Use use, CancellationToken ct)
    {
        using var store = RocksDbStateStore.Open(dir, genesis, cacheBytes: 1 << 20);
        var weak = new WeakReference(store.State);
        store.State.OpenTree();
        switch (use)
        {
            case Use.Streamed:
                await foreach (var run in pipeline.CommitStreamAsync(blocks, store.State, ct)) Assert.NotNull(run.State);
                break;
            case Use.ProposedAndCommitted:
                foreach (var b in blocks)
                {
                    var run = await pipeline.ProposeAsync(b, store.State, ct);
                    store.State.Commit(b, run.Result, run.State!);
                }
                break;
            case Use.ProposedOnly:
                var proposal = await pipeline.ProposeAsync(blocks[0], store.State, ct);
                var child = await pipeline.ProposeAsync(blocks[1], proposal.State!, ct);
                Assert.Equal(2UL, child.State!.Height);
                break;
        }
        return weak;
    }
}
