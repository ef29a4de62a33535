using GpuExec.Execution;
using GpuExec.Wire;
using RocksDbSharp;

namespace GpuExec.Storage.Tests;

public class RefusalTests
{
    private static GpuExecException Refused(Func<object?> act, string dir, string fragment)
    {
        var e = Assert.ThrowsAny<GpuExecException>(act);
        Assert.Equal(ErrorKind.InvalidInput, e.Kind);
        Assert.Contains(Path.GetFullPath(dir), e.Message, StringComparison.Ordinal);
        Assert.Contains(fragment, e.Message, StringComparison.OrdinalIgnoreCase);
        return e;
    }

    private static void OpenAndClose(string dir, State.WorldState? genesis)
    {
        using var s = RocksDbStateStore.Open(dir, genesis);
    }

    [Fact]
    public void A_new_directory_needs_a_genesis()
    {
        using var dir = new TempDir();
        Refused(() => RocksDbStateStore.Open(dir.Path, null), dir.Path, "genesis");
        Assert.False(Directory.Exists(dir.Path) && Directory.EnumerateFileSystemEntries(dir.Path).Any());
    }

    [Fact]
    public void A_store_refuses_a_genesis_of_another_chain_or_with_other_contents()
    {
        var a = new Keys(1);
        var b = new Keys(2);
        using var dir = new TempDir();
        OpenAndClose(dir.Path, Keys.Genesis(1, 1000, a, b));
        Refused(() => RocksDbStateStore.Open(dir.Path, Keys.Genesis(2, 1000, a, b)), dir.Path, "chain");
        Refused(() => RocksDbStateStore.Open(dir.Path, Keys.Genesis(1, 1001, a, b)), dir.Path, "different genesis");
        Refused(() => RocksDbStateStore.Open(dir.Path, Keys.Genesis(1, 1000, a)), dir.Path, "different genesis");
        var later = Keys.Genesis(1, 1000, a, b);
        later.Height = 3;
        Refused(() => RocksDbStateStore.Open(dir.Path, later), dir.Path, "different genesis");
        // The refusals changed nothing: the right genesis still opens it, at height 0.
        using var s = RocksDbStateStore.Open(dir.Path, Keys.Genesis(1, 1000, a, b));
        Assert.Equal(0UL, s.Height);
        Assert.Equal(Keys.Genesis(1, 1000, a, b).StateRoot, s.Load().StateRoot);
    }

