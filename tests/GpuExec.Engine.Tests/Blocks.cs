using GpuExec.Engine.Execute;
using GpuExec.Execution;
using GpuExec.Generation;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;
using ILGPU.Runtime;

namespace GpuExec.Engine.Tests;

/// <summary>Builders of test states and blocks, and the one assertion every executor test makes: parallel == sequential.</summary>
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
            var a = state.GetOrCreateAccount(s.Address);
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
        BlockCodec.Decode(BlockCodec.Encode(state.ChainId, state.Height + 1, collector, state.ComputeStateRoot(), records));

    public static string Dump(WorldState state)
    {
        using var ms = new MemoryStream();
        StateJson.WriteDump(state, ms);
        return Convert.ToBase64String(ms.ToArray());
    }

    /// <summary>Runs the block sequentially and in parallel on clones of <paramref name="pre"/>; asserts identical receipts, txids, root and dump. Returns the parallel stats.</summary>
    public static ScheduleStats AssertSame(WorldState pre, Block block, int threads, Accelerator? accelerator, int repeats = 1, ScheduleMode mode = ScheduleMode.Levels)
    {
        var seqState = pre.Clone();
        var expected = SequentialExecutor.Execute(seqState, block);
        string expectedDump = Dump(seqState);
        ScheduleStats stats = default;
        for (int r = 0; r < repeats; r++)
        {
            var parState = pre.Clone();
            using var exec = new ParallelExecutor(new ParallelExecutorOptions { Threads = threads, Accelerator = accelerator, MinParallelBatch = 2, Schedule = mode, Lanes = threads });
            var got = exec.Execute(parState, block);
            Assert.Equal(expected.Statuses, got.Statuses);
            Assert.Equal(expected.TxIds, got.TxIds);
            Assert.Equal(expected.StateRoot, got.StateRoot);
            Assert.Equal(expectedDump, Dump(parState));
            Assert.Equal(seqState.AccountCount, parState.AccountCount);
            stats = exec.LastStats;
        }
        return stats;
    }
}
