using GpuExec.Engine;
using GpuExec.Model;
using GpuExec.Wire;

namespace GpuExec.PublicApi.Tests;

/// <summary>A block refused whole says why, with the expected and actual values, from every executor and from the codec.</summary>
public class RefusalTests
{
    public static TheoryData<string> Executors => ["reference", "in-order", "lanes"];

    private static IBlockExecutor Executor(string name) => name switch
    {
        "reference" => new ReferenceExecutor(),
        "in-order" => World.Pipeline(ApplyMode.InOrder),
        _ => World.Pipeline(ApplyMode.Lanes),
    };

    [Theory]
    [MemberData(nameof(Executors))]
    public async Task Header_refusals_carry_their_reason_and_values(string name)
    {
        var executor = Executor(name);
        try
        {
            var world = new World(accounts: 3);
            var state = world.Genesis;
            var records = new List<byte[]> { world.Builders[1].Transfer(0, 1, world.Builders[2].Sender, 0, 5).Record };
            var root = state.StateRoot;

            async Task<BlockRejectedException> Refuse(byte[] bytes)
            {
                var e = await Assert.ThrowsAsync<BlockRejectedException>(() => executor.ExecuteAsync(BlockCodec.Decode(bytes), state, TestContext.Current.CancellationToken));
                Assert.Equal(ErrorKind.BlockRejected, e.Kind);
                Assert.Equal(root, state.StateRoot);
                return e;
            }

            var e = await Refuse(BlockCodec.Encode(World.Chain + 1, 1, world.Collector, root, records));
            Assert.Equal((BlockRefusal.WrongChain, "11", "12"), (e.Reason, e.Expected, e.Actual));

            e = await Refuse(BlockCodec.Encode(World.Chain, 2, world.Collector, root, records));
            Assert.Equal((BlockRefusal.WrongHeight, "1", "2"), (e.Reason, e.Expected, e.Actual));
            Assert.Contains("height 2 is not the next height 1", e.Message);

            var wrongRoot = new Hash32(new byte[32]);
            e = await Refuse(BlockCodec.Encode(World.Chain, 1, world.Collector, wrongRoot, records));
            Assert.Equal((BlockRefusal.WrongParentRoot, root.ToHex(), wrongRoot.ToHex()), (e.Reason, e.Expected, e.Actual));

            var bytes = BlockCodec.Encode(World.Chain, 1, world.Collector, root, records);
            var computed = BlockCodec.Decode(bytes).Header.TxRoot;
            bytes[80] ^= 1;
            e = await Refuse(bytes);
            Assert.Equal((BlockRefusal.WrongTxRoot, computed.ToHex(), BlockCodec.Decode(bytes).Header.TxRoot.ToHex()), (e.Reason, e.Expected, e.Actual));
        }
        finally
        {
            (executor as IDisposable)?.Dispose();
        }
    }

    [Fact]
    public void Format_refusals_carry_their_reason_and_values()
    {
        var world = new World(accounts: 2);
        var good = BlockCodec.Encode(World.Chain, 1, world.Collector, world.Genesis.StateRoot,
            [world.Builders[1].Transfer(0, 1, world.Collector, 0, 1).Record]);

        var e = Assert.Throws<BlockFormatException>(() => BlockCodec.Decode(good[..^3], "b.gxb"));
        Assert.Equal((BlockRefusal.Truncated, (good.Length).ToString(), (good.Length - 3).ToString()), (e.Reason, e.Expected, e.Actual));
        Assert.StartsWith("b.gxb: truncated", e.Message);

        e = Assert.Throws<BlockFormatException>(() => BlockCodec.Decode(good[..100]));
        Assert.Equal((BlockRefusal.Truncated, BlockHeader.Size.ToString(), "100"), (e.Reason, e.Expected, e.Actual));

        e = Assert.Throws<BlockFormatException>(() => BlockCodec.Decode([.. good, 0, 0]));
        Assert.Equal((BlockRefusal.TrailingBytes, good.Length.ToString(), (good.Length + 2).ToString()), (e.Reason, e.Expected, e.Actual));

        var magic = (byte[])good.Clone();
        magic[0] = (byte)'X';
        e = Assert.Throws<BlockFormatException>(() => BlockCodec.Decode(magic));
        Assert.Equal((BlockRefusal.BadMagic, "47584231", "58584231"), (e.Reason, e.Expected, e.Actual));

        // A count over the limit in a file long enough to hold that many empty records.
        var big = new byte[BlockHeader.Size + 2 * (InputLimits.MaxTransactions + 1)];
        good.AsSpan(0, BlockHeader.Size).CopyTo(big);
        BitConverter.TryWriteBytes(big.AsSpan(112), (uint)InputLimits.MaxTransactions + 1);
        e = Assert.Throws<BlockFormatException>(() => BlockCodec.Decode(big));
        Assert.Equal((BlockRefusal.OverLimit, InputLimits.MaxTransactions.ToString(), (InputLimits.MaxTransactions + 1).ToString()), (e.Reason, e.Expected, e.Actual));
        Assert.Equal(ErrorKind.InvalidInput, e.Kind);
    }

    /// <summary>A node that treats a malformed block and a rejected one alike catches their common base, reason and values included.</summary>
    [Fact]
    public async Task Both_refusals_are_caught_as_a_refused_block()
    {
        var world = new World(accounts: 2);
        var good = BlockCodec.Encode(World.Chain, 1, world.Collector, world.Genesis.StateRoot,
            [world.Builders[1].Transfer(0, 1, world.Collector, 0, 1).Record]);
        var wrongHeight = BlockCodec.Encode(World.Chain, 3, world.Collector, world.Genesis.StateRoot,
            [world.Builders[1].Transfer(0, 1, world.Collector, 0, 1).Record]);
        var executor = new ReferenceExecutor();

        async Task<BlockRefusedException> Refused(byte[] bytes)
        {
            try
            {
                await executor.ExecuteAsync(BlockCodec.Decode(bytes), world.Genesis, TestContext.Current.CancellationToken);
            }
            catch (BlockRefusedException e)
            {
                return e;
            }
            throw new Xunit.Sdk.XunitException("the block was not refused");
        }

        var format = await Refused([.. good, 0]);
        Assert.IsType<BlockFormatException>(format);
        Assert.Equal((BlockRefusal.TrailingBytes, good.Length.ToString(), (good.Length + 1).ToString(), ErrorKind.InvalidInput),
            (format.Reason, format.Expected, format.Actual, format.Kind));
        var rejected = await Refused(wrongHeight);
        Assert.IsType<BlockRejectedException>(rejected);
        Assert.Equal((BlockRefusal.WrongHeight, "1", "3", ErrorKind.BlockRejected), (rejected.Reason, rejected.Expected, rejected.Actual, rejected.Kind));
        Assert.Equal(BlockRefusal.Unspecified, new BlockRejectedException("no reason").Reason);
    }

    [Fact]
    public void A_block_file_over_the_size_limit_is_refused_before_it_is_read()
    {
        var path = Path.Combine(Path.GetTempPath(), "gpuexec-big-" + Guid.NewGuid().ToString("N") + ".gxb");
        try
        {
            using (var f = File.Create(path)) f.SetLength(InputLimits.MaxBlockBytes + 1); // sparse: no data written
            var e = Assert.Throws<BlockFormatException>(() => BlockCodec.ReadFile(path));
            Assert.Equal((BlockRefusal.OverLimit, InputLimits.MaxBlockBytes.ToString(), (InputLimits.MaxBlockBytes + 1).ToString()), (e.Reason, e.Expected, e.Actual));
            Assert.Contains("larger than the limit", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
