using GpuExec.Execution;
using GpuExec.Generation;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Storage.Tests;

/// <summary>
/// A generated chain with the reference's results (its genesis, blocks, each block's result, the state
/// after the last), each block made on the reference's state before it: what chains with keyless
/// holders need (<see cref="GeneratorOptions.Signers"/>), which <see cref="TestChain"/> cannot make.
/// </summary>
internal sealed record ReferenceChain(BlockGenerator Generator, WorldState Genesis, Block[] Blocks, BlockResult[] Results, WorldState Final)
{
    /// <summary><paramref name="options"/>' blocks, each made on the reference's state before it and applied by the reference.</summary>
    public static ReferenceChain Make(GeneratorOptions options)
    {
        var gen = new BlockGenerator(options);
        var genesis = gen.GenesisInMemory();
        var state = genesis.Clone();
        var blocks = new Block[options.Blocks];
        var results = new BlockResult[options.Blocks];
        for (int i = 0; i < blocks.Length; i++)
        {
            blocks[i] = BlockCodec.Decode(gen.NextBlock(state));
            results[i] = SequentialExecutor.Execute(state, blocks[i]);
        }
        return new ReferenceChain(gen, genesis, blocks, results, state);
    }
}
