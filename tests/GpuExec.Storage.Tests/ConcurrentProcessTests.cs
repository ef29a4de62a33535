using GpuExec.Execution;
using GpuExec.Generation;
using GpuExec.State;

namespace GpuExec.Storage.Tests;

/// <summary>
/// Several processes on one store, through the real CLI: a read-only dump while another process
/// opens the store as its writer and commits to it, and several processes creating one new store.
/// A healthy store is never reported as damaged, and the loser of a creation is told the store is
/// locked, never an I/O error.
/// </summary>
public class ConcurrentProcessTests(ITestOutputHelper output)
{
    private static string CliDll => Path.Combine(AppContext.BaseDirectory, "gpuexec.dll");

    /// <summary>A chain of many small blocks as files, the genesis dump, and the state root after each height (index 0: the genesis).</summary>
    private sealed class Files : IDisposable
    {
        private readonly TempDir _dir = new();

        public Files(int blocks, int txsPerBlock)
        {
            // No invalid transaction: the writer child commits without verifying signatures.
            var chain = TestChain.Get(new GeneratorOptions { Accounts = 2000, TxsPerBlock = txsPerBlock, Pools = 3, Blocks = blocks, InvalidRatio = 0, Skew = 0.5, Seed = 23 });
            Directory.CreateDirectory(_dir.Path);
            Genesis = _dir.Sub("genesis.json");
            StateJson.WriteDumpFile(chain.Genesis, Genesis);
            var state = chain.Genesis;
            GenesisDump = TestChain.Dump(state);
            Roots.Add(state.StateRoot);
            Blocks = new string[chain.Blocks.Length];
            for (int i = 0; i < Blocks.Length; i++)
            {
                File.WriteAllBytes(Blocks[i] = _dir.Sub($"b{i + 1}.gxb"), chain.Blocks[i]);
                Roots.Add(SequentialExecutor.Execute(state, chain.Block(i)).StateRoot);
            }
        }

        public string Genesis { get; }
        public string[] Blocks { get; }
        public byte[] GenesisDump { get; }
        public List<Wire.Hash32> Roots { get; } = [];
        public string Sub(string name) => _dir.Sub(name);
        public void Dispose() => _dir.Dispose();
    }

    private static (int Code, string Stderr) Cli(params string[] args)
    {
        using var p = ChildProcess.Start(CliDll, args);
        int code = p.WaitForExit();
        return (code, p.Stderr.ToString().Trim());
    }

    [Fact]
    public void Read_only_dumps_succeed_while_another_process_reopens_and_commits_as_the_writer()
    {
        const int Rounds = 50;
        // Enough blocks that the writer commits one on each of its rounds while the dumps run: each
        // open then flushes the last block's log into a table file and deletes the log, and table
        // files pile up and are compacted away, all under the reader.
        using var f = new Files(blocks: 1500, txsPerBlock: 4);
        string dir = f.Sub("store");
        Assert.Equal(0, Cli("run", "--state", dir, "--genesis", f.Genesis, "--out", f.Sub("start.json"), "-q").Code);

        using var writer = ChildProcess.StartSelf(["--store-reopen", dir, .. f.Blocks]);
        Assert.True(writer.WaitFor("round 0"), writer.Stderr.ToString());
        int lastHeight = 0;
        var heights = new List<int>();
        for (int i = 0; i < Rounds; i++)
        {
            string dump = f.Sub($"d{i}.json");
            var (code, err) = Cli("run", "--state", dir, "--out", dump, "-q");
            Assert.True(code == 0, $"round {i}: exit {code}: {err}");
            // A whole state of some height: the dump reads back as a genesis (its root checked
            // against its contents), at a height not below the last dump's, with that height's root.
            var state = StateJson.ReadFile(dump);
            int height = checked((int)state.Height);
            Assert.True(height >= lastHeight, $"round {i}: height {height} after {lastHeight}");
            Assert.Equal(f.Roots[height], state.StateRoot);
            heights.Add(lastHeight = height);
            File.Delete(dump);
        }
        writer.CloseStdin();
        Assert.Equal(0, writer.WaitForExit());
        int writerRounds = writer.Seen.Count(l => l.StartsWith("round ", StringComparison.Ordinal));
        output.WriteLine($"{Rounds} dumps, heights {string.Join(",", heights)}; the writer opened the store {writerRounds} times meanwhile");
        // The writer really ran alongside: it opened the store many times and its blocks were seen.
        Assert.True(writerRounds >= Rounds, $"the writer opened the store only {writerRounds} times");
        Assert.True(heights.Distinct().Count() >= 10, "the writer committed too few blocks alongside: " + string.Join(",", heights));
    }

