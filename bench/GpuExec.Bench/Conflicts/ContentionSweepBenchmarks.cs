using BenchmarkDotNet.Attributes;
using GpuExec.Engine.Execute;
using GpuExec.Execution;
using GpuExec.Generation;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Bench.Conflicts;

/// <summary>
/// The contention sweep of issue 4: the execute stage of the parallel executor (access sets,
/// conflict detection, levels, batches on all cores, write-back) against the sequential apply loop,
/// on 100k-transaction blocks from 2 accounts to 1M, Zipf skew 0 to 2. Signatures are verified
/// once in setup (both sides get the same statuses). The critical path of each block is printed
/// in setup (the bound: speedup &lt;= transactions / critical path).
/// </summary>
[MemoryDiagnoser]
public class ContentionSweepBenchmarks
{
    private WorldState _genesis = null!;
    private WorldState _state = null!;
    private Block _block = null!;
    private TxStatus[] _pre = [];
    private TxStatus[] _statuses = [];
    private ParallelExecutor _executor = null!;

    [Params(0.0, 0.5, 1.0, 1.5, 2.0)]
    public double Skew { get; set; }

    [Params(2, 10_000, 1_000_000)]
    public int Accounts { get; set; }

    [Params(100_000)]
    public int Txs { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var gen = new BlockGenerator(new GeneratorOptions { Accounts = Accounts, TxsPerBlock = Txs, Pools = 16, Skew = Skew, InvalidRatio = 0.01, Seed = 7 });
        _block = BlockCodec.Decode(gen.NextBlock());
        _genesis = gen.Genesis;
        _executor = new ParallelExecutor(new ParallelExecutorOptions { Threads = Environment.ProcessorCount });
        _pre = ParallelExecutor.Precheck(_block, _genesis.ChainId);
        _executor.VerifySignatures(_block, _pre);
        var probe = _genesis.Clone();
        var sets = ParallelExecutor.BuildAccessSets(probe, _block, _pre);
        var plan = _executor.Plan(sets, _executor.DetectConflicts(sets));
        Console.WriteLine($"// skew {Skew}, {Accounts} accounts: critical path {plan.CriticalPath}, bound {plan.EffectiveParallelism:F1}x, cores {Environment.ProcessorCount}");
    }

    [IterationSetup]
    public void Fresh()
    {
        _state = _genesis.Clone();
        _state.ComputeStateRoot();
        _statuses = (TxStatus[])_pre.Clone();
    }

    [Benchmark(Baseline = true)]
    public int SequentialApply() => SequentialExecutor.ApplyInOrder(_state, _block, _statuses);

    [Benchmark]
    public int ParallelExecuteStage()
    {
        var sets = ParallelExecutor.BuildAccessSets(_state, _block, _statuses);
        var graph = _executor.DetectConflicts(sets);
        var plan = _executor.Plan(sets, graph);
        _executor.ExecutePlan(_state, _block, sets, graph, plan, _statuses);
        return plan.CriticalPath;
    }
}
