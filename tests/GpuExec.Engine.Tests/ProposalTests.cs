using GpuExec.Engine.Devices;
using GpuExec.Execution;
using GpuExec.Generation;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Engine.Tests;

/// <summary>
/// Proposals: blocks executed on the committed state (or on another proposal) without changing
/// it, then committed or dropped. A fork of two siblings, a chain, discards, every executor, and
/// reads that never see half a block.
/// </summary>
[Collection(IlgpuCollection.Name)]
public class ProposalTests(IlgpuFixture ilgpu)
{
    private static (WorldState Genesis, Block[] Chain, Block Sibling) Fork()
    {
        var gen = new BlockGenerator(new GeneratorOptions { Accounts = 120, TxsPerBlock = 400, Pools = 4, Blocks = 3, InvalidRatio = 0.1, Skew = 0.8, RouteRatio = 0.2, Seed = 21 });
        var genesis = gen.Genesis.Clone();
        var chain = new[] { BlockCodec.Decode(gen.NextBlock()), BlockCodec.Decode(gen.NextBlock()), BlockCodec.Decode(gen.NextBlock()) };
        // A sibling of block 1: another block at height 1 on the genesis (other transactions).
        var other = new BlockGenerator(new GeneratorOptions { Accounts = 120, TxsPerBlock = 300, Pools = 4, Blocks = 1, Skew = 0.3, RouteRatio = 0.1, Seed = 21 }); // same seed and sizes: the same genesis
        var sibling = BlockCodec.Decode(other.NextBlock());
        Assert.Equal(genesis.StateRoot, sibling.Header.ParentStateRoot);
        return (genesis, chain, sibling);
    }

    public static TheoryData<string> Executors() => ["reference", "cpu-in-order", "cpu-lanes", "ilgpu-cpu"];

    private IBlockExecutor Executor(string name) => name switch
    {
        "reference" => new ReferenceExecutor(),
        "cpu-in-order" => new BlockPipeline(new GpuExecOptions { Device = DeviceKind.Cpu, Apply = ApplyMode.InOrder, Threads = 2 }),
        "cpu-lanes" => new BlockPipeline(new GpuExecOptions { Device = DeviceKind.Cpu, Apply = ApplyMode.Lanes, Threads = 2, Lanes = 2 }),
        _ => new BlockPipeline(new GpuExecOptions { Device = DeviceKind.IlgpuCpu, Apply = ApplyMode.Lanes, Threads = 2, Lanes = 2 }, ilgpu.Device),
    };

    /// <summary>
    /// Two proposals on one parent (siblings) and a chain of three on one of them: nothing changes
    /// until a commit; the proposals' roots, receipts, change sets and reads are the reference's;
    /// committing the chain gives the reference's state; the sibling's commit is refused afterwards
    /// (its parent is no longer the head), and a refused commit changes nothing.
    /// </summary>
    [Theory]
    [MemberData(nameof(Executors))]
    public async Task A_fork_of_two_proposals_one_committed(string executor)
    {
        var (genesis, chain, sibling) = Fork();
        var exec = Executor(executor);
        using var _ = exec as IDisposable;
        var state = genesis.Clone();
        string before = Blocks.Dump(state);
        var root0 = state.StateRoot;

        var a = await exec.ProposeAsync(chain[0], state, TestContext.Current.CancellationToken);
        var b = await exec.ProposeAsync(sibling, state, TestContext.Current.CancellationToken);
        var a2 = await exec.ProposeAsync(chain[1], a.State!, TestContext.Current.CancellationToken);
        var a3 = await exec.ProposeAsync(chain[2], a2.State!, TestContext.Current.CancellationToken);
        Assert.Equal(before, Blocks.Dump(state));
        Assert.Equal(root0, state.StateRoot);
        Assert.Equal(0UL, state.Height);

        // The reference, block by block on copies.
        var reference = genesis.Clone();
        foreach (var (block, proposal) in new[] { (chain[0], a), (chain[1], a2), (chain[2], a3) })
        {
            var pre = reference.Clone();
            var expected = SequentialExecutor.Execute(reference, block);
            Assert.Equal(expected.Statuses, proposal.Result.Statuses);
            Assert.Equal(expected.StateRoot, proposal.Result.StateRoot);
            Assert.Equal(expected.StateRoot, proposal.State!.StateRoot);
            Assert.Equal(block.Header.Height, proposal.State.Height);
            ChangeSetAssert.Equal(expected.Changes, proposal.Result.Changes);
            ChangeSetAssert.IsDiff(pre, reference, proposal.State.Changes);
            // Reads of the proposal are the state after it: every account the reference holds, and proofs under its root.
            foreach (var acct in reference.Accounts.Take(40))
            {
                Assert.True(acct.SameLeaf(proposal.State.TryGetAccount(acct.Address)!));
                var proof = proposal.State.GetProof(acct.Address);
                Assert.Equal(expected.StateRoot, proof.Root);
                Assert.True(proof.Verify().Inclusion);
            }
        }
        var siblingExpected = SequentialExecutor.Execute(genesis.Clone(), sibling);
        Assert.Equal(siblingExpected.StateRoot, b.State!.StateRoot);

        // Commit the chain in order; the sibling is then refused and changes nothing.
        Assert.Equal(a.Result.StateRoot, state.Commit(a.State!));
        Assert.Equal(a2.Result.StateRoot, state.Commit(a2.State!));
        Assert.Throws<InvalidOperationException>(() => state.Commit(b.State!));
        Assert.Throws<InvalidOperationException>(() => state.Commit(a2.State!)); // twice
        Assert.Equal(a3.Result.StateRoot, state.Commit(a3.State!));
        Assert.Equal(Blocks.Dump(reference), Blocks.Dump(state));
        Assert.Equal(3UL, state.Height);
        // The committed state goes on, directly or by proposals.
        Assert.Throws<InvalidOperationException>(() => state.Commit(b.State!));
    }

