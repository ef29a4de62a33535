using GpuExec.Execution;
using RocksDbSharp;

namespace GpuExec.Storage.Tests;

public class CorruptionTests
{
    /// <summary>A store two blocks into the small chain, closed.</summary>
    private static void MakeStore(string dir)
    {
        var chain = TestChain.Small;
        using var store = RocksDbStateStore.Open(dir, chain.Genesis);
        var state = store.Load();
        for (int i = 0; i < 2; i++)
        {
            var b = chain.Block(i);
            store.CommitBlock(b, SequentialExecutor.Execute(state, b));
        }
    }

    private static void Raw(string dir, Action<RocksDb> act)
    {
        using var db = RocksDb.Open(new DbOptions(), dir);
        act(db);
    }

    private static byte[] FirstKey(RocksDb db, byte prefix)
    {
        using var it = db.NewIterator();
        it.Seek([prefix]);
        Assert.True(it.Valid());
        return it.Key();
    }

    private static void AssertCorrupted(string dir)
    {
        var e = Assert.ThrowsAny<GpuExecException>(() =>
        {
            using var s = RocksDbStateStore.Open(dir, null);
            s.Load();
        });
        Assert.Equal(ErrorKind.InvalidInput, e.Kind);
        Assert.Contains(Path.GetFullPath(dir), e.Message, StringComparison.Ordinal);
        Assert.Contains("corrupted", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_changed_balance_is_caught_by_the_state_root_check()
    {
        using var dir = new TempDir();
        MakeStore(dir.Path);
        Raw(dir.Path, db =>
        {
            var key = FirstKey(db, StoreLayout.AccountPrefix);
            var v = db.Get(key);
            v[^1] ^= 0x01; // the top byte of the last balance: still a well-formed record
            db.Put(key, v);
        });
        AssertCorrupted(dir.Path);
    }

    [Fact]
    public void A_changed_pool_reserve_is_caught()
    {
        using var dir = new TempDir();
        MakeStore(dir.Path);
        Raw(dir.Path, db =>
        {
            var key = FirstKey(db, StoreLayout.PoolPrefix);
            var v = db.Get(key);
            v[8] ^= 0x01;
            db.Put(key, v);
        });
        AssertCorrupted(dir.Path);
    }

    [Fact]
    public void Malformed_records_and_missing_meta_are_caught()
    {
        using var dir = new TempDir();
        MakeStore(dir.Path);
        Raw(dir.Path, db => db.Put(FirstKey(db, StoreLayout.AccountPrefix), new byte[] { 1, 2, 3 }));
        AssertCorrupted(dir.Path);

        using var dir2 = new TempDir();
        MakeStore(dir2.Path);
        Raw(dir2.Path, db => db.Remove(StoreLayout.StateRootKey));
        AssertCorrupted(dir2.Path);

        using var dir3 = new TempDir();
        MakeStore(dir3.Path);
        Raw(dir3.Path, db => db.Remove(FirstKey(db, StoreLayout.AccountPrefix)));
        AssertCorrupted(dir3.Path);
    }

    [Fact]
    public void Flipped_bytes_in_a_table_file_are_caught()
    {
        using var dir = new TempDir();
        MakeStore(dir.Path);
        Raw(dir.Path, db => db.Flush(new FlushOptions().SetWaitForFlush(true)));
        var sst = Directory.GetFiles(dir.Path, "*.sst");
        Assert.NotEmpty(sst);
        foreach (var f in sst)
        {
            var bytes = File.ReadAllBytes(f);
            for (int i = 64; i < bytes.Length / 2; i += 97) bytes[i] ^= 0x5a; // data blocks sit at the front
            File.WriteAllBytes(f, bytes);
        }
        AssertCorrupted(dir.Path);
    }

    [Fact]
    public void Deleted_table_files_are_caught()
    {
        using var dir = new TempDir();
        MakeStore(dir.Path);
        Raw(dir.Path, db => db.Flush(new FlushOptions().SetWaitForFlush(true)));
        foreach (var f in Directory.GetFiles(dir.Path, "*.sst")) File.Delete(f);
        AssertCorrupted(dir.Path);
    }
}
