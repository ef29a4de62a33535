using GpuExec.Commitments;
using GpuExec.Engine;
using GpuExec.Engine.Devices;
using GpuExec.Execution;
using GpuExec.Generation;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Storage.Tests;

/// <summary>
/// The state read from disk (<see cref="StoreState"/>): a chain executed on a store, through every
/// executor and cache size, gives the reference's receipts, roots and state; a store created in bulk
/// holds the genesis; the state tree reopens from its snapshot and journal or, without them, from
/// its buckets.
/// </summary>
public class StoreStateTests
{
    /// <summary>Signers, holders without keys (received into), new accounts (the fee collector), routes and every refusal.</summary>
    private static ReferenceChain MakeChain(int blocks = 4, ulong seed = 5) => ReferenceChain.Make(new GeneratorOptions
    {
        Accounts = 3000, Signers = 150, TxsPerBlock = 500, Pools = 5, Blocks = blocks, InvalidRatio = 0.1, Skew = 0.6, RouteRatio = 0.2, Seed = seed,
    });

    private static string Dump(Action<Stream> write)
    {
        using var ms = new MemoryStream();
        write(ms);
        return Convert.ToBase64String(ms.ToArray());
    }

    private static string NewDir() => Path.Combine(Path.GetTempPath(), "gpuexec-storestate-" + Guid.NewGuid().ToString("N")[..10]);

    private static void Delete(string dir)
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    private static RocksDbStateStore CreateStore(string dir, ReferenceChain c, long cacheBytes, long memoryBytes = 1L << 30) =>
        RocksDbStateStore.Create(dir, c.Genesis.ChainId, 0, c.Generator.GenesisAccounts, c.Generator.GenesisPools, memoryBytes, cacheBytes);

    private static void AssertSame(BlockResult expected, BlockResult actual)
    {
        Assert.Equal(expected.StateRoot, actual.StateRoot);
        Assert.Equal(expected.Statuses, actual.Statuses);
        Assert.Equal(expected.TxIds, actual.TxIds);
        ChangeSetAssert.Equal(expected.Changes, actual.Changes);
    }

    /// <summary>
    /// Bulk creation (sorted table files, the tree's buckets in many passes) gives the genesis the
    /// state in memory has: its root, dump, and the same proofs for signers, holders and absent keys.
    /// </summary>
    [Fact]
    public void A_store_created_in_bulk_holds_the_genesis()
    {
        var c = MakeChain(blocks: 1);
        var dir = NewDir();
        try
        {
            // 64 KiB of leaves a pass: the bucket build runs in dozens of passes.
            using var store = CreateStore(dir, c, cacheBytes: 1 << 20, memoryBytes: 64 << 10);
            Assert.Equal(c.Genesis.StateRoot, store.StateRoot);
            Assert.Equal(0UL, store.Height);
            Assert.Equal(Dump(s => StateJson.WriteDump(c.Genesis, s)), Dump(store.WriteDump));
            foreach (var i in new[] { 0, 7, 149, 150, 151, 1700, 2999 })
            {
                var who = c.Generator.AccountAddress(i);
                Assert.Equal(Json(c.Genesis.GetProof(who)), Json(store.State.GetProof(who)));
            }
            var absent = new Address(Enumerable.Repeat((byte)0xA5, 32).ToArray());
            var proof = store.State.GetProof(absent);
            Assert.Null(proof.Data);
            Assert.Equal(Json(c.Genesis.GetProof(absent)), Json(proof));
            Assert.Equal(Json(c.Genesis.GetProof(3u)), Json(store.State.GetProof(3u)));
        }
        finally { Delete(dir); }
    }

