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
            var result = SequentialExecutor.Execute(state, block);
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
}
