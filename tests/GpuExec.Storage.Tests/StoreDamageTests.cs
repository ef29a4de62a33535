using System.Diagnostics;
using GpuExec.Execution;
using GpuExec.State;
using RocksDbSharp;

namespace GpuExec.Storage.Tests;

/// <summary>
/// A damaged store through the real CLI: damage to what was acknowledged is refused with exit 3 and
/// one stderr line naming the store, never reopened at an earlier height nor re-initialised; the torn
/// tail of a crash is not damage; a dump opens read-only; a full disk is exit 1.
/// </summary>
public class StoreDamageTests
{
    private static string CliDll => Path.Combine(AppContext.BaseDirectory, "gpuexec.dll");

    /// <summary>The small chain as files, and the dump after each height (index 0: the genesis).</summary>
    private sealed class Files : IDisposable
    {
        private readonly TempDir _dir = new();

        public Files()
        {
            var chain = TestChain.Small;
            Directory.CreateDirectory(_dir.Path);
            Genesis = _dir.Sub("genesis.json");
            StateJson.WriteDumpFile(chain.Genesis, Genesis);
            var state = chain.Genesis;
            Dumps.Add(TestChain.Dump(state));
            Blocks = new string[chain.Blocks.Length];
            for (int i = 0; i < Blocks.Length; i++)
            {
                File.WriteAllBytes(Blocks[i] = _dir.Sub($"b{i + 1}.gxb"), chain.Blocks[i]);
                SequentialExecutor.Execute(state, chain.Block(i));
                Dumps.Add(TestChain.Dump(state));
            }
        }

        public string Genesis { get; }
        public string[] Blocks { get; }
        public List<byte[]> Dumps { get; } = [];
        public string Sub(string name) => _dir.Sub(name);
        public void Dispose() => _dir.Dispose();

        /// <summary>A store at height <paramref name="blocks"/>, made by one CLI run (so its log holds every block).</summary>
        public string Store(string name, int blocks)
        {
            string dir = Sub(name);
            var args = new List<string> { "run", "--state", dir, "--genesis", Genesis };
            foreach (var b in Blocks.Take(blocks)) args.AddRange(["--block", b]);
            var (code, err) = Cli([.. args]);
            Assert.True(code == 0, string.Join("\n", err));
            return dir;
        }
    }