    [Fact]
    public void A_directory_that_is_not_a_store_is_refused_and_left_alone()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Path);
        File.WriteAllText(dir.Sub("notes.txt"), "mine");
        Refused(() => RocksDbStateStore.Open(dir.Path, Keys.Genesis(1, 10, new Keys(1))), dir.Path, "not a GpuExec state store");
        Assert.Equal([dir.Sub("notes.txt")], Directory.EnumerateFileSystemEntries(dir.Path));

        File.WriteAllText(dir.Sub("build.log"), "not RocksDB's");
        Refused(() => RocksDbStateStore.Open(dir.Path, Keys.Genesis(1, 10, new Keys(1))), dir.Path, "not a GpuExec state store");
        Assert.True(RocksDbStateStore.IsStoreFile("000004.log") && RocksDbStateStore.IsStoreFile("000008.sst") && RocksDbStateStore.IsStoreFile("MANIFEST-000005"));
        Assert.False(RocksDbStateStore.IsStoreFile("build.log") || RocksDbStateStore.IsStoreFile(".log"));
        File.Delete(dir.Sub("build.log"));

        File.WriteAllText(dir.Sub("file"), "x");
        Refused(() => RocksDbStateStore.Open(dir.Sub("file"), Keys.Genesis(1, 10, new Keys(1))), dir.Sub("file"), "is a file");
    }

    [Fact]
    public void Another_rocksdb_database_is_not_a_store()
    {
        using var dir = new TempDir();
        using (var db = RocksDb.Open(new DbOptions().SetCreateIfMissing(true), dir.Path))
            db.Put("someone"u8, "else's"u8);
        Refused(() => RocksDbStateStore.Open(dir.Path, Keys.Genesis(1, 10, new Keys(1))), dir.Path, "not a GpuExec state store");
    }

    [Fact]
    public void An_empty_rocksdb_database_is_refused_not_initialised()
    {
        // What a store reads as whose log is damaged at its start: its blocks are not replaced by a genesis.
        using var dir = new TempDir();
        using (RocksDb.Open(new DbOptions().SetCreateIfMissing(true), dir.Path)) { }
        Refused(() => RocksDbStateStore.Open(dir.Path, Keys.Genesis(1, 10, new Keys(1))), dir.Path, "not re-initialised");
        Refused(() => RocksDbStateStore.Open(dir.Path, Keys.Genesis(1, 10, new Keys(1))), dir.Path, "not re-initialised");
        using var db = RocksDb.Open(new DbOptions(), dir.Path);
        using var it = db.NewIterator();
        it.SeekToFirst();
        Assert.False(it.Valid()); // nothing was written into it
        Assert.False(File.Exists(dir.Sub(CommitRecord.FileName)));
    }

    [Fact]
    public void An_interrupted_creation_is_finished_from_its_genesis_and_only_from_it()
    {
        // What a crash during the creation leaves: the creation marker, RocksDB's files, maybe the batch.
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Path);
        File.WriteAllBytes(dir.Sub(RocksDbStateStore.CreatingFileName), []);
        using (RocksDb.Open(new DbOptions().SetCreateIfMissing(true), dir.Path)) { }
        Assert.True(RocksDbStateStore.IsNew(dir.Path));
        Refused(() => RocksDbStateStore.Open(dir.Path, null), dir.Path, "creation was interrupted");
        using (var s = RocksDbStateStore.Open(dir.Path, Keys.Genesis(1, 10, new Keys(1))))
            Assert.Equal(1, s.Load().AccountCount);
        Assert.False(File.Exists(dir.Sub(RocksDbStateStore.CreatingFileName)));
        Assert.False(RocksDbStateStore.IsNew(dir.Path));

        // Cut short after its batch: the store exists, so another genesis is refused.
        using var dir2 = new TempDir();
        OpenAndClose(dir2.Path, Keys.Genesis(1, 10, new Keys(1)));
        File.Delete(dir2.Sub(CommitRecord.FileName));
        File.WriteAllBytes(dir2.Sub(RocksDbStateStore.CreatingFileName), []);
        Refused(() => RocksDbStateStore.Open(dir2.Path, Keys.Genesis(1, 11, new Keys(1))), dir2.Path, "different genesis");
        using var s2 = RocksDbStateStore.Open(dir2.Path, Keys.Genesis(1, 10, new Keys(1)));
        Assert.Equal(0UL, s2.Height);
    }

    [Fact]
    public void A_store_open_elsewhere_is_refused_as_locked()
    {
        using var dir = new TempDir();
        var genesis = Keys.Genesis(1, 10, new Keys(1));
        using (var first = RocksDbStateStore.Open(dir.Path, genesis))
        {
            Refused(() => RocksDbStateStore.Open(dir.Path, null), dir.Path, "locked");
            Assert.Equal(0UL, first.Load().Height); // the first is unharmed
        }
        OpenAndClose(dir.Path, null); // released on dispose
    }

    [Fact]
    public void A_refused_block_leaves_the_store_untouched()
    {
        var chain = TestChain.Small;
        using var dir = new TempDir();
        var store = RocksDbStateStore.Open(dir.Path, chain.Genesis);
        var state = store.Load();
        var genesisDump = TestChain.Dump(state);
        var root0 = store.StateRoot;

        // Height 2 on a store at 0; a tampered parent root; a tampered tx_root: refused whole.
        Assert.Throws<BlockRejectedException>(() => SequentialExecutor.Execute(state, chain.Block(1)));
        var bad = (byte[])chain.Blocks[0].Clone();
        bad[48] ^= 1;
        Assert.Throws<BlockRejectedException>(() => SequentialExecutor.Execute(state, BlockCodec.Decode(bad)));
        bad = (byte[])chain.Blocks[0].Clone();
        bad[80] ^= 1;
        Assert.Throws<BlockRejectedException>(() => SequentialExecutor.Execute(state, BlockCodec.Decode(bad)));
        Assert.Equal(genesisDump, TestChain.Dump(state));

        // Misuse of the store is refused before anything is written.
        var block1 = chain.Block(0);
        var r1 = SequentialExecutor.Execute(state, block1);
        Assert.Throws<InvalidOperationException>(() => store.CommitBlock(chain.Block(1), r1));
        // Receipts without the block's change set (as read back from a store) commit nothing.
        Assert.Throws<InvalidOperationException>(() => store.CommitBlock(block1, new BlockResult(r1.Statuses, r1.TxIds, r1.StateRoot)));
        store.Dispose();

        using var reopened = RocksDbStateStore.Open(dir.Path, chain.Genesis);
        Assert.Equal(0UL, reopened.Height);
        Assert.Equal(root0, reopened.StateRoot);
        Assert.Null(reopened.TryGetReceipts(1));
        Assert.Equal(genesisDump, TestChain.Dump(reopened.Load()));
    }
}