    /// <summary>A dropped proposal leaves the state byte-identical, and so does a refused one; proposals on another state are refused.</summary>
    [Fact]
    public async Task Discarded_and_refused_proposals_change_nothing()
    {
        var (genesis, chain, _) = Fork();
        using var pipeline = new BlockPipeline(new GpuExecOptions { Device = DeviceKind.Cpu, Threads = 2 });
        var state = genesis.Clone();
        string dump = Blocks.Dump(state);
        for (int i = 0; i < 3; i++) _ = await pipeline.ProposeAsync(chain[0], state, TestContext.Current.CancellationToken);
        Assert.Equal(dump, Blocks.Dump(state));
        // Height 2 on the genesis: refused whole.
        await Assert.ThrowsAsync<BlockRejectedException>(() => pipeline.ProposeAsync(chain[1], state, TestContext.Current.CancellationToken));
        Assert.Equal(dump, Blocks.Dump(state));
        // A proposal made on a copy cannot be committed to the original.
        var copy = genesis.Clone();
        var onCopy = await pipeline.ProposeAsync(chain[0], copy, TestContext.Current.CancellationToken);
        Assert.Throws<InvalidOperationException>(() => state.Commit(onCopy.State!));
        Assert.Equal(dump, Blocks.Dump(state));
    }

    /// <summary>
    /// Readers beside commits see whole blocks only: a reader's sum of every balance of token 0 plus
    /// pool reserves never changes, though each block moves fees and amounts between accounts.
    /// </summary>
    [Fact]
    public async Task Reads_beside_commits_never_see_half_a_block()
    {
        var gen = new BlockGenerator(new GeneratorOptions { Accounts = 200, TxsPerBlock = 600, Pools = 3, Blocks = 12, InvalidRatio = 0, Seed = 23 });
        var state = gen.Genesis.Clone();
        var blocks = Enumerable.Range(0, 12).Select(_ => BlockCodec.Decode(gen.NextBlock())).ToArray();
        var addresses = Enumerable.Range(0, 200).Select(gen.AccountAddress).Append(gen.FeeCollector).ToArray();
        UInt128 Total() => state.Read(s =>
        {
            UInt128 t = 0;
            foreach (var a in s.Accounts) t += a.Balance(0);
            foreach (var p in s.Pools) t += (p.TokenA == 0 ? p.ReserveA : 0) + (p.TokenB == 0 ? p.ReserveB : 0);
            return t;
        });
        var expected = Total();
        using var pipeline = new BlockPipeline(new GpuExecOptions { Device = DeviceKind.Cpu, Threads = 1 });
        using var stop = new CancellationTokenSource();
        int reads = 0;
        var reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                Assert.Equal(expected, Total());
                Interlocked.Increment(ref reads);
            }
        }, TestContext.Current.CancellationToken);
        // The reader must get turns between the commits on a loaded machine too, or the test proves nothing:
        // each block waits for a read that started after the previous commit.
        void AwaitRead()
        {
            int seen = Volatile.Read(ref reads);
            Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref reads) >= seen + 2 || reader.IsCompleted, TimeSpan.FromSeconds(30)));
        }
        foreach (var block in blocks)
        {
            AwaitRead();
            if (reader.IsCompleted) break;
            var p = await pipeline.ProposeAsync(block, state, TestContext.Current.CancellationToken);
            state.Commit(p.State!);
        }
        AwaitRead();
        stop.Cancel();
        await reader;
        Assert.True(reads >= 2 * (blocks.Length + 1));
        Assert.Equal(12UL, state.Height);
        Assert.Equal(gen.Current.StateRoot, state.StateRoot);
    }
}
