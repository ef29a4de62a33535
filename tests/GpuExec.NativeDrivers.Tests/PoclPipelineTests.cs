using GpuExec.Engine;
using GpuExec.Engine.Devices;
using GpuExec.Execution;
using GpuExec.Generation;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.NativeDrivers.Tests;

/// <summary>
/// The shipped pipeline with its verify stages (tx_root, txids, sigverify) as kernels compiled for
/// pocl equals the sequential reference, block after block and streamed. Blocks are applied in
/// order: the conflict stage needs ILGPU.Algorithms' radix sort, which pocl 3.1 cannot build.
/// </summary>
[Collection(PoclCollection.Name), Trait("Category", "CompiledKernels")]
public class PoclPipelineTests(PoclFixture pocl)
{
    private static string Dump(WorldState state)
    {
        using var ms = new MemoryStream();
        StateJson.WriteDump(state, ms);
        return Convert.ToBase64String(ms.ToArray());
    }

    [Fact]
    public async Task A_generated_chain_equals_the_reference()
    {
        _ = pocl.Accelerator; // skips without pocl
        var gen = new BlockGenerator(new GeneratorOptions { Accounts = 60, TxsPerBlock = 400, Pools = 3, Skew = 1.0, InvalidRatio = 0.1, Seed = 11, CollectorSends = true });
        var blocks = Enumerable.Range(0, 3).Select(_ => BlockCodec.Decode(gen.NextBlock())).ToList();
        var options = new GpuExecOptions { Device = DeviceKind.OpenCl, Threads = 2, Apply = ApplyMode.InOrder };
        var device = pocl.Device;

        var seq = gen.Genesis.Clone();
        var par = gen.Genesis.Clone();
        using (var pipeline = new BlockPipeline(options, device))
        {
            foreach (var block in blocks)
            {
                var expected = SequentialExecutor.Execute(seq, block);
                var got = pipeline.Execute(block, par, TestContext.Current.CancellationToken);
                Assert.Equal(expected.Statuses, got.Result.Statuses);
                Assert.Equal(expected.TxIds, got.Result.TxIds);
                Assert.Equal(expected.StateRoot, got.Result.StateRoot);
                Assert.Equal(Dump(seq), Dump(par));
                Assert.Contains(expected.Statuses, s => s == Model.TxStatus.BadSignature);
            }
        }

        seq = gen.Genesis.Clone();
        par = gen.Genesis.Clone();
        using (var pipeline = new BlockPipeline(options, device))
        {
            int i = 0;
            await foreach (var run in pipeline.ExecuteStreamAsync(blocks, par, TestContext.Current.CancellationToken))
            {
                var expected = SequentialExecutor.Execute(seq, blocks[i++]);
                Assert.Equal(expected.Statuses, run.Result.Statuses);
                Assert.Equal(expected.StateRoot, run.Result.StateRoot);
            }
            Assert.Equal(blocks.Count, i);
            Assert.Equal(Dump(seq), Dump(par));
        }
    }
}
