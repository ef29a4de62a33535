using GpuExec.Generation;
using GpuExec.State;

namespace GpuExec.Bench;

/// <summary>Generated blocks shared by the benchmarks, named after the workload (raw transfers, swaps, mixed).</summary>
public static class Workloads
{
    public static (WorldState genesis, byte[] block) Make(int txs, double swapRatio, double skew, int accounts = 10_000, ulong seed = 1)
    {
        var gen = new BlockGenerator(new GeneratorOptions
        {
            Accounts = accounts, TxsPerBlock = txs, Pools = 16, SwapRatio = swapRatio, Skew = skew, InvalidRatio = 0.0, Seed = seed,
        });
        var block = gen.NextBlock();
        return (gen.Genesis, block);
    }
}
