using GpuExec.Engine.Devices;
using GpuExec.Engine.Execute;
using GpuExec.Engine.Verify;
using GpuExec.Execution;
using GpuExec.Generation;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Engine.Tests;

/// <summary>Builders of test states and blocks, and the one assertion every executor test makes: the shipped pipeline == the sequential reference.</summary>
internal static class Blocks
{
    public const uint Chain = 1;

    public static Signer[] Signers(int n, ulong offset = 0)
    {
        var s = new Signer[n];
        for (int i = 0; i < n; i++) s[i] = new Signer(offset + (ulong)i);
        return s;
    }

    /// <summary>A genesis where every signer holds <paramref name="balance"/> of tokens 0..tokens, with pools (i, token i%tokens, (i+1)%tokens+...).</summary>
    public static WorldState Genesis(Signer[] signers, ulong balance = 1_000_000, uint tokens = 2, int pools = 1)
    {
        var state = new WorldState(Chain);
        foreach (var s in signers)
        {
            var a = state.GenesisAccount(s.Address);
            for (uint t = 0; t <= tokens; t++) a.SetBalance(t, balance);
        }
        for (int p = 0; p < pools; p++)
        {
            uint ta = (uint)(p % (tokens + 1));
            uint tb = (ta + 1) % (tokens + 1);
            state.SetPool(new Pool { Id = (uint)p, TokenA = ta, TokenB = tb, ReserveA = 10_000_000, ReserveB = 5_000_000, FeeBps = (ushort)(30 * p % 100) });
        }
        return state;
    }

    public static Block Encode(WorldState state, Address collector, List<byte[]> records) =>
        BlockCodec.Decode(BlockCodec.Encode(state.ChainId, state.Height + 1, collector, state.StateRoot, records));

    public static string Dump(WorldState state)
    {
        using var ms = new MemoryStream();
        StateJson.WriteDump(state, ms);
        return Convert.ToBase64String(ms.ToArray());
    }

    /// <summary>Signatures checked on the host for pipelines on the ILGPU emulator, whose Ed25519 kernel is tested on its own (GpuExec.Kernels.Tests).</summary>
    private static readonly CpuSignatureVerifier HostVerifier = new(2);

    /// <summary>
    /// The shipped pipeline on <paramref name="device"/> (null: the <c>cpu</c> device), applying in
    /// <paramref name="mode"/> with <paramref name="threads"/> threads and as many fixed lanes.
    /// </summary>
    public static BlockPipeline Pipeline(int threads, ComputeDevice? device, ApplyMode mode = ApplyMode.Lanes)
    {
        var options = new GpuExecOptions { Device = device?.Kind ?? DeviceKind.Cpu, Threads = threads, Apply = mode, Lanes = mode == ApplyMode.Lanes ? threads : 0 };
        return device is null ? new BlockPipeline(options) : new BlockPipeline(options, device, HostVerifier);
    }

    /// <summary>
    /// Runs the block with the sequential reference and through the shipped pipeline, on clones of
    /// <paramref name="pre"/>; asserts identical receipts, txids, root, dump and account count.
    /// Returns the pipeline's schedule figures.
    /// </summary>
    public static ScheduleStats AssertSame(WorldState pre, Block block, int threads, ComputeDevice? device, int repeats = 1, ApplyMode mode = ApplyMode.Lanes)
    {
        var seqState = pre.Clone();
        var expected = SequentialExecutor.Execute(seqState, block);
        ChangeSetAssert.IsDiff(pre, seqState, expected.Changes);
        EffectsAssert.Model(pre, block, expected);
        string expectedDump = Dump(seqState);
        ScheduleStats stats = default;
        using var pipeline = Pipeline(threads, device, mode);
        for (int r = 0; r < repeats; r++)
        {
            var parState = pre.Clone();
            var got = pipeline.Execute(block, parState, TestContext.Current.CancellationToken);
            Assert.Equal(expected.Statuses, got.Result.Statuses);
            Assert.Equal(expected.TxIds, got.Result.TxIds);
            Assert.Equal(expected.StateRoot, got.Result.StateRoot);
            Assert.Equal(expected.Effects, got.Result.Effects);
            Assert.Equal(expectedDump, Dump(parState));
            Assert.Equal(seqState.AccountCount, parState.AccountCount);
            ChangeSetAssert.Equal(expected.Changes, got.Result.Changes);
            stats = got.Schedule;
        }
        return stats;
    }

    /// <summary>
    /// A chain streamed through the pipeline (<see cref="BlockPipeline.ExecuteStreamAsync"/>) equals the
    /// reference block by block: receipts, txids, root, dump and account count after each block.
    /// </summary>
    public static async Task AssertStreamSame(WorldState genesis, IReadOnlyList<Block> blocks, int threads, ComputeDevice? device, ApplyMode mode = ApplyMode.Lanes)
    {
        var seq = genesis.Clone();
        var par = genesis.Clone();
        using var pipeline = Pipeline(threads, device, mode);
        int i = 0;
        await foreach (var run in pipeline.ExecuteStreamAsync(blocks, par, TestContext.Current.CancellationToken))
        {
            Assert.Same(blocks[i], run.Block);
            var before = seq.Clone();
            var expected = SequentialExecutor.Execute(seq, blocks[i]);
            ChangeSetAssert.IsDiff(before, seq, expected.Changes);
            EffectsAssert.Model(before, blocks[i], expected);
            ChangeSetAssert.Equal(expected.Changes, run.Result.Changes);
            Assert.Equal(expected.Statuses, run.Result.Statuses);
            Assert.Equal(expected.TxIds, run.Result.TxIds);
            Assert.Equal(expected.StateRoot, run.Result.StateRoot);
            Assert.Equal(expected.Effects, run.Result.Effects);
            Assert.Equal(Dump(seq), Dump(par));
            Assert.Equal(seq.AccountCount, par.AccountCount);
            i++;
        }
        Assert.Equal(blocks.Count, i);
    }
}
