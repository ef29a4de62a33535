using GpuExec.Generation;
using GpuExec.State;

namespace GpuExec.Bench;

/// <summary>Generated blocks shared by the benchmarks, named after the workload (raw transfers, swaps, routes, mixed).</summary>
public static class Workloads
{
    /// <param name="routeRatio">Routes' share (none by default, so a swap ratio of 0 is transfers alone).</param>
    public static (WorldState genesis, byte[] block) Make(int txs, double swapRatio, double skew, int accounts = 10_000, ulong seed = 1, double routeRatio = 0)
    {
        var gen = new BlockGenerator(new GeneratorOptions
        {
            Accounts = accounts, TxsPerBlock = txs, Pools = 16, SwapRatio = swapRatio, RouteRatio = routeRatio, Skew = skew, InvalidRatio = 0.0, Seed = seed,
        });
        var block = gen.NextBlock();
        return (gen.Genesis, block);
    }
}
