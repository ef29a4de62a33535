using BenchmarkDotNet.Attributes;
using GpuExec.Execution;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Bench.Execute;

/// <summary>
/// The sequential reference executor, the baseline of every speed-up: the whole block (tx_root,
/// txids, rules, state root) with libsodium signature checks and without them.
/// </summary>
[MemoryDiagnoser]
public class SequentialBenchmarks
{
    private WorldState _genesis = null!;
    private WorldState _state = null!;
    private Block _block = null!;

    [Params(10_000)]
    public int Txs { get; set; }

    [Params(0.0, 1.0)]
    public double SwapRatio { get; set; }

    /// <summary>Routes take their share first; swaps theirs of the rest.</summary>
    [Params(0.0, 0.3)]
    public double RouteRatio { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var (g, bytes) = Workloads.Make(Txs, SwapRatio, 1.0, routeRatio: RouteRatio);
        _genesis = g;
        _block = BlockCodec.Decode(bytes);
    }

    /// <summary>A fresh copy whose root is known, as a node's state is when the next block arrives.</summary>
    [IterationSetup]
    public void Fresh()
    {
        _state = _genesis.Clone();
        _ = _state.StateRoot;
    }

    [Benchmark(Baseline = true)]
    public int WithSignatures() => SequentialExecutor.Execute(_state, _block, verifySignatures: true).Count;

    [Benchmark]
    public int WithoutSignatures() => SequentialExecutor.Execute(_state, _block, verifySignatures: false).Count;
}