    /// <summary>
    /// Accounts whose keys were ground to share their first 16 bits (a store's smallest depth) all fall into one bucket of the
    /// tree: bulk creation puts that crowded bucket in key order, as the tree in memory does (the
    /// store's root is checked against the genesis', and their proofs agree).
    /// </summary>
    [Fact]
    public void A_bucket_crowded_by_ground_keys_is_built_in_key_order()
    {
        var builder = new StateBuilder(chainId: 7);
        var rng = new Random(11);
        var bytes = new byte[32];
        for (int i = 0; i < 1000; i++)
        {
            rng.NextBytes(bytes);
            builder.SetBalance(new Address(bytes), 0, 1 + (ulong)i);
        }
        var crowded = new List<Address>();
        while (crowded.Count < 24)
        {
            rng.NextBytes(bytes);
            var a = new Address(bytes);
            if (TreeKey.ForAccount(a).Head >> 48 != 0xABCD) continue;
            builder.SetBalance(a, 0, 5 + (ulong)crowded.Count);
            crowded.Add(a);
        }
        var genesis = builder.Build();
        var dir = NewDir();
        try
        {
            using var store = RocksDbStateStore.Open(dir, genesis, cacheBytes: 1 << 20);
            Assert.True(store.TreeDepth <= 16, $"depth {store.TreeDepth}: the ground keys would not share a bucket");
            Assert.Equal(genesis.StateRoot, store.StateRoot);
            foreach (var a in crowded.Take(5).Append(crowded[^1]))
                Assert.Equal(Json(genesis.GetProof(a)), Json(store.State.GetProof(a)));
        }
        finally { Delete(dir); }
    }

