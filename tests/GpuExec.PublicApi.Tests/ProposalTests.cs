using System.Security.Cryptography;
using GpuExec.Engine;
using GpuExec.Engine.Devices;
using GpuExec.Execution;
using GpuExec.State;
using GpuExec.Storage;
using GpuExec.Wire;
using Xunit;

namespace GpuExec.PublicApi.Tests;

/// <summary>
/// Proposals as a BFT node uses them, through the public surface alone, on the in-memory state and
/// on a RocksDB store whose state is read from disk: siblings on one parent and a child of one,
/// executed without changing the head, one committed, the others refused, and dropped ones leaving
/// the store as it was, byte for byte.
/// </summary>
public sealed class ProposalTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_fork_commits_one_sibling_and_refuses_the_other_and_its_child(bool onDisk)
    {
        var ct = TestContext.Current.CancellationToken;
        var world = new World(accounts: 24, seed: 4);
        var reference = world.Genesis.Clone();
        string dir = NewDir();
        try
        {
            using var pipeline = new BlockPipeline(new GpuExecOptions { Device = DeviceKind.Cpu, Threads = 2 });
            using (var store = onDisk ? RocksDbStateStore.Open(dir, world.Genesis, cacheBytes: 1 << 20) : null)
            {
                IChainState head = store is null ? world.Genesis : store.State;
                var genesisRoot = head.StateRoot;
                var a = world.Next(head, world.Mix(80, seed: 1));
                var b = world.Next(head, world.Mix(80, seed: 2));
                var pa = await pipeline.ProposeAsync(a, head, ct);
                var pb = await pipeline.ProposeAsync(b, head, ct);
                var c = world.Next(pb.State!, world.Mix(40, seed: 3));
                var pc = await pipeline.ProposeAsync(c, pb.State!, ct);
                Assert.NotEqual(pa.Result.StateRoot, pb.Result.StateRoot);
                Assert.Equal(2UL, pc.State!.Height);
                // Proposing changed nothing; each proposal reads as the state after its block.
                Assert.Equal(genesisRoot, head.StateRoot);
                Assert.Equal(0UL, head.Height);
                Assert.Equal(pb.Result.StateRoot, pb.State!.StateRoot);
                Assert.Equal(pb.State.StateRoot, pc.State.ParentRoot);

                head.Commit(a, pa.Result, pa.State!);
                var sibling = Assert.Throws<InvalidOperationException>(() => head.Commit(b, pb.Result, pb.State!));
                Assert.Contains("no longer the head", sibling.Message, StringComparison.Ordinal);
                Assert.Throws<InvalidOperationException>(() => head.Commit(c, pc.Result, pc.State));
                Assert.Equal(pa.Result.StateRoot, head.StateRoot);
                Assert.Equal(1UL, head.Height);

                // The committed sibling is what the reference gives, and a child proposed on the new head commits.
                var (expected, expectedState) = SequentialExecutor.Propose(reference, a);
                Assert.Equal(expected.StateRoot, head.StateRoot);
                Assert.Equal(expected.Statuses, pa.Result.Statuses);
                reference.Commit(a, expected, expectedState);
                var d = world.Next(head, world.Mix(50, seed: 5));
                var pd = await pipeline.ProposeAsync(d, head, ct);
                head.Commit(d, pd.Result, pd.State!);
                var (expectedD, expectedDState) = SequentialExecutor.Propose(reference, d);
                reference.Commit(d, expectedD, expectedDState);
                Assert.Equal(reference.StateRoot, head.StateRoot);
                foreach (var builder in world.Builders)
                {
                    Assert.Equal(reference.TryGetAccount(builder.Sender)?.Nonce, head.TryGetAccount(builder.Sender)?.Nonce);
                    Assert.Equal(reference.TryGetAccount(builder.Sender)?.Balance(0), head.TryGetAccount(builder.Sender)?.Balance(0));
                }
            }
            if (onDisk)
            {
                using var reopened = RocksDbStateStore.Open(dir, null, readOnly: true);
                Assert.Equal(reference.StateRoot, reopened.StateRoot);
                Assert.Equal(2UL, reopened.Height);
            }
        }
        finally { Delete(dir); }
    }

    [Fact]
    public async Task Dropped_proposals_leave_the_store_byte_identical()
    {
        var ct = TestContext.Current.CancellationToken;
        var world = new World(accounts: 24, seed: 6);
        string dir = NewDir();
        try
        {
            using var pipeline = new BlockPipeline(new GpuExecOptions { Device = DeviceKind.Cpu, Threads = 2 });
            using (var store = RocksDbStateStore.Open(dir, world.Genesis, cacheBytes: 1 << 20))
            {
                var first = world.Next(store.State, world.Mix(60, seed: 7));
                var run = await pipeline.ProposeAsync(first, store.State, ct);
                store.State.Commit(first, run.Result, run.State!);
            }
            var files = Snapshot(dir);
            string dump;
            using (var store = RocksDbStateStore.Open(dir, null, cacheBytes: 1 << 20))
            {
                dump = Dump(store);
                files = Snapshot(dir); // opening may flush the log: compare from here
                var root = store.StateRoot;
                var next = world.Next(store.State, world.Mix(80, seed: 8));
                var proposal = await pipeline.ProposeAsync(next, store.State, ct);
                var child = await pipeline.ProposeAsync(world.Next(proposal.State!, world.Mix(30, seed: 9)), proposal.State!, ct);
                Assert.NotEqual(root, child.Result.StateRoot);
                Assert.Contains(Model.TxStatus.Ok, proposal.Result.Statuses);
                // Dropped: nothing is committed, nothing is written.
                Assert.Equal(root, store.StateRoot);
                Assert.Equal(1UL, store.Height);
                Assert.Equal(dump, Dump(store));
                Assert.Equal(files, Snapshot(dir));
            }
            using (var reopened = RocksDbStateStore.Open(dir, null, readOnly: true))
                Assert.Equal(dump, Dump(reopened));
        }
        finally { Delete(dir); }
    }

    private static string NewDir() => Path.Combine(Path.GetTempPath(), "gpuexec-publicapi-" + Guid.NewGuid().ToString("N")[..10]);

    private static void Delete(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); } catch (IOException) { }
    }

    private static string Dump(RocksDbStateStore store)
    {
        using var ms = new MemoryStream();
        store.WriteDump(ms);
        return Convert.ToHexStringLower(SHA256.HashData(ms.ToArray()));
    }

    /// <summary>Every file of the store and the hash of its bytes, but RocksDB's own text log (statistics it may append at any time).</summary>
    private static string Snapshot(string dir) => string.Join("\n", Directory.GetFiles(dir)
        .Where(f => !Path.GetFileName(f).StartsWith("LOG", StringComparison.Ordinal))
        .Order(StringComparer.Ordinal)
        .Select(f =>
        {
            using var s = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return $"{Path.GetFileName(f)} {Convert.ToHexStringLower(SHA256.HashData(s))}";
        }));
}
