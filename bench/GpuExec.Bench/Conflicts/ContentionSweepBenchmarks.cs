using BenchmarkDotNet.Attributes;
using GpuExec.Engine.Execute;
using GpuExec.Execution;
using GpuExec.Generation;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Bench.Conflicts;

/// <summary>
/// The contention sweep as BenchmarkDotNet benchmarks: the lane executor's execute
/// stage (slots, lanes, write-back) and all its stages (plus access sets, conflict detection on the
/// CPU, schedule) against the sequential apply loop, on 100k-transaction blocks from 2 accounts to
/// 1M, Zipf skew 0 to 2. Signatures are verified once in setup (both sides get the same statuses).
/// The critical path of each block is printed in setup (the bound: speedup &lt;= transactions /
/// critical path). <c>gpuexec bench --sweep contention</c> measures the same in a few minutes.
/// </summary>
[MemoryDiagnoser]
public class ContentionSweepBenchmarks : IDisposable
{
    private WorldState _genesis = null!;
    private WorldState _state = null!;
    private Block _block = null!;
    private TxStatus[] _pre = [];
    private TxStatus[] _statuses = [];
    private LaneExecutor _executor = null!;
    private Engine.Conflicts.AccessSets _sets = null!;
    private Engine.Conflicts.ConflictGraph _graph = null!;
    private Engine.Schedule.LanePlan _plan = null!;

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
        _executor = new LaneExecutor(Environment.ProcessorCount);
        _pre = Engine.Verify.VerifyStage.Statuses(_block, _genesis.ChainId, new Engine.Verify.CpuSignatureVerifier());
        var probe = _genesis.Clone();
        var (sets, graph) = _executor.DetectConflicts(probe, _block, _pre);
        var plan = _executor.Plan(sets, graph);
        Console.WriteLine($"// skew {Skew}, {Accounts} accounts: critical path {plan.CriticalPath}, bound {plan.EffectiveParallelism:F1}x, cores {Environment.ProcessorCount}");
    }

    [IterationSetup(Targets = [nameof(SequentialApply), nameof(ParallelAllStages)])]
    public void Fresh()
    {
        _state = _genesis.Clone();
        _ = _state.StateRoot;
        _statuses = (TxStatus[])_pre.Clone();
    }

    [IterationSetup(Target = nameof(ParallelExecuteStage))]
    public void FreshPlanned()
    {
        Fresh();
        (_sets, _graph) = _executor.DetectConflicts(_state, _block, _statuses);
        _plan = _executor.Plan(_sets, _graph);
    }

    [Benchmark(Baseline = true)]
    public int SequentialApply() => SequentialExecutor.ApplyInOrder(_state, _block, _statuses).Applied;

    [Benchmark]
    public int ParallelExecuteStage()
    {
        _executor.Execute(_block, _sets, _graph, _plan, _statuses);
        return _plan.CriticalPath;
    }

    [Benchmark]
    public int ParallelAllStages()
    {
        var (sets, graph) = _executor.DetectConflicts(_state, _block, _statuses);
        var plan = _executor.Plan(sets, graph);
        _executor.Execute(_block, sets, graph, plan, _statuses);
        return plan.CriticalPath;
    }

    public void Dispose()
    {
        _executor?.Dispose();
        GC.SuppressFinalize(this);
    }
}