    private static string Json(StateProof p)
    {
        using var ms = new MemoryStream();
        p.WriteJson(ms);
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    public static TheoryData<string, long> Modes()
    {
        var d = new TheoryData<string, long>();
        foreach (var mode in new[] { "stream", "propose", "reference" })
            foreach (var cache in new[] { 0L, 16L << 10, 1L << 30 })
                d.Add(mode, cache);
        return d;
    }

    /// <summary>
    /// A chain executed on a store (blocks streamed through the pipeline with the next ones loaded
    /// ahead, proposed and committed one at a time, or by the sequential reference) gives the
    /// reference's results block after block and its final state, whatever the cache: none (every
    /// read from RocksDB), one far smaller than a block's accounts, or one that holds them all.
    /// </summary>
    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_chain_on_a_store_matches_the_reference(string mode, long cacheBytes)
    {
        var c = MakeChain();
        var dir = NewDir();
        var ct = TestContext.Current.CancellationToken;
        try
        {
            using (var store = CreateStore(dir, c, cacheBytes))
            {
                using var pipeline = new BlockPipeline(new GpuExecOptions { Device = DeviceKind.Cpu, Threads = 2 });
                var got = new List<BlockExecution>();
                if (mode == "stream")
                {
                    await foreach (var run in pipeline.CommitStreamAsync(c.Blocks, store.State, ct)) got.Add(run);
                }
                else
                {
                    IBlockExecutor executor = mode == "propose" ? pipeline : new ReferenceExecutor();
                    foreach (var block in c.Blocks)
                    {
                        var run = await executor.ProposeAsync(block, store.State, ct);
                        store.State.Commit(run.Block, run.Result, run.State!);
                        got.Add(run);
                    }
                }
                Assert.Equal(c.Blocks.Length, got.Count);
                for (int i = 0; i < got.Count; i++) AssertSame(c.Results[i], got[i].Result);
                if (mode == "stream")
                {
                    // The load stage ran for every block, beside the verification.
                    Assert.All(got, r => Assert.True(r.Stages.Ran(StageTimings.Load) && r.Stages.Ran(StageTimings.Commit)));
                }
                Assert.Equal(c.Final.StateRoot, store.StateRoot);
                Assert.Equal((ulong)c.Blocks.Length, store.Height);
                Assert.Equal(Dump(s => StateJson.WriteDump(c.Final, s)), Dump(store.WriteDump));
                var stats = store.State.CacheStats;
                if (cacheBytes == 0) Assert.Equal(0, stats.AccountHits + stats.BucketHits);
                if (cacheBytes == 1L << 30) Assert.True(stats.AccountHits > 0 && stats.BucketHits > 0, $"a cache that holds everything was never hit: {stats}");
                Assert.True(stats.AccountBytes <= cacheBytes / 2 + 4096 && stats.BucketBytes <= cacheBytes / 2 + 4096, $"the caches outgrew their bound: {stats}");
            }
            using var reopened = RocksDbStateStore.Open(dir, null, readOnly: true);
            Assert.Equal(c.Final.StateRoot, reopened.StateRoot);
            Assert.Equal(Dump(s => StateJson.WriteDump(c.Final, s)), Dump(reopened.WriteDump));
        }
        finally { Delete(dir); }
    }

    /// <summary>A node that sizes its store's caches from the pipeline's options gets the store's own default unless it says otherwise.</summary>
    [Fact]
    public void The_options_state_cache_defaults_to_the_stores()
    {
        Assert.Equal(RocksDbStateStore.DefaultCacheBytes, new GpuExecOptions().StateCacheBytes);
        Assert.Equal(RocksDbStateStore.DefaultCacheBytes, GpuExecOptions.DefaultStateCacheBytes);
    }

    /// <summary>
    /// The state tree reopens from its snapshot and the journal of the blocks after it, and, when the
    /// snapshot is missing, damaged or from another store, from every bucket: the same root and
    /// proofs each time, and blocks go on committing after it. It opens when asked, not with the store.
    /// </summary>
    [Theory]
    [InlineData("kept")]
    [InlineData("missing")]
    [InlineData("damaged")]
    [InlineData("stale")]
    public void The_state_tree_reopens_from_its_snapshot_or_its_buckets(string snapshot)
    {
        var c = MakeChain(blocks: 4);
        var dir = NewDir();
        string snap = Path.Combine(dir, "GPUEXEC-TREE");
        try
        {
            byte[] genesisSnapshot;
            using (var store = CreateStore(dir, c, cacheBytes: 1 << 20))
            {
                genesisSnapshot = File.ReadAllBytes(snap);
                for (int i = 0; i < 2; i++) store.CommitBlock(c.Blocks[i], c.Results[i]);
            }
            switch (snapshot)
            {
                case "kept":
                    // The snapshot written on close is at height 2; put the genesis one back so the journal replays.
                    File.WriteAllBytes(snap, genesisSnapshot);
                    break;
                case "missing": File.Delete(snap); break;
                case "damaged":
                {
                    var b = File.ReadAllBytes(snap);
                    b[b.Length / 2] ^= 0x40;
                    File.WriteAllBytes(snap, b);
                    break;
                }
                case "stale":
                {
                    // A whole, well-formed snapshot that does not lead to this store's root: the
                    // genesis level relabelled as height 2 (as if copied from elsewhere).
                    var b = (byte[])genesisSnapshot.Clone();
                    BitConverter.TryWriteBytes(b.AsSpan(8, 8), 2UL);
                    using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
                    sha.AppendData(b, 0, b.Length - 32);
                    sha.GetHashAndReset().CopyTo(b, b.Length - 32);
                    File.WriteAllBytes(snap, b);
                    break;
                }
            }
            var mid = c.Genesis.Clone();
            SequentialExecutor.Execute(mid, c.Blocks[0]);
            SequentialExecutor.Execute(mid, c.Blocks[1]);
            using (var store = RocksDbStateStore.Open(dir, null))
            {
                Assert.Equal(mid.StateRoot, store.StateRoot);
                // Opened on request (as a node does at start-up), once: what follows reads the tree it opened.
                Assert.False(store.State.TreeOpened);
                store.State.OpenTree();
                Assert.True(store.State.TreeOpened);
                var tree = store.State.Tree;
                store.State.OpenTree();
                Assert.Same(tree, store.State.Tree);
                Assert.Equal(mid.StateRoot, tree.Root);
                var who = c.Generator.AccountAddress(3);
                Assert.Equal(Json(mid.GetProof(who)), Json(store.State.GetProof(who)));
                for (int i = 2; i < 4; i++)
                {
                    var run = SequentialExecutor.Propose(store.State, c.Blocks[i]);
                    AssertSame(c.Results[i], run.Result);
                    store.State.Commit(c.Blocks[i], run.Result, run.State);
                }
                Assert.Equal(c.Final.StateRoot, store.StateRoot);
            }
            using var again = RocksDbStateStore.Open(dir, null, readOnly: true);
            Assert.Equal(c.Final.StateRoot, again.StateRoot);
            Assert.Equal(Json(c.Final.GetProof(c.Generator.AccountAddress(42))), Json(again.State.GetProof(c.Generator.AccountAddress(42))));
        }
        finally { Delete(dir); }
    }

    /// <summary>
    /// A checkpoint is a store of its own at the height it was taken: the copy runs on while the
    /// original stays where it was, and the two agree with the reference.
    /// </summary>
    [Fact]
    public void A_checkpoint_is_a_store_of_its_own()
    {
        var c = MakeChain(blocks: 3);
        var dir = NewDir();
        var copy = NewDir();
        try
        {
            using (var store = CreateStore(dir, c, cacheBytes: 1 << 20))
            {
                store.CommitBlock(c.Blocks[0], c.Results[0]);
                store.Checkpoint(copy);
                Assert.Throws<GpuExecException>(() => store.Checkpoint(copy)); // not empty now
                store.CommitBlock(c.Blocks[1], c.Results[1]);
            }
            using (var cp = RocksDbStateStore.Open(copy, null))
            {
                Assert.Equal(1UL, cp.Height);
                Assert.Equal(c.Results[0].StateRoot, cp.StateRoot);
                cp.CommitBlock(c.Blocks[1], c.Results[1]);
                cp.CommitBlock(c.Blocks[2], c.Results[2]);
                Assert.Equal(c.Final.StateRoot, cp.StateRoot);
            }
            using var original = RocksDbStateStore.Open(dir, null, readOnly: true);
            Assert.Equal(2UL, original.Height);
            Assert.Equal(c.Results[1].StateRoot, original.StateRoot);
        }
        finally { Delete(dir); Delete(copy); }
    }

    /// <summary>
    /// A checkpoint whose source's tree snapshot is current shares that file (one inode, as the tables
    /// are shared), and the two stay apart: the source replaces its snapshot by a rename when it
    /// moves on, which leaves the checkpoint's as it was, and the checkpoint opens from it.
    /// </summary>
    [Fact]
    public void A_checkpoint_shares_a_current_tree_snapshot_until_the_source_replaces_it()
    {
        var c = MakeChain(blocks: 2);
        var dir = NewDir();
        var copy = NewDir();
        try
        {
            string source = Path.Combine(dir, "GPUEXEC-TREE"), copied = Path.Combine(copy, "GPUEXEC-TREE");
            byte[] genesisSnapshot;
            using (var store = CreateStore(dir, c, cacheBytes: 1 << 20))
            {
                store.State.OpenTree(); // opened from its snapshot, which is current: shared, not rewritten
                store.Checkpoint(copy);
                Assert.Equal(GpuExec.IO.FileNode.Stat(source).Inode, GpuExec.IO.FileNode.Stat(copied).Inode);
                genesisSnapshot = File.ReadAllBytes(copied);
                store.CommitBlock(c.Blocks[0], c.Results[0]);
            } // writes its snapshot at height 1: a new file under the old name
            Assert.NotEqual(GpuExec.IO.FileNode.Stat(source).Inode, GpuExec.IO.FileNode.Stat(copied).Inode);
            Assert.NotEqual(genesisSnapshot, File.ReadAllBytes(source));
            Assert.Equal(genesisSnapshot, File.ReadAllBytes(copied));
            using (var cp = RocksDbStateStore.Open(copy, null))
            {
                Assert.Equal(0UL, cp.Height);
                cp.State.OpenTree();
                Assert.Equal(c.Genesis.StateRoot, cp.State.Tree.Root);
                cp.CommitBlock(c.Blocks[0], c.Results[0]);
                cp.CommitBlock(c.Blocks[1], c.Results[1]);
                Assert.Equal(c.Final.StateRoot, cp.StateRoot);
            }
            // A source whose tree moved past its snapshot gives the checkpoint a snapshot of its own.
            var copy2 = NewDir();
            try
            {
                using (var store = RocksDbStateStore.Open(dir, null))
                {
                    store.State.OpenTree();
                    store.CommitBlock(c.Blocks[1], c.Results[1]);
                    store.Checkpoint(copy2);
                    Assert.NotEqual(GpuExec.IO.FileNode.Stat(source).Inode, GpuExec.IO.FileNode.Stat(Path.Combine(copy2, "GPUEXEC-TREE")).Inode);
                }
                using var cp2 = RocksDbStateStore.Open(copy2, null, readOnly: true);
                Assert.Equal(c.Final.StateRoot, cp2.StateRoot);
                cp2.State.OpenTree();
                Assert.Equal(c.Final.StateRoot, cp2.State.Tree.Root);
            }
            finally { Delete(copy2); }
        }
        finally { Delete(dir); Delete(copy); }
    }

    /// <summary>
    /// A store closed for deletion (a benchmark run's checkpoint) leaves its tree snapshot as it was,
    /// where a plain close writes it; either way the store reopens at its last block (from the journal).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_store_closed_for_deletion_skips_its_tree_snapshot_and_still_reopens(bool forDeletion)
    {
        var c = MakeChain(blocks: 2);
        var dir = NewDir();
        try
        {
            string snap = Path.Combine(dir, "GPUEXEC-TREE");
            byte[] before;
            var store = CreateStore(dir, c, cacheBytes: 1 << 20);
            before = File.ReadAllBytes(snap);
            store.CommitBlock(c.Blocks[0], c.Results[0]);
            store.CommitBlock(c.Blocks[1], c.Results[1]);
            if (forDeletion) store.DisposeForDeletion(); else store.Dispose();
            Assert.Equal(forDeletion, before.AsSpan().SequenceEqual(File.ReadAllBytes(snap)));
            using var again = RocksDbStateStore.Open(dir, null, readOnly: true);
            Assert.Equal(2UL, again.Height);
            again.State.OpenTree();
            Assert.Equal(c.Final.StateRoot, again.State.Tree.Root);
            Assert.Equal(Json(c.Final.GetProof(c.Generator.AccountAddress(7))), Json(again.State.GetProof(c.Generator.AccountAddress(7))));
        }
        finally { Delete(dir); }
    }

    /// <summary>
    /// Execute and the state root read nothing the load stage did not: with no cache, every account
    /// read is counted, and a streamed chain reads exactly the accounts its blocks declare (the
    /// well-formed records' senders, the transfers' recipients, the fee collector), once a block.
    /// </summary>
    [Fact]
    public async Task Execute_reads_only_what_the_load_stage_loaded()
    {
        var c = MakeChain();
        var dir = NewDir();
        try
        {
            long declared = 0;
            foreach (var block in c.Blocks)
            {
                var names = new HashSet<Address> { block.Header.FeeCollector };
                for (int i = 0; i < block.Count; i++)
                {
                    var tx = new TransactionView(block.Record(i));
                    if (!tx.IsWellFormed) continue;
                    names.Add(tx.Sender);
                    if (tx.Kind == TxKind.Transfer) names.Add(tx.To);
                }
                declared += names.Count;
            }
            using var store = CreateStore(dir, c, cacheBytes: 0);
            using var pipeline = new BlockPipeline(new GpuExecOptions { Device = DeviceKind.Cpu, Threads = 2 });
            await foreach (var run in pipeline.CommitStreamAsync(c.Blocks, store.State, TestContext.Current.CancellationToken))
                Assert.True(run.Stages[StageTimings.Load] > 0);
            Assert.Equal(c.Final.StateRoot, store.StateRoot);
            var stats = store.State.CacheStats;
            Assert.Equal(0, stats.AccountHits);
            Assert.Equal(declared, stats.AccountMisses);
        }
        finally { Delete(dir); }
    }
}
