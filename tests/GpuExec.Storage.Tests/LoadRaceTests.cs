using GpuExec.Engine;
using GpuExec.Engine.Devices;
using GpuExec.Generation;
using Xunit;

namespace GpuExec.Storage.Tests;

/// <summary>
/// The load stage reads block N+1's tree buckets while block N commits. A bucket read from disk just
/// before the commit wrote it must not land in the cache after the commit put the new contents
/// there: the next block's root would be computed over a stale bucket.
/// </summary>
public sealed class LoadRaceTests
{
    [Fact]
    public async Task A_bucket_prefetched_across_a_commit_is_not_cached_stale()
    {
        var ct = TestContext.Current.CancellationToken;
        var chain = ReferenceChain.Make(new GeneratorOptions { Accounts = 3000, Signers = 60, TxsPerBlock = 400, Pools = 3, Blocks = 2, Skew = 1.0, Seed = 21 });
        var (genesis, blocks, reference) = (chain.Genesis.Clone(), chain.Blocks, chain.Final);
        string dir = Path.Combine(Path.GetTempPath(), "gpuexec-loadrace-" + Guid.NewGuid().ToString("N")[..10]);
        try
        {
            using var pipeline = new BlockPipeline(new GpuExecOptions { Device = DeviceKind.Cpu, Threads = 2 });
            using var store = RocksDbStateStore.Open(dir, genesis, cacheBytes: 64L << 20);
            var state = store.State;
            var first = await pipeline.ProposeAsync(blocks[0], state, ct);
            var touched = first.State!.Tree.Contents.Buckets.Keys.Order().ToArray();
            Assert.NotEmpty(touched);

            // Nothing cached: the prefetch reads every bucket block 1 changes from disk, and block 1
            // is committed between that read and the caching.
            state.ForgetCaches();
            int commits = 0;
            state.Buckets.AfterPrefetchRead = () =>
            {
                if (Interlocked.Exchange(ref commits, 1) == 0) state.Commit(blocks[0], first.Result, first.State);
            };
            state.Buckets.Prefetch(touched);
            state.Buckets.AfterPrefetchRead = null;
            Assert.Equal(1, commits);
            Assert.Equal(1UL, store.Height);
            // Every bucket the cache now holds is what the store holds (read by another open, from disk).
            using (var disk = RocksDbStateStore.Open(dir, null, readOnly: true, cacheBytes: 0))
            {
                foreach (uint b in touched)
                    Assert.Equal(Leaves(disk.State.Buckets.Get(b)), Leaves(state.Buckets.Get(b)));
            }

            // Block 2 changes many of the same buckets (the same hot senders): its root is the reference's.
            var second = await pipeline.ProposeAsync(blocks[1], state, ct);
            Assert.NotEmpty(second.State!.Tree.Contents.Buckets.Keys.Intersect(touched));
            Assert.Equal(reference.StateRoot, second.Result.StateRoot);
            state.Commit(blocks[1], second.Result, second.State);
            Assert.Equal(reference.StateRoot, store.StateRoot);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static string Leaves(GpuExec.Commitments.TreeLeaf[]? leaves) =>
        leaves is null ? "empty" : string.Join(",", leaves.Select(l => l.Key.ToString() + ":" + l.ValueHash.ToString()));
}