    private static (int Code, string[] Stderr) Cli(params string[] args)
    {
        using var p = ChildProcess.Start(CliDll, args);
        int code = p.WaitForExit();
        return (code, p.Stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    /// <summary>Exit 3, one stderr line, naming the store and containing each fragment.</summary>
    private static string AssertRefused((int Code, string[] Stderr) r, string dir, params string[] fragments)
    {
        Assert.True(r.Code == 3, $"exit {r.Code}: {string.Join(" | ", r.Stderr)}");
        var line = Assert.Single(r.Stderr);
        Assert.Contains(Path.GetFullPath(dir), line, StringComparison.Ordinal);
        foreach (var f in fragments) Assert.Contains(f, line, StringComparison.Ordinal);
        return line;
    }

    private static string Wal(string dir) => Assert.Single(Directory.GetFiles(dir, "*.log"));

    private static void Flip8(string file, long offset)
    {
        var bytes = File.ReadAllBytes(file);
        for (long i = offset; i < offset + 8; i++) bytes[i] ^= 0xff;
        File.WriteAllBytes(file, bytes);
    }

    /// <summary>Every file's bytes by name, but RocksDB's info logs (which a failed writable open rotates).</summary>
    private static Dictionary<string, string> Contents(string dir, bool withInfoLogs = false) =>
        Directory.GetFiles(dir)
            .Where(f => withInfoLogs || !Path.GetFileName(f).StartsWith("LOG", StringComparison.Ordinal))
            .ToDictionary(f => Path.GetFileName(f), f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))));

    [Fact]
    public void Eight_flipped_bytes_in_the_middle_of_the_write_ahead_log_refuse_the_store()
    {
        using var f = new Files();
        string dir = f.Store("s", 6);
        Flip8(Wal(dir), new FileInfo(Wal(dir)).Length / 2);
        string dump = f.Sub("d.json");
        // Dump (read-only open) and a block (writable open, whose message names the file): both refused.
        AssertRefused(Cli("run", "--state", dir, "--out", dump), dir, "corrupted", "write-ahead log");
        AssertRefused(Cli("run", "--state", dir, "--genesis", f.Genesis, "--block", f.Blocks[0], "--out", dump), dir, "corrupted", Wal(dir));
        Assert.False(File.Exists(dump));
    }

    [Fact]
    public void Damage_near_the_start_of_the_log_is_refused_and_the_store_is_not_reinitialised()
    {
        using var f = new Files();
        string dir = f.Store("s", 6);
        Flip8(Wal(dir), 20); // inside the first record: the store's initialisation
        var before = Contents(dir);
        AssertRefused(Cli("run", "--state", dir, "--genesis", f.Genesis, "--block", f.Blocks[0], "--out", f.Sub("d.json")), dir, "corrupted");
        AssertRefused(Cli("run", "--state", dir, "--genesis", f.Genesis, "--out", f.Sub("d.json")), dir, "corrupted");
        Assert.Equal(before, Contents(dir));
        Assert.False(File.Exists(f.Sub("d.json")));
    }

    [Fact]
    public void Eight_flipped_bytes_anywhere_in_the_log_never_open_the_store_at_an_earlier_height()
    {
        using var f = new Files();
        string made = f.Store("s", 6);
        long length = new FileInfo(Wal(made)).Length;
        var offsets = Enumerable.Range(0, 12).Select(i => length * i / 12).Append(length - 8).Append(length - 40);
        foreach (long offset in offsets)
        {
            using var copy = new TempDir();
            Directory.CreateDirectory(copy.Path);
            foreach (var file in Directory.GetFiles(made)) File.Copy(file, Path.Combine(copy.Path, Path.GetFileName(file)));
            Flip8(Wal(copy.Path), offset);
            var e = Assert.ThrowsAny<GpuExecException>(() =>
            {
                using var s = RocksDbStateStore.Open(copy.Path, null, readOnly: true);
                s.Load();
                return s.Height;
            });
            Assert.Contains("corrupted", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_damaged_manifest_is_refused_and_its_table_files_are_kept()
    {
        using var f = new Files();
        string made = f.Store("s", 5);
        Assert.Equal(0, Cli("run", "--state", made, "--block", f.Blocks[5]).Code); // the reopen wrote a table file into a new manifest
        string name = Path.GetFileName(Assert.Single(Directory.GetFiles(made, "MANIFEST-*")));
        long length = new FileInfo(Path.Combine(made, name)).Length;
        // Some offsets fail a checksum, others make a record's length run past the end, which RocksDB
        // reads as a torn tail: it then forgets the table file, and a writable open would delete it.
        foreach (long offset in Enumerable.Range(1, 7).Select(i => length * i / 8))
        {
            using var copy = new TempDir();
            Directory.CreateDirectory(copy.Path);
            foreach (var file in Directory.GetFiles(made)) File.Copy(file, Path.Combine(copy.Path, Path.GetFileName(file)));
            Flip8(Path.Combine(copy.Path, name), offset);
            var before = Contents(copy.Path);
            AssertRefused(Cli("run", "--state", copy.Path, "--out", f.Sub("d.json")), copy.Path, "corrupted");
            AssertRefused(Cli("run", "--state", copy.Path, "--block", f.Blocks[0]), copy.Path, "corrupted");
            Assert.Equal(before, Contents(copy.Path));
        }
    }

    [Fact]
    public void A_lost_acknowledged_block_is_refused_though_rocksdb_reads_the_loss_as_a_torn_tail()
    {
        using var f = new Files();
        string dir = f.Store("s", 6);
        using (var fs = new FileStream(Wal(dir), FileMode.Open)) fs.SetLength(fs.Length - 100); // block 6 was synced: this is damage
        AssertRefused(Cli("run", "--state", dir, "--out", f.Sub("d.json")), dir, "block 6 is lost");
        AssertRefused(Cli("run", "--state", dir, "--block", f.Blocks[5]), dir, "block 6 is lost");
    }

    [Fact]
    public void The_torn_tail_of_an_unacknowledged_block_opens_at_the_block_before_it()
    {
        using var f = new Files();
        string made = f.Store("s", 5);
        var record5 = File.ReadAllBytes(Path.Combine(made, CommitRecord.FileName));
        Assert.Equal(0, Cli("run", "--state", made, "--block", f.Blocks[5]).Code);
        string wal = Path.GetFileName(Wal(made)); // the reopened store's log holds block 6 alone
        long length = new FileInfo(Path.Combine(made, wal)).Length;
        foreach (long cut in new[] { 1L, 7, 100, length / 2, length - 1, length })
        {
            // The state of a crash while block 6 was being written: its log record torn, not acknowledged.
            using var copy = new TempDir();
            Directory.CreateDirectory(copy.Path);
            foreach (var file in Directory.GetFiles(made)) File.Copy(file, Path.Combine(copy.Path, Path.GetFileName(file)));
            using (var fs = new FileStream(Path.Combine(copy.Path, wal), FileMode.Open)) fs.SetLength(length - cut);
            File.WriteAllBytes(Path.Combine(copy.Path, CommitRecord.FileName), record5);

            string dump = f.Sub($"d-{cut}.json");
            Assert.Equal(0, Cli("run", "--state", copy.Path, "--out", dump).Code);
            Assert.Equal(f.Dumps[5], File.ReadAllBytes(dump));
            var r = Cli("run", "--state", copy.Path, "--block", f.Blocks[5], "--out", dump);
            Assert.True(r.Code == 0, string.Join(" | ", r.Stderr));
            Assert.Equal(f.Dumps[6], File.ReadAllBytes(dump));
        }
    }

    [Fact]
    public void A_damaged_or_missing_commit_record_is_refused()
    {
        using var f = new Files();
        string dir = f.Store("s", 2);
        string record = Path.Combine(dir, CommitRecord.FileName);
        var good = File.ReadAllBytes(record);
        File.WriteAllBytes(record, new byte[good.Length]);
        AssertRefused(Cli("run", "--state", dir, "--out", f.Sub("d.json")), dir, CommitRecord.FileName, "damaged");
        File.Delete(record);
        AssertRefused(Cli("run", "--state", dir, "--block", f.Blocks[2]), dir, CommitRecord.FileName, "missing");
        // One damaged slot alone is what a torn write of it leaves: the other, one block older, is used.
        var oneSlot = (byte[])good.Clone();
        oneSlot.AsSpan(0, 512).Clear();
        File.WriteAllBytes(record, oneSlot);
        Assert.Equal(0, Cli("run", "--state", dir, "--block", f.Blocks[2], "--out", f.Sub("d.json")).Code);
        Assert.Equal(f.Dumps[3], File.ReadAllBytes(f.Sub("d.json")));
    }

    [Fact]
    public void A_store_made_before_commit_records_gets_one()
    {
        using var f = new Files();
        string dir = f.Store("s", 2);
        File.Delete(Path.Combine(dir, CommitRecord.FileName));
        using (var db = RocksDb.Open(new DbOptions(), dir)) db.Remove(StoreLayout.CommitRecordKey);
        Assert.Equal(0, Cli("run", "--state", dir, "--out", f.Sub("d.json")).Code); // read-only: left as it is
        Assert.False(File.Exists(Path.Combine(dir, CommitRecord.FileName)));
        Assert.Equal(0, Cli("run", "--state", dir, "--block", f.Blocks[2]).Code);
        using var s = RocksDbStateStore.Open(dir, null, readOnly: true);
        Assert.Equal(3UL, s.Height);
        Assert.Equal((s.Height, s.StateRoot), CommitRecord.Read(dir));
    }

    [Fact]
    public void A_dump_opens_read_only_changes_nothing_and_works_while_another_process_holds_the_store()
    {
        using var f = new Files();
        string dir = f.Store("s", 3);
        var before = Contents(dir, withInfoLogs: true);
        Assert.Equal(0, Cli("run", "--state", dir, "--genesis", f.Genesis, "--out", f.Sub("d.json")).Code);
        Assert.Equal(f.Dumps[3], File.ReadAllBytes(f.Sub("d.json")));
        Assert.Equal(before, Contents(dir, withInfoLogs: true));

        using var holder = ChildProcess.StartSelf("--store-hold", dir);
        Assert.True(holder.WaitFor("opened"), holder.Stderr.ToString());
        Assert.Equal(0, Cli("run", "--state", dir, "--out", f.Sub("d2.json")).Code);
        Assert.Equal(f.Dumps[3], File.ReadAllBytes(f.Sub("d2.json")));
        AssertRefused(Cli("run", "--state", dir, "--block", f.Blocks[3]), dir, "locked");
        holder.CloseStdin();
        Assert.Equal(0, holder.WaitForExit());
    }

    [Fact]
    public void A_directory_holding_rocksdb_files_is_never_initialised_but_an_interrupted_creation_is_finished()
    {
        using var f = new Files();
        // An empty RocksDB database (what a log damaged at its start reads as): refused, left alone.
        string empty = f.Sub("empty");
        using (RocksDb.Open(new DbOptions().SetCreateIfMissing(true), empty)) { }
        var before = Contents(empty);
        AssertRefused(Cli("run", "--state", empty, "--genesis", f.Genesis, "--out", f.Sub("d.json")), empty, "not re-initialised");
        Assert.Equal(before, Contents(empty));

        // RocksDB files without CURRENT: refused.
        string noCurrent = f.Store("nocurrent", 1);
        File.Delete(Path.Combine(noCurrent, "CURRENT"));
        AssertRefused(Cli("run", "--state", noCurrent, "--genesis", f.Genesis, "--out", f.Sub("d.json")), noCurrent, "no CURRENT");

        // A creation cut short (its marker still there, no commit record yet) is finished from the genesis.
        string cut = f.Sub("cut");
        Directory.CreateDirectory(cut);
        File.WriteAllBytes(Path.Combine(cut, RocksDbStateStore.CreatingFileName), []);
        using (RocksDb.Open(new DbOptions().SetCreateIfMissing(true), cut)) { }
        AssertRefused(Cli("run", "--state", cut, "--out", f.Sub("d.json")), cut, "creation was interrupted", "--genesis");
        var r = Cli("run", "--state", cut, "--genesis", f.Genesis, "--block", f.Blocks[0], "--out", f.Sub("d.json"));
        Assert.True(r.Code == 0, string.Join(" | ", r.Stderr));
        Assert.Equal(f.Dumps[1], File.ReadAllBytes(f.Sub("d.json")));
        Assert.False(File.Exists(Path.Combine(cut, RocksDbStateStore.CreatingFileName)));
    }

    [Fact]
    public void A_full_disk_is_exit_1_and_a_read_only_file_system_still_dumps()
    {
        using var f = new Files();
        using var fs = TmpFs.TryMount(f.Sub("mnt"), 3) ?? throw Skip("mounting a tmpfs needs root with CAP_SYS_ADMIN");
        string dir = f.Store("mnt/s", 2);
        using (var fill = new FileStream(Path.Combine(fs.Path, "fill"), FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            var chunk = new byte[64 << 10];
            try { while (true) fill.Write(chunk); }
            catch (IOException) { }
        }
        var r = Cli("run", "--state", dir, "--block", f.Blocks[2]);
        Assert.True(r.Code == 1, $"exit {r.Code}: {string.Join(" | ", r.Stderr)}");
        var line = Assert.Single(r.Stderr);
        Assert.Contains("disk is full", line, StringComparison.Ordinal);
        Assert.DoesNotContain("corrupted", line, StringComparison.Ordinal);
        r = Cli("run", "--state", f.Sub("mnt/new"), "--genesis", f.Genesis, "--out", f.Sub("d.json"));
        Assert.True(r.Code == 1, $"exit {r.Code}: {string.Join(" | ", r.Stderr)}");

        File.Delete(Path.Combine(fs.Path, "fill"));
        fs.RemountReadOnly();
        Assert.Equal(0, Cli("run", "--state", dir, "--out", f.Sub("d.json")).Code);
        Assert.Equal(f.Dumps[2], File.ReadAllBytes(f.Sub("d.json")));
        AssertRefused(Cli("run", "--state", dir, "--block", f.Blocks[2]), dir, "cannot be written");
    }

    [Fact]
    public void A_full_disk_at_commit_is_an_io_error_and_the_store_stays_at_its_height()
    {
        using var f = new Files();
        using var fs = TmpFs.TryMount(f.Sub("mnt"), 3) ?? throw Skip("mounting a tmpfs needs root with CAP_SYS_ADMIN");
        var chain = TestChain.Small;
        string dir = Path.Combine(fs.Path, "s");
        using (var store = RocksDbStateStore.Open(dir, chain.Genesis))
        {
            var state = store.Load();
            store.CommitBlock(chain.Block(0), SequentialExecutor.Execute(state, chain.Block(0)));
            using (var fill = new FileStream(Path.Combine(fs.Path, "fill"), FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                var chunk = new byte[64 << 10];
                try { while (true) fill.Write(chunk); }
                catch (IOException) { }
            }
            var e = Assert.Throws<IOException>(() =>
            {
                for (int i = 1; i < chain.Blocks.Length; i++)
                    store.CommitBlock(chain.Block(i), SequentialExecutor.Execute(state, chain.Block(i)));
            });
            Assert.DoesNotContain("corrupted", e.Message, StringComparison.Ordinal);
        }
        File.Delete(Path.Combine(fs.Path, "fill"));
        using var reopened = RocksDbStateStore.Open(dir, chain.Genesis);
        reopened.Load();
        Assert.InRange(reopened.Height, 1UL, (ulong)chain.Blocks.Length);
    }

    [Fact]
    public void Rocksdb_failures_are_sorted_into_environment_and_store()
    {
        Assert.IsType<IOException>(RocksDbStateStore.Translate("/d", "IO error: No space left on device: While appending to file: /d/000004.log: No space left on device", "commit"));
        Assert.Contains("locked", RocksDbStateStore.Translate("/d", "IO error: While lock file: /d/LOCK: Resource temporarily unavailable", "open").Message, StringComparison.Ordinal);
        var corruption = RocksDbStateStore.Translate("/d", "Corruption: bad block contents", "open");
        Assert.Contains("corrupted", corruption.Message, StringComparison.Ordinal); // "block" is not a lock
        Assert.Equal(ErrorKind.InvalidInput, Assert.IsType<GpuExecException>(corruption).Kind);
    }

    private static Exception Skip(string why)
    {
        Assert.Skip(why);
        return new UnreachableException();
    }
}

/// <summary>A small tmpfs mounted for a test (root only), unmounted on dispose.</summary>
internal sealed class TmpFs : IDisposable
{
    private TmpFs(string path) => Path = path;

    public string Path { get; }

    public static TmpFs? TryMount(string path, int megabytes)
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root") return null;
        Directory.CreateDirectory(path);
        return Sh("mount", "-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", path) ? new TmpFs(path) : null;
    }

    public void RemountReadOnly() => Assert.True(Sh("mount", "-o", "remount,ro", Path), "remount read-only");

    public void Dispose() => Sh("umount", "-l", Path);

    private static bool Sh(string file, params string[] args)
    {
        try
        {
            var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in args) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            p.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }
}
