using System.Diagnostics;
using GpuExec.Execution;
using GpuExec.Generation;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Storage.Tests;

/// <summary>
/// Blocks/s and TPS of execute + commit with the RocksDB store against the in-memory store, on the
/// same chain in one run. Explicit (not part of the suite):
/// <code>dotnet tests/GpuExec.Storage.Tests/bin/Release/net10.0/GpuExec.Storage.Tests.dll -class GpuExec.Storage.Tests.StoreBenchmark -explicit only -showliveoutput</code>
/// Sizes: GPUEXEC_BENCH_ACCOUNTS, GPUEXEC_BENCH_TXS, GPUEXEC_BENCH_BLOCKS.
/// </summary>
public class StoreBenchmark(ITestOutputHelper output)
{
    private static int Env(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out int v) && v > 0 ? v : fallback;

    [Fact(Explicit = true)]
    public void RocksDb_store_against_in_memory_store()
    {
        var o = new GeneratorOptions
        {
            Accounts = Env("GPUEXEC_BENCH_ACCOUNTS", 50_000),
            TxsPerBlock = Env("GPUEXEC_BENCH_TXS", 10_000),
            Blocks = Env("GPUEXEC_BENCH_BLOCKS", 10),
            // No invalid transactions: with signatures off, a BAD_SIGNATURE one would apply and fork the chain.
            Pools = 8, Skew = 0.5, InvalidRatio = 0, Seed = 3,
        };
        var gen = new BlockGenerator(o);
        var genesis = gen.Genesis.Clone();
        var blocks = new Block[o.Blocks];
        for (int i = 0; i < o.Blocks; i++) blocks[i] = BlockCodec.Decode(gen.NextBlock());
        long txs = (long)o.Blocks * o.TxsPerBlock;
        output.WriteLine($"chain: {o.Accounts} accounts, {o.Blocks} blocks x {o.TxsPerBlock} txs, {Environment.ProcessorCount} cores");

        foreach (bool verify in new[] { true, false })
        {
            (double Ms, double CommitMs) bestMem = (double.MaxValue, 0), bestDb = (double.MaxValue, 0);
            for (int rep = 0; rep < 3; rep++) // round 0 warms up the JIT; the best of rounds 1-2 is reported
            {
                Hash32 memRoot, dbRoot;
                using (var mem = new InMemoryStateStore(genesis.Clone()))
                {
                    var t = Run(mem, blocks, verify, out memRoot);
                    if (rep > 0 && t.TotalMs < bestMem.Ms) bestMem = t;
                }
                using var dir = new TempDir();
                using (var db = RocksDbStateStore.Open(dir.Path, genesis.Clone()))
                {
                    var t = Run(db, blocks, verify, out dbRoot);
                    if (rep > 0 && t.TotalMs < bestDb.Ms) bestDb = t;
                }
                Assert.Equal(memRoot, dbRoot);
            }
            Report("in-memory", verify, bestMem.Ms, bestMem.CommitMs, o.Blocks, txs);
            Report("rocksdb  ", verify, bestDb.Ms, bestDb.CommitMs, o.Blocks, txs);
        }
    }

    private static (double TotalMs, double CommitMs) Run(IStateStore store, Block[] blocks, bool verify, out Hash32 root)
    {
        var state = store.Load();
        var total = Stopwatch.StartNew();
        var commit = new Stopwatch();
        BlockResult? r = null;
        foreach (var b in blocks)
        {
            r = SequentialExecutor.Execute(state, b, verify);
            commit.Start();
            store.CommitBlock(state, b, r);
            commit.Stop();
        }
        total.Stop();
        root = r!.StateRoot;
        return (total.Elapsed.TotalMilliseconds, commit.Elapsed.TotalMilliseconds);
    }

    private void Report(string name, bool verify, double ms, double commitMs, int blocks, long txs) =>
        output.WriteLine($"{name} signatures={(verify ? "on " : "off")}: {blocks / (ms / 1000):F2} blocks/s, {txs / (ms / 1000):F0} TPS " +
                         $"(total {ms:F0} ms, of which commit {commitMs:F0} ms = {commitMs / blocks:F1} ms/block)");
}
