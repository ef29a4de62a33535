using BenchmarkDotNet.Attributes;
using GpuExec.Execution;
using GpuExec.Generation;
using GpuExec.State;
using GpuExec.Storage;
using GpuExec.Wire;

namespace GpuExec.Bench.Commit;

/// <summary>
/// The commit stage: one executed block committed to the RocksDB store (one synced write batch:
/// changed accounts, height, root, receipts, then the store's commit record) against the in-memory
/// store, on a fresh store each iteration. Execution is in the setup, not timed.
/// <c>gpuexec bench --blocks K --state</c> measures commit inside a streamed chain.
/// </summary>
[MemoryDiagnoser]
public class StoreCommitBenchmarks
{
    private WorldState _genesis = null!;
    private Block _block = null!;
    private IStateStore _store = null!;
    private WorldState _state = null!;
    private BlockResult _result = null!;
    private string? _dir;

    [Params(10_000)]
    public int Txs { get; set; }

    [Params("rocksdb", "in-memory")]
    public string Store { get; set; } = "rocksdb";

    [GlobalSetup]
    public void Setup()
    {
        var gen = new BlockGenerator(new GeneratorOptions { Accounts = 50_000, TxsPerBlock = Txs, Pools = 8, Skew = 0.5, InvalidRatio = 0, Seed = 3 });
        _genesis = gen.Genesis.Clone();
        _block = BlockCodec.Decode(gen.NextBlock());
    }

    [IterationSetup]
    public void Fresh()
    {
        if (Store == "rocksdb")
        {
            _dir = Path.Combine(Path.GetTempPath(), "gpuexec-commit-bench-" + Guid.NewGuid().ToString("N")[..12]);
            _store = RocksDbStateStore.Open(_dir, _genesis.Clone());
        }
        else _store = new InMemoryStateStore(_genesis.Clone());
        _state = _store.Load();
        _result = SequentialExecutor.Execute(_state, _block, verifySignatures: false);
    }

    [IterationCleanup]
    public void Cleanup()
    {
        (_store as IDisposable)?.Dispose();
        if (_dir is not null) Directory.Delete(_dir, recursive: true);
        _dir = null;
    }

    [Benchmark]
    public ulong CommitBlock()
    {
        _store.CommitBlock(_block, _result);
        return _store.Height;
    }
}
