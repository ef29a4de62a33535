using GpuExec.Execution;
using GpuExec.Generation;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Storage.Tests;

public class CrossProcessTests
{
    [Fact]
    public void A_store_held_by_another_process_is_refused_as_locked_and_freed_when_it_dies()
    {
        using var dir = new TempDir();
        using (RocksDbStateStore.Open(dir.Path, Keys.Genesis(1, 10, new Keys(1)))) { }

        using (var holder = ChildProcess.StartSelf("--store-hold", dir.Path))
        {
            Assert.True(holder.WaitFor("opened"), holder.Stderr.ToString());
            var e = Assert.Throws<GpuExecException>(() => RocksDbStateStore.Open(dir.Path, null));
            Assert.Contains("locked", e.Message, StringComparison.Ordinal);
            Assert.Contains(Path.GetFullPath(dir.Path), e.Message, StringComparison.Ordinal);
            holder.CloseStdin();
            Assert.Equal(0, holder.WaitForExit());
        }
        using (var holder = ChildProcess.StartSelf("--store-hold", dir.Path))
        {
            Assert.True(holder.WaitFor("opened"), holder.Stderr.ToString());
            holder.KillHard(); // the OS drops the lock of a dead process
        }
        using var s = RocksDbStateStore.Open(dir.Path, null);
        Assert.Equal(0UL, s.Height);
    }

    /// <summary>
    /// SIGKILL at many moments while a child process executes and commits two 20k-transaction blocks:
    /// the reopened store is always at a block boundary (the root before or after a block, never anything
    /// else), no block the child reported committed is lost, and the chain then finishes correctly.
    /// The chain has no invalid transaction, so execution skips signature checks (same result, and
    /// the test stays quick on two cores): what is under test is the commit, ~25k account writes a block.
    /// </summary>
    [Fact]
    public void A_process_killed_at_any_moment_leaves_the_state_of_a_block_boundary()
    {
        var o = new GeneratorOptions { Accounts = 10_000, TxsPerBlock = 20_000, Blocks = 2, Pools = 4, Skew = 0.7, InvalidRatio = 0, Seed = 99 };
        var chain = TestChain.Get(o);
        var roots = new List<Hash32>();
        var mem = chain.Genesis;
        roots.Add(mem.StateRoot);
        for (int i = 0; i < chain.Blocks.Length; i++) roots.Add(SequentialExecutor.Execute(mem, chain.Block(i), verifySignatures: false).StateRoot);
        var expectedDump = TestChain.Dump(mem);

        using var files = new TempDir();
        Directory.CreateDirectory(files.Path);
        string genesisPath = files.Sub("genesis.json");
        StateJson.WriteDumpFile(chain.Genesis, genesisPath);
        var blockPaths = new string[chain.Blocks.Length];
        for (int i = 0; i < blockPaths.Length; i++) File.WriteAllBytes(blockPaths[i] = files.Sub($"b{i + 1}.gxb"), chain.Blocks[i]);

        // (event to wait for, then milliseconds to wait before SIGKILL); null: run to the end.
        (string? After, int DelayMs)[] kills =
        [
            (null, 0), ("opened 0", 0), ("opened 0", 300), ("executed 1", 0), ("executed 1", 3), ("executed 1", 15),
            ("executed 1", 40), ("committed 1", 0), ("executed 2", 0), ("executed 2", 10), ("executed 2", 30),
            ("committed 2", 0),
        ];
        var outcomes = new List<ulong>();
        foreach (var (after, delay) in kills)
        {
            string dir = files.Sub($"store-{outcomes.Count}");
            using (var child = ChildProcess.StartSelf(["--store-child", dir, genesisPath, .. blockPaths]))
            {
                if (after is null)
                {
                    Assert.True(child.WaitForExit() == 0, child.Stderr.ToString());
                }
                else
                {
                    Assert.True(child.WaitFor(after), $"child ended before \"{after}\": {child.Stderr}");
                    if (delay > 0) Thread.Sleep(delay);
                    child.KillHard();
                }
                // Durability: what the child reported committed is there.
                ulong reported = child.Seen.Where(l => l.StartsWith("committed ", StringComparison.Ordinal))
                    .Select(l => ulong.Parse(l.AsSpan(10), System.Globalization.CultureInfo.InvariantCulture)).DefaultIfEmpty(0UL).Max();

                if (!Directory.Exists(dir) || !Directory.EnumerateFileSystemEntries(dir).Any())
                {
                    outcomes.Add(ulong.MaxValue); // killed before the store existed: nothing to check
                    continue;
                }
                using var store = RocksDbStateStore.Open(dir, chain.Genesis);
                var state = store.Load(); // recomputes the root and checks it against the stored one
                Assert.InRange(store.Height, reported, (ulong)chain.Blocks.Length);
                Assert.Equal(roots[(int)store.Height], store.StateRoot);
                outcomes.Add(store.Height);

                for (int h = (int)store.Height; h < chain.Blocks.Length; h++)
                {
                    var b = chain.Block(h);
                    store.CommitBlock(b, SequentialExecutor.Execute(state, b, verifySignatures: false));
                }
                Assert.Equal(roots[^1], store.StateRoot);
                Assert.Equal(expectedDump, TestChain.Dump(state));
            }
            using (var reopened = RocksDbStateStore.Open(dir, null))
                Assert.Equal(expectedDump, TestChain.Dump(reopened.Load()));
        }
        TestContext.Current.TestOutputHelper?.WriteLine("heights after each kill: " + string.Join(",", outcomes));
        // The schedule reaches both sides of a commit at least once.
        Assert.Contains(0UL, outcomes);
        Assert.Contains(2UL, outcomes);
        Assert.Contains(outcomes, h => h is 1UL or 2UL);
    }
}