    [Fact]
    public void Processes_creating_one_new_store_succeed_or_are_told_it_is_locked()
    {
        const int Rounds = 6, Racers = 3;
        using var f = new Files(blocks: 1, txsPerBlock: 10);
        int refused = 0;
        for (int round = 0; round < Rounds; round++)
        {
            string dir = f.Sub($"store{round}");
            var racers = Enumerable.Range(0, Racers)
                .Select(i => ChildProcess.Start(CliDll, "run", "--state", dir, "--genesis", f.Genesis, "--out", f.Sub($"d{round}-{i}.json"), "-q"))
                .ToArray();
            int ok = 0;
            for (int i = 0; i < Racers; i++)
            {
                using var p = racers[i];
                int code = p.WaitForExit();
                string err = p.Stderr.ToString().Trim();
                if (code == 0)
                {
                    ok++;
                    Assert.Equal(f.GenesisDump, File.ReadAllBytes(f.Sub($"d{round}-{i}.json")));
                    continue;
                }
                refused++;
                Assert.True(code == 3 && err.Contains("locked", StringComparison.Ordinal) && !err.Contains('\n'),
                    $"round {round}, process {i}: exit {code}: {err}");
                Assert.False(File.Exists(f.Sub($"d{round}-{i}.json")));
            }
            Assert.True(ok >= 1, $"round {round}: no process created the store");
            using var s = RocksDbStateStore.Open(dir, null);
            Assert.Equal(0UL, s.Height);
        }
        output.WriteLine($"{Rounds} rounds of {Racers} processes: {refused} refused as locked, the others succeeded");
    }

    /// <summary>
    /// The same two races inside one process, where threads can be released at one instant (child
    /// processes start tens of milliseconds apart, wider than the races): RocksDB's in-process lock
    /// stands for another process's.
    /// </summary>
    [Fact]
    public void Threads_creating_one_new_store_succeed_or_are_told_it_is_locked()
    {
        const int Rounds = 100;
        using var root = new TempDir();
        var genesis = TestChain.Small.Genesis;
        int locked = 0;
        for (int round = 0; round < Rounds; round++)
        {
            string dir = root.Sub($"s{round}");
            using var start = new Barrier(2);
            var outcomes = new Exception?[2];
            var threads = Enumerable.Range(0, 2).Select(i => new Thread(() =>
            {
                start.SignalAndWait();
                try { RocksDbStateStore.Open(dir, genesis.Clone()).Dispose(); }
                catch (Exception e) { outcomes[i] = e; }
            })).ToArray();
            foreach (var t in threads) t.Start();
            foreach (var t in threads) t.Join();
            foreach (var e in outcomes)
            {
                if (e is null) continue;
                locked++;
                Assert.True(e is GpuExecException && e.Message.Contains("locked", StringComparison.Ordinal), $"round {round}: {e.GetType().Name}: {e.Message}");
            }
            Assert.True(outcomes.Count(e => e is null) >= 1, $"round {round}: neither created the store");
            using var s = RocksDbStateStore.Open(dir, null, readOnly: true);
            Assert.Equal(0UL, s.Height);
        }
        output.WriteLine($"{Rounds} rounds of two threads: {locked} refused as locked");
    }

