using GpuExec.Execution;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Storage.Tests;

public class RoundTripTests
{
    private static (byte[] Dump, List<BlockResult> Results) InMemory(TestChain chain)
    {
        var state = chain.Genesis;
        var results = new List<BlockResult>();
        for (int i = 0; i < chain.Blocks.Length; i++) results.Add(SequentialExecutor.Execute(state, chain.Block(i)));
        return (TestChain.Dump(state), results);
    }

    [Fact]
    public void Chain_applied_across_open_close_cycles_equals_the_chain_applied_in_memory_in_one_go()
    {
        var chain = TestChain.Small;
        var (expectedDump, expected) = InMemory(chain);
        using var dir = new TempDir();
        int next = 0, cycle = 0;
        while (next < chain.Blocks.Length)
        {
            // Alternate: reopen with the genesis (checked against the store) and without it.
            using var store = RocksDbStateStore.Open(dir.Path, cycle % 2 == 0 ? chain.Genesis : null);
            var state = store.Load();
            Assert.Equal((ulong)next, state.Height);
            Assert.Equal((ulong)next, store.Height);
            for (int k = 0; k < 1 + cycle % 3 && next < chain.Blocks.Length; k++, next++)
            {
                var block = chain.Block(next);
                var r = SequentialExecutor.Execute(state, block);
                Assert.Equal(expected[next].StateRoot, r.StateRoot);
                store.CommitBlock(block, r);
                Assert.Equal(r.StateRoot, store.StateRoot);
            }
            cycle++;
        }
        Assert.True(cycle >= 3);

        using var final = RocksDbStateStore.Open(dir.Path, chain.Genesis);
        var loaded = final.Load();
        Assert.Equal(expectedDump, TestChain.Dump(loaded));
        Assert.Equal(expected[^1].StateRoot, final.StateRoot);
        Assert.Equal((ulong)chain.Blocks.Length, final.Height);
        for (int i = 0; i < expected.Count; i++)
        {
            var got = final.TryGetReceipts((ulong)i + 1);
            Assert.NotNull(got);
            Assert.Equal(expected[i].Statuses, got.Statuses);
            Assert.Equal(expected[i].TxIds, got.TxIds);
            Assert.Equal(expected[i].StateRoot, got.StateRoot);
        }
        Assert.Null(final.TryGetReceipts(0));
        Assert.Null(final.TryGetReceipts((ulong)chain.Blocks.Length + 1));
        // The chain's receipts, read back above, hold every status, the routes' included.
        Assert.Equal(Enum.GetValues<Model.TxStatus>().Order(), expected.SelectMany(r => r.Statuses).Distinct().Order());
    }

    [Fact]
    public void Stored_receipts_keep_every_status_byte_and_refuse_unknown_ones()
    {
        var statuses = Enum.GetValues<Model.TxStatus>();
        var txids = new byte[32 * statuses.Length];
        new Random(3).NextBytes(txids);
        var value = StoreLayout.ReceiptsValue(new BlockResult(statuses, txids, default));
        // Bytes stay as stored before routes: OK 0 ... SLIPPAGE 9, and BAD_ROUTE, added after them, 10.
        for (int i = 0; i < statuses.Length; i++) Assert.Equal((byte)i, value[36 + 33 * i + 32]);
        var back = StoreLayout.ReadReceipts(value);
        Assert.NotNull(back);
        Assert.Equal(statuses, back.Statuses);
        Assert.Equal(txids, back.TxIds);
        value[36 + 32] = (byte)Model.TxStatusNames.Last + 1;
        Assert.Null(StoreLayout.ReadReceipts(value));
    }

    [Fact]
    public void The_parallel_pipelines_writes_are_all_persisted()
    {
        // The store persists the block's change set, which the CPU pipeline makes through its own
        // path (slots written into copies): check nothing escapes it.
        var chain = TestChain.Small;
        var (expectedDump, expected) = InMemory(chain);
        using var pipeline = new Engine.BlockPipeline(new Engine.GpuExecOptions { Device = Engine.Devices.DeviceKind.Cpu });
        using var dir = new TempDir();
        for (int i = 0; i < chain.Blocks.Length; i++)
        {
            using var store = RocksDbStateStore.Open(dir.Path, chain.Genesis);
            var state = store.Load();
            var block = chain.Block(i);
            var r = pipeline.Execute(block, state, TestContext.Current.CancellationToken).Result;
            Assert.Equal(expected[i].StateRoot, r.StateRoot);
            store.CommitBlock(block, r);
        }
        using var final = RocksDbStateStore.Open(dir.Path, null);
        Assert.Equal(expectedDump, TestChain.Dump(final.Load()));
    }

    [Fact]
    public void The_in_memory_store_gives_the_same_states_and_receipts()
    {
        var chain = TestChain.Small;
        var (expectedDump, expected) = InMemory(chain);
        using IStateStore store = new InMemoryStateStore(chain.Genesis);
        var state = store.Load();
        Assert.Same(state, store.Load());
        for (int i = 0; i < chain.Blocks.Length; i++)
        {
            var block = chain.Block(i);
            var r = SequentialExecutor.Execute(state, block);
            store.CommitBlock(block, r);
            Assert.Equal(expected[i].StateRoot, store.StateRoot);
            Assert.Equal((ulong)i + 1, store.Height);
            Assert.Equal(expected[i].Statuses, store.TryGetReceipts((ulong)i + 1)!.Statuses);
        }
        Assert.Equal(expectedDump, TestChain.Dump(store.Load()));
        Assert.Throws<InvalidOperationException>(() => store.CommitBlock(chain.Block(0), expected[0]));
    }

    [Fact]
    public void An_account_created_empty_is_not_stored_and_the_state_still_round_trips()
    {
        var alice = new Keys(1);
        var nobody = new Keys(2); // never funded: a zero transfer names it, and it ends the block empty
        var genesis = Keys.Genesis(5, 1000, alice);
        var root0 = genesis.StateRoot;
        var data = BlockCodec.Encode(5, 1, alice.Address, root0, [alice.Transfer(5, 0, 0, nobody.Address, 1, 0)]);
        using var dir = new TempDir();
        Hash32 root1;
        using (var store = RocksDbStateStore.Open(dir.Path, genesis))
        {
            var state = store.Load();
            var block = BlockCodec.Decode(data);
            var r = SequentialExecutor.Execute(state, block);
            Assert.Null(state.TryGetAccount(nobody.Address)); // ended the block empty: not kept
            store.CommitBlock(block, r);
            root1 = r.StateRoot;
        }
        using var again = RocksDbStateStore.Open(dir.Path, null);
        var loaded = again.Load();
        Assert.Null(loaded.TryGetAccount(nobody.Address));
        Assert.Equal(root1, loaded.StateRoot);
        Assert.Equal(1UL, loaded.TryGetAccount(alice.Address)!.Nonce);
    }

    [Fact]
    public void A_dump_at_a_height_is_a_genesis_the_store_starts_from()
    {
        var chain = TestChain.Small;
        var state = chain.Genesis;
        SequentialExecutor.Execute(state, chain.Block(0));
        var fromDump = StateJson.Parse(TestChain.Dump(state), "dump");
        using var dir = new TempDir();
        using var store = RocksDbStateStore.Open(dir.Path, fromDump);
        Assert.Equal(1UL, store.Height);
        Assert.Equal(1UL, store.GenesisHeight);
        var loaded = store.Load();
        var block = chain.Block(1);
        var r = SequentialExecutor.Execute(loaded, block);
        store.CommitBlock(block, r);
        Assert.Equal(2UL, store.Height);
    }
}
