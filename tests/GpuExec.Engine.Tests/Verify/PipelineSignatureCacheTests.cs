using GpuExec.Engine.Devices;
using GpuExec.Execution;
using GpuExec.Generation;
using GpuExec.Model;
using GpuExec.Wire;
using Microsoft.Extensions.Logging;

namespace GpuExec.Engine.Tests.Verify;

/// <summary>The signature cache inside the shipped pipeline: pre-verified blocks give the cold results, and the block log says where verdicts came from.</summary>
public class PipelineSignatureCacheTests
{
    private static (State.WorldState Genesis, List<Block> Blocks) Chain(int blocks = 3)
    {
        var gen = new BlockGenerator(new GeneratorOptions { Accounts = 40, TxsPerBlock = 300, Pools = 2, Skew = 0.9, InvalidRatio = 0.2, Seed = 77, Blocks = blocks });
        var genesis = gen.Genesis.Clone();
        var list = new List<Block>();
        for (int b = 0; b < blocks; b++) list.Add(BlockCodec.Decode(gen.NextBlock()));
        return (genesis, list);
    }

    [Theory]
    [InlineData(ApplyMode.InOrder)]
    [InlineData(ApplyMode.Lanes)]
    public async Task Pre_verified_blocks_give_the_cold_results_and_say_so(ApplyMode mode)
    {
        var (genesis, blocks) = Chain();
        var logs = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Information).AddProvider(logs));
        using var pipeline = new BlockPipeline(new GpuExecOptions { Device = DeviceKind.Cpu, Apply = mode, Threads = 2, Lanes = 2 }, factory.CreateLogger<BlockPipeline>());
        // Half of the first block's records arrive early (a mempool), then the second block whole.
        var early = Enumerable.Range(0, blocks[0].Count).Where(i => i % 2 == 0).Select(i => (ReadOnlyMemory<byte>)blocks[0].Record(i).ToArray()).ToList();
        var pre = pipeline.PreVerify(early, genesis.ChainId);
        Assert.True(pre.Verified > 0);
        pipeline.PreVerify(blocks[1]);

        var reference = genesis.Clone();
        var state = genesis.Clone();
        string? wholeBlockLine = null;
        int i = 0;
        await foreach (var run in pipeline.ExecuteStreamAsync(blocks, state, TestContext.Current.CancellationToken))
        {
            var expected = SequentialExecutor.Execute(reference, blocks[i]);
            Assert.Equal(expected.Statuses, run.Result.Statuses);
            Assert.Equal(expected.StateRoot, run.Result.StateRoot);
            int needed = expected.Statuses.Count(s => s is not (TxStatus.Malformed or TxStatus.WrongChain));
            Assert.Equal(needed, run.Verify.CacheHits + run.Verify.Verified);
            if (i == 1)
            {
                Assert.Equal((needed, 0), (run.Verify.CacheHits, run.Verify.Verified));
                wholeBlockLine = $"signatures: {needed} from the cache, 0 verified";
            }
            if (i == 2) Assert.Equal(0, run.Verify.CacheHits);
            if (i == 0) Assert.InRange(run.Verify.CacheHits, 1, needed - 1);
            i++;
        }
        Assert.Equal(3, i);
        Assert.Contains(logs.Messages, m => m.Contains(wholeBlockLine!, StringComparison.Ordinal));
    }

    [Fact]
    public void A_disabled_cache_remembers_nothing_and_changes_nothing()
    {
        var (genesis, blocks) = Chain(1);
        using var pipeline = new BlockPipeline(new GpuExecOptions { Device = DeviceKind.Cpu, SignatureCache = new GpuExec.Engine.Verify.SignatureCacheOptions { MaxEntries = 0 } });
        pipeline.PreVerify(blocks[0]);
        Assert.Equal(0, pipeline.SignatureCache.Count);
        var run = pipeline.Execute(blocks[0], genesis.Clone(), TestContext.Current.CancellationToken);
        Assert.Equal(0, run.Verify.CacheHits);
        Assert.Equal(SequentialExecutor.Execute(genesis.Clone(), blocks[0]).StateRoot, run.Result.StateRoot);
    }

    [Fact]
    public void A_tampered_copy_of_a_pre_verified_transaction_is_verified_again()
    {
        var (genesis, blocks) = Chain(1);
        using var pipeline = new BlockPipeline(new GpuExecOptions { Device = DeviceKind.Cpu });
        pipeline.PreVerify(blocks[0]);
        // The same block with one signature byte flipped in a transaction that was valid: its txid
        // differs, so the cached verdict must not be used, and the transaction fails.
        var bytes = (byte[])blocks[0].Data.Clone();
        var first = Enumerable.Range(0, blocks[0].Count).First(i => SequentialExecutor.Execute(genesis.Clone(), blocks[0]).Statuses[i] == TxStatus.Ok);
        bytes[blocks[0].RecordOffsets[first] + blocks[0].RecordLengths[first] - 1] ^= 1;
        var recs = Enumerable.Range(0, blocks[0].Count).Select(i => new ReadOnlySpan<byte>(bytes, blocks[0].RecordOffsets[i], blocks[0].RecordLengths[i]).ToArray()).ToList();
        var tampered = BlockCodec.Decode(BlockCodec.Encode(genesis.ChainId, 1, blocks[0].Header.FeeCollector, genesis.StateRoot, recs));
        var run = pipeline.Execute(tampered, genesis.Clone(), TestContext.Current.CancellationToken);
        Assert.Equal(TxStatus.BadSignature, run.Result.Statuses[first]);
        Assert.Equal(1, run.Verify.Verified);
        Assert.Equal(SequentialExecutor.Execute(genesis.Clone(), tampered).Statuses, run.Result.Statuses);
    }
}
