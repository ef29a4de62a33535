using System.Diagnostics;
using System.Text;

namespace GpuExec.Cli.Tests;

/// <summary>
/// Output paths that are not plain files, through the real CLI: a device or FIFO is written into and
/// never replaced, a symbolic link is followed to its file and stays a link, a block device or a
/// link to nothing is refused before any work, a link planted where a temporary file might go is
/// never followed, and nothing inside a --state directory is written.
/// </summary>
public class OutputPathTests
{
    private static readonly string Example = TestPaths.Shared("examples", "conformance-2");
    private static string Genesis => Path.Combine(Example, "genesis.json");
    private static string Block => Path.Combine(Example, "block-1.gxb");
    private static string Block2 => Path.Combine(Example, "block-2.gxb");
    private static byte[] ExpectedDump => File.ReadAllBytes(Path.Combine(Example, "expected-dump.json"));

    private static void OneErrorLine(string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, "stderr: " + stderr);
        Assert.StartsWith("gpuexec: ", lines[0]);
    }

    /// <summary>Runs a tool (mknod, mkfifo, stat); its exit code must be 0.</summary>
    private static string Tool(string name, params string[] args)
    {
        var psi = new ProcessStartInfo(name) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{name} {string.Join(' ', args)}: {error}");
        return output.Trim();
    }

    /// <summary>File type and device numbers, as <c>stat</c> prints them: what "the node was not replaced" means.</summary>
    private static string Node(string path) => Tool("stat", "-c", "%F %t:%T %i", path);

    private static void NeedRoot()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("device nodes and FIFOs are made with mknod and mkfifo on Linux");
        if (!Environment.IsPrivilegedProcess) Assert.Skip("mknod needs root (CI and the development machine run tests as root)");
    }

    [Fact]
    public void A_character_device_is_written_into_and_never_replaced()
    {
        NeedRoot();
        var dir = Cli.TempDir();
        // A copy of /dev/null (1:3) and of /dev/zero (1:5): what is written into them is discarded.
        string dev = Path.Combine(dir, "null"), zero = Path.Combine(dir, "zero");
        Tool("mknod", dev, "c", "1", "3");
        Tool("mknod", zero, "c", "1", "5");
        string before = Node(dev), beforeZero = Node(zero);

        var (code, _, err) = Cli.Run("run", "--genesis", Genesis, "--block", Block, "--block", Block2, "--out", dev, "--receipts", zero);
        Assert.True(code == 0, err);
        Assert.Equal(before, Node(dev));
        Assert.Equal(beforeZero, Node(zero));

        // Both outputs into one device are allowed: neither replaces the other.
        (code, _, err) = Cli.Run("run", "--genesis", Genesis, "--block", Block, "--block", Block2, "--out", dev, "--receipts", dev);
        Assert.True(code == 0, err);
        Assert.Equal(before, Node(dev));

        // verify --out too.
        string sigs = Path.Combine(dir, "sigs.jsonl");
        File.WriteAllText(sigs, "{\"public_key\":\"00\",\"message\":\"\",\"signature\":\"00\"}\n");
        (code, _, err) = Cli.Run("verify", "--input", sigs, "--out", dev, "--device", "cpu");
        Assert.True(code == 0, err);
        Assert.Equal(before, Node(dev));
        Assert.Equal(["null", "sigs.jsonl", "zero"], Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task A_fifo_is_written_into_and_stays_a_fifo()
    {
        NeedRoot();
        var dir = Cli.TempDir();
        string fifo = Path.Combine(dir, "pipe");
        Tool("mkfifo", fifo);
        string before = Node(fifo);
        // The reader: opening a FIFO for reading waits for its writer, as the shell's would.
        var read = Task.Run(() => File.ReadAllBytes(fifo), TestContext.Current.CancellationToken);
        var (code, _, err) = Cli.Run("run", "--genesis", Genesis, "--block", Block, "--block", Block2, "--out", Path.Combine(dir, "d.json"), "--receipts", fifo);
        Assert.True(code == 0, err);
        var received = await read.WaitAsync(TimeSpan.FromMinutes(1), TestContext.Current.CancellationToken);
        (code, _, err) = Cli.Run("run", "--genesis", Genesis, "--block", Block, "--block", Block2, "--receipts", Path.Combine(dir, "r.jsonl"));
        Assert.True(code == 0, err);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "r.jsonl")), received);
        Assert.Equal(before, Node(fifo));
        Assert.Equal(ExpectedDump, File.ReadAllBytes(Path.Combine(dir, "d.json")));
    }

    [Fact]
    public void A_symbolic_link_is_followed_to_its_file_and_stays_a_link()
    {
        var dir = Cli.TempDir();
        var elsewhere = Cli.TempDir();
        string target = Path.Combine(elsewhere, "dump.json"), link = Path.Combine(dir, "d.json");
        File.WriteAllText(target, "old");
        File.CreateSymbolicLink(link, target);
        var (code, _, err) = Cli.Run("run", "--genesis", Genesis, "--block", Block, "--block", Block2, "--out", link);
        Assert.True(code == 0, err);
        Assert.Equal(target, new FileInfo(link).LinkTarget);
        Assert.Equal(ExpectedDump, File.ReadAllBytes(target));
        // The temporary file was made beside the target, not beside the link, and is gone.
        Assert.Equal(["d.json"], Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName));
        Assert.Equal(["dump.json"], Directory.EnumerateFileSystemEntries(elsewhere).Select(Path.GetFileName));
    }

    [Fact]
    public void A_block_device_a_link_to_nothing_and_a_link_loop_are_refused_before_any_work()
    {
        var dir = Cli.TempDir();
        string dangling = Path.Combine(dir, "dangling"), loop = Path.Combine(dir, "loop");
        File.CreateSymbolicLink(dangling, Path.Combine(dir, "nothing"));
        File.CreateSymbolicLink(loop, loop);
        foreach (var (path, expected) in new[] { (dangling, "symbolic link to nothing"), (loop, "symbolic link loop") })
        {
            var (code, _, err) = Cli.Run("run", "--genesis", Genesis, "--block", Block, "--block", Block2, "--out", Path.Combine(dir, "d.json"), "--receipts", path);
            Assert.Equal(ExitCodes.Usage, code);
            Assert.Contains(expected, err);
            OneErrorLine(err);
        }
        Assert.False(File.Exists(Path.Combine(dir, "nothing")));
        Assert.False(File.Exists(Path.Combine(dir, "d.json")));

        NeedRoot();
        // A loop device's node (7:0); writing a dump into a disk would destroy it.
        string blk = Path.Combine(dir, "blk");
        Tool("mknod", blk, "b", "7", "0");
        string before = Node(blk);
        var r = Cli.Run("run", "--genesis", Genesis, "--block", Block, "--block", Block2, "--out", blk);
        Assert.Equal(ExitCodes.Usage, r.code);
        Assert.Contains("is a block device", r.stderr);
        OneErrorLine(r.stderr);
        Assert.Equal(before, Node(blk));
    }

    [Fact]
    public void A_link_planted_at_a_temporary_name_is_never_followed()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("reads the next process id from /proc");
        var dir = Cli.TempDir();
        var elsewhere = Cli.TempDir();
        string victim = Path.Combine(elsewhere, "victim");
        File.WriteAllText(victim, "not the tool's");
        string dump = Path.Combine(dir, "d.json"), receipts = Path.Combine(dir, "r.jsonl");
        // Temporary files used to be "<out>.tmp-<pid>": a link at that name for each process id the
        // next processes can get made the run overwrite the link's target.
        int last = int.Parse(File.ReadAllText("/proc/sys/kernel/ns_last_pid").Trim());
        var planted = new List<string>();
        for (int pid = last; pid < last + 2000; pid++)
        {
            foreach (var output in new[] { dump, receipts })
            {
                string name = $"{output}.tmp-{pid}";
                File.CreateSymbolicLink(name, victim);
                planted.Add(name);
            }
        }
        var (code, _, err) = Cli.Run("run", "--genesis", Genesis, "--block", Block, "--block", Block2, "--out", dump, "--receipts", receipts);
        Assert.True(code == 0, err);
        Assert.Equal("not the tool's", File.ReadAllText(victim));
        Assert.Equal(ExpectedDump, File.ReadAllBytes(dump));
        Assert.All(planted, p => Assert.Equal(victim, new FileInfo(p).LinkTarget));
        // Nothing else was left behind.
        Assert.Equal(planted.Count + 2, Directory.EnumerateFileSystemEntries(dir).Count());
    }

    [Fact]
    public void Temporary_files_are_new_unpredictable_names_in_the_targets_folder()
    {
        var dir = Cli.TempDir();
        string target = Path.Combine(dir, "out.json");
        var names = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            AtomicFile.Write(target, s =>
            {
                names.Add(((FileStream)s).Name);
                s.Write(Encoding.UTF8.GetBytes($"run {i}"));
            });
        }
        Assert.Equal("run 2", File.ReadAllText(target));
        Assert.Equal(3, names.Distinct().Count());
        Assert.All(names, n => Assert.Equal(dir, Path.GetDirectoryName(n)));
        Assert.All(names, n => Assert.Matches(@"out\.json\.tmp-[0-9a-f]{16}$", n));
        Assert.Equal(["out.json"], Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Outputs_inside_the_state_directory_are_refused_before_any_work()
    {
        var dir = Cli.TempDir();
        string store = Path.Combine(dir, "store");
        var (code, _, err) = Cli.Run("run", "--state", store, "--genesis", Genesis, "--out", Path.Combine(dir, "genesis-dump.json"), "-q");
        Assert.True(code == 0, err);
        File.Delete(Path.Combine(dir, "genesis-dump.json"));
        var before = Contents(store);
        string linkToRecord = Path.Combine(dir, "record-link"), linkToStore = Path.Combine(dir, "store-link");
        File.CreateSymbolicLink(linkToRecord, Path.Combine(store, "GPUEXEC-COMMITTED"));
        Directory.CreateSymbolicLink(linkToStore, store);
        var attempts = new[]
        {
            new[] { "--out", Path.Combine(store, "CURRENT") },
            ["--out", Path.Combine(dir, "d.json"), "--receipts", Path.Combine(store, "GPUEXEC-COMMITTED")],
            ["--out", Path.Combine(store, "new.json")],
            ["--out", linkToRecord],
            ["--out", Path.Combine(linkToStore, "CURRENT")],
            ["--out", Path.Combine(dir, "x", "..", "store", "d.json")],
        };
        Directory.CreateDirectory(Path.Combine(dir, "x"));
        foreach (var outputs in attempts)
        {
            // With a block: refused before it is applied, so the store stays at height 0.
            (code, _, err) = Cli.Run(["run", "--state", store, "--block", Block, "--block", Block2, .. outputs]);
            Assert.True(code == ExitCodes.Usage, $"{string.Join(' ', outputs)}: exit {code}: {err}");
            Assert.Contains("inside the state directory", err);
            OneErrorLine(err);
            Assert.Equal(before, Contents(store));
        }
        Assert.False(File.Exists(Path.Combine(dir, "d.json")));
        (code, _, err) = Cli.Run("run", "--state", store, "--block", Block, "--block", Block2, "--out", Path.Combine(dir, "d.json"), "-q");
        Assert.True(code == 0, err);
        Assert.Equal(ExpectedDump, File.ReadAllBytes(Path.Combine(dir, "d.json")));
    }

    private static Dictionary<string, string> Contents(string dir) =>
        Directory.GetFiles(dir)
            .Where(f => !Path.GetFileName(f).StartsWith("LOG", StringComparison.Ordinal))
            .ToDictionary(f => Path.GetFileName(f), f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))));
}
