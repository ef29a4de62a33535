using System.Diagnostics;
using GpuExec.Execution;
using GpuExec.Generation;
using GpuExec.State;

namespace GpuExec.Storage.Tests;

/// <summary>
/// The crash test through the real CLI: <c>gpuexec run --state DIR --genesis G --block B --out D</c> on a
/// 30k-transaction block, SIGKILLed at many moments. Skipped while the CLI has no <c>--state</c>.
/// </summary>
public class CliCrashTests
{
    private static string CliDll => Path.Combine(AppContext.BaseDirectory, "gpuexec.dll");

    [Fact]
    public void The_cli_killed_at_any_moment_of_a_large_block_leaves_the_root_before_or_after_it()
    {
        using (var help = ChildProcess.Start(CliDll, "run", "--help"))
        {
            help.WaitForExit();
            if (!help.Seen.Any(l => l.Contains("--state", StringComparison.Ordinal)))
                Assert.Skip("gpuexec run has no --state option in this build yet (see CrossProcessTests for the same test through the store's child mode)");
        }

        var o = new GeneratorOptions { Accounts = 10_000, TxsPerBlock = 30_000, Blocks = 1, Pools = 4, Skew = 0.7, InvalidRatio = 0.02, Seed = 123 };
        var chain = TestChain.Get(o);
        var mem = chain.Genesis;
        var root0 = mem.StateRoot;
        var root1 = SequentialExecutor.Execute(mem, chain.Block(0)).StateRoot;
        var expectedDump = TestChain.Dump(mem);

        using var files = new TempDir();
        Directory.CreateDirectory(files.Path);
        string genesisPath = files.Sub("genesis.json"), blockPath = files.Sub("b1.gxb");
        StateJson.WriteDumpFile(chain.Genesis, genesisPath);
        File.WriteAllBytes(blockPath, chain.Blocks[0]);
        string[] Args(string dir) => ["run", "--state", dir, "--genesis", genesisPath, "--block", blockPath, "--out", files.Sub(Path.GetFileName(dir) + ".json")];

        // One run to the end: the result, and how long a run takes on this machine.
        var clock = Stopwatch.StartNew();
        using (var full = ChildProcess.Start(CliDll, Args(files.Sub("full"))))
            Assert.True(full.WaitForExit() == 0, full.Stderr.ToString());
        double runMs = clock.Elapsed.TotalMilliseconds;
        Assert.Equal(expectedDump, File.ReadAllBytes(files.Sub("full.json")));
        using (var s = RocksDbStateStore.Open(files.Sub("full"), null)) Assert.Equal(root1, s.StateRoot);

        // Kills spread over the run, denser towards its end, where the commit is.
        double[] fractions = [0.2, 0.4, 0.6, 0.75, 0.85, 0.9, 0.94, 0.97, 1.0, 1.03];
        var outcomes = new List<string>();
        for (int k = 0; k < fractions.Length; k++)
        {
            string dir = files.Sub($"kill-{k}");
            using (var child = ChildProcess.Start(CliDll, Args(dir)))
            {
                Thread.Sleep((int)(runMs * fractions[k]));
                child.KillHard();
            }
            if (!Directory.Exists(dir) || !Directory.EnumerateFileSystemEntries(dir).Any()) { outcomes.Add("none"); continue; }
            using var store = RocksDbStateStore.Open(dir, chain.Genesis);
            var state = store.Load(); // checks the recomputed root against the stored one
            Assert.InRange(store.Height, 0UL, 1UL);
            Assert.Equal(store.Height == 0 ? root0 : root1, store.StateRoot);
            outcomes.Add(store.Height.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (store.Height == 0)
            {
                var b = chain.Block(0);
                store.CommitBlock(b, SequentialExecutor.Execute(state, b));
            }
            Assert.Equal(root1, store.StateRoot);
            Assert.Equal(expectedDump, TestChain.Dump(state));
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"run {runMs:F0} ms; height after each kill: {string.Join(",", outcomes)}");
    }

    /// <summary>
    /// A stream of blocks committed to a store from disk (<c>run --state --executor parallel</c>: the
    /// next block verified and loaded while one executes and commits), SIGKILLed just after each stage
    /// boundary the log reports (every stage of every block, load and commit included): each time the
    /// store opens at a block that was whole, with that block's root and dump, and takes the rest of
    /// the chain to the reference's final state.
    /// </summary>
    [Fact]
    public void A_stream_killed_at_every_stage_boundary_opens_at_a_whole_block()
    {
        var o = new GeneratorOptions { Accounts = 2_000, TxsPerBlock = 2_000, Blocks = 3, Pools = 4, Skew = 0.6, InvalidRatio = 0.05, RouteRatio = 0.2, Seed = 77 };
        var chain = TestChain.Get(o);
        var reference = chain.Genesis;
        var roots = new List<GpuExec.Wire.Hash32> { reference.StateRoot };
        var dumps = new List<byte[]> { TestChain.Dump(reference) };
        for (int i = 0; i < o.Blocks; i++)
        {
            roots.Add(SequentialExecutor.Execute(reference, chain.Block(i)).StateRoot);
            dumps.Add(TestChain.Dump(reference));
        }
        using var files = new TempDir();
        Directory.CreateDirectory(files.Path);
        string genesisPath = files.Sub("genesis.json");
        StateJson.WriteDumpFile(chain.Genesis, genesisPath);
        var blockPaths = new List<string>();
        for (int i = 0; i < o.Blocks; i++)
        {
            blockPaths.Add(files.Sub($"b{i + 1}.gxb"));
            File.WriteAllBytes(blockPaths[^1], chain.Blocks[i]);
        }
        string[] Args(string dir) => ["run", "--state", dir, "--genesis", genesisPath, .. blockPaths.SelectMany(b => new[] { "--block", b }),
            "--executor", "parallel", "--device", "cpu", "--cache-mb", "1", "--verbose", "--out", files.Sub(Path.GetFileName(dir) + ".json")];

        // How many stage lines a whole run logs (the store is first initialised from the genesis).
        int boundaries;
        using (var full = ChildProcess.Start(CliDll, Args(files.Sub("full"))))
        {
            Assert.True(full.WaitForExit() == 0, full.Stderr.ToString());
            boundaries = CountStages(full.Stderr.ToString());
            Assert.Contains(": stage load took", full.Stderr.ToString());
            Assert.Contains(": stage commit took", full.Stderr.ToString());
        }
        Assert.Equal(dumps[^1], File.ReadAllBytes(files.Sub("full.json")));
        Assert.True(boundaries >= 3 * 7, $"only {boundaries} stage lines");

        var heights = new List<ulong>();
        for (int k = 1; k <= boundaries; k++)
        {
            string dir = files.Sub($"kill-{k}");
            using (var child = ChildProcess.Start(CliDll, Args(dir)))
            {
                child.WaitForStderr(": stage ", k);
                child.KillHard();
            }
            using var store = RocksDbStateStore.Open(dir, chain.Genesis, readOnly: false, cacheBytes: 1 << 20);
            int h = (int)store.Height;
            heights.Add(store.Height);
            Assert.Equal(roots[h], store.StateRoot);
            using (var ms = new MemoryStream())
            {
                store.WriteDump(ms);
                Assert.Equal(dumps[h], ms.ToArray());
            }
            for (int i = h; i < o.Blocks; i++)
            {
                var block = chain.Block(i);
                var run = SequentialExecutor.Propose(store.State, block);
                store.State.Commit(block, run.Result, run.State);
            }
            Assert.Equal(roots[^1], store.StateRoot);
        }
        // The kills fell at every height: before the first block committed, between blocks, after the last.
        Assert.Contains(0UL, heights);
        Assert.Contains((ulong)o.Blocks, heights);
        TestContext.Current.TestOutputHelper?.WriteLine($"{boundaries} stage boundaries; height after each kill: {string.Join(",", heights)}");
    }

    private static int CountStages(string stderr)
    {
        int n = 0;
        for (int i = stderr.IndexOf(": stage ", StringComparison.Ordinal); i >= 0; i = stderr.IndexOf(": stage ", i + 8, StringComparison.Ordinal)) n++;
        return n;
    }
}