    [Fact]
    public void Read_only_reads_in_a_loop_never_fail_while_a_writer_reopens_and_commits()
    {
        // No invalid transaction: the writer commits without verifying signatures.
        var chain = TestChain.Get(new GeneratorOptions { Accounts = 300, TxsPerBlock = 100, Pools = 3, Blocks = 200, InvalidRatio = 0, Skew = 0.5, Seed = 29 });
        using var root = new TempDir();
        string dir = root.Sub("s");
        RocksDbStateStore.Open(dir, chain.Genesis).Dispose();
        var roots = new List<Wire.Hash32> { chain.Genesis.StateRoot };
        var replay = chain.Genesis;
        for (int i = 0; i < chain.Blocks.Length; i++) roots.Add(SequentialExecutor.Execute(replay, chain.Block(i)).StateRoot);

        // Until the writer opened the store 40 times (and 6 s at least): on a loaded machine the
        // writer thread may get far fewer turns than the reader.
        using var stop = new CancellationTokenSource();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int writerOpens = 0;
        var writer = new Thread(() =>
        {
            int next = 0;
            while (!stop.IsCancellationRequested)
            {
                using var store = RocksDbStateStore.Open(dir, null);
                if (next < chain.Blocks.Length)
                {
                    var state = store.Load();
                    store.CommitBlock(chain.Block(next), SequentialExecutor.Execute(state, chain.Block(next), verifySignatures: false));
                    next++;
                }
                Interlocked.Increment(ref writerOpens);
            }
        });
        writer.Start();
        int reads = 0;
        long madeAgain = RocksDbStateStore.ReadsMadeAgain;
        var failures = new List<string>();
        try
        {
            while ((Volatile.Read(ref writerOpens) < 40 || clock.Elapsed < TimeSpan.FromSeconds(6)) && clock.Elapsed < TimeSpan.FromSeconds(90))
            {
                try
                {
                    var state = RocksDbStateStore.ReadState(dir);
                    if (roots[checked((int)state.Height)] != state.StateRoot) failures.Add($"height {state.Height}: not the chain's state");
                    reads++;
                }
                catch (Exception e) when (e is GpuExecException or IOException)
                {
                    failures.Add(e.Message);
                }
            }
        }
        finally
        {
            stop.Cancel();
            writer.Join();
        }
        output.WriteLine($"{reads} reads while the writer opened the store {writerOpens} times; {RocksDbStateStore.ReadsMadeAgain - madeAgain} attempts were made again; {failures.Count} failed");
        Assert.True(failures.Count == 0, string.Join(" | ", failures.Take(5)));
        Assert.True(reads > 100 && writerOpens >= 40, $"{reads} reads, {writerOpens} writer opens");
    }

    [Fact]
    public void A_read_is_made_again_only_when_the_files_changed_under_it()
    {
        using var root = new TempDir();
        Directory.CreateDirectory(root.Path);
        int calls = 0;
        // Failed while a writer changed a file: made again, and the second attempt's result is returned.
        Assert.Equal(2, RocksDbStateStore.WhileUnchanged(root.Path, () =>
        {
            if (++calls == 2) return 2;
            File.WriteAllText(root.Sub($"{calls}.log"), "a writer's new log");
            throw new GpuExecException(ErrorKind.InvalidInput, "the state store is corrupted: a log vanished");
        }));

        // Failed with nothing changed: the store's own failure, reported at once as it is.
        calls = 0;
        var e = Assert.Throws<GpuExecException>(() => RocksDbStateStore.WhileUnchanged<int>(root.Path, () =>
        {
            calls++;
            throw new GpuExecException(ErrorKind.InvalidInput, "the state store is corrupted: a table file is missing");
        }));
        Assert.Equal(1, calls);
        Assert.Contains("a table file is missing", e.Message, StringComparison.Ordinal);

        // Changed under every attempt: an I/O error (exit 1) that says so, never "corrupted".
        calls = 0;
        var io = Assert.Throws<IOException>(() => RocksDbStateStore.WhileUnchanged<int>(root.Path, () =>
        {
            File.WriteAllText(root.Sub($"{++calls}.log"), "");
            throw new GpuExecException(ErrorKind.InvalidInput, "the state store is corrupted: a log vanished");
        }));
        Assert.Equal(RocksDbStateStore.ReadAttempts, calls);
        Assert.StartsWith($"{root.Path}: cannot read the state store: another process changed its files during each of {calls} attempts", io.Message, StringComparison.Ordinal);
    }
}
