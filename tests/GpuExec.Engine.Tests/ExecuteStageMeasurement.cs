using System.Diagnostics;
using GpuExec.Engine.Execute;
using GpuExec.Execution;
using GpuExec.Generation;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Engine.Tests;

/// <summary>
/// A quick Stopwatch measurement (not a benchmark): one 100k-transaction block at skew 0 and 1.0,
/// the sequential apply loop against the parallel stages, same process, same block, best of 8
/// interleaved runs. Explicit: run it with
/// <c>GpuExec.Engine.Tests -method "*Hundred_thousand_transactions" -explicit only -showliveoutput</c>.
/// </summary>
public class ExecuteStageMeasurement(ITestOutputHelper output)
{
    [Theory(Explicit = true)]
    [InlineData(0.0, false, 10_000)]
    [InlineData(1.0, false, 10_000)]
    [InlineData(0.0, true, 10_000)]
    [InlineData(1.0, true, 10_000)]
    [InlineData(0.0, false, 1_000_000)]
    public void Hundred_thousand_transactions(double skew, bool collectorSends, int accounts)
    {
        var gen = new BlockGenerator(new GeneratorOptions { Accounts = accounts, TxsPerBlock = 100_000, Pools = 8, Skew = skew, InvalidRatio = 0.02, Seed = 3, CollectorSends = collectorSends });
        var block = BlockCodec.Decode(gen.NextBlock());
        var genesis = gen.Genesis;
        var pre = ParallelExecutor.Precheck(block, genesis.ChainId);

        const int Stages = 4;
        var best = new double[5, Stages + 1];
        for (int i = 0; i < best.Length; i++) best[i / (Stages + 1), i % (Stages + 1)] = double.MaxValue;
        var stats = new ScheduleStats[5];
        ParallelExecutor[] executors =
        [
            new(new ParallelExecutorOptions { Threads = 2, Schedule = ScheduleMode.Lanes, Lanes = 1 }),
            new(new ParallelExecutorOptions { Threads = 2, Schedule = ScheduleMode.Lanes, Lanes = 2 }),
            new(new ParallelExecutorOptions { Threads = 2, Schedule = ScheduleMode.Lanes }),
            new(new ParallelExecutorOptions { Threads = 2, Schedule = ScheduleMode.Levels }),
        ];
        for (int rep = 0; rep < 9; rep++)
        {
            // Sequential: the reference loop of SequentialExecutor without checks, txids and root.
            {
                var s = genesis.Clone();
                var st = (TxStatus[])pre.Clone();
                var sw = Stopwatch.StartNew();
                SequentialApply(s, block, st);
                if (rep > 0) best[0, Stages] = Math.Min(best[0, Stages], sw.Elapsed.TotalMilliseconds);
            }
            for (int e = 0; e < executors.Length; e++)
            {
                var exec = executors[e];
                var s = genesis.Clone();
                var st = (TxStatus[])pre.Clone();
                var sw = Stopwatch.StartNew();
                var sets = ParallelExecutor.BuildAccessSets(s, block, st);
                double t0 = sw.Elapsed.TotalMilliseconds;
                var g = exec.DetectConflicts(sets);
                double t1 = sw.Elapsed.TotalMilliseconds;
                var p = exec.Plan(sets, g);
                double t2 = sw.Elapsed.TotalMilliseconds;
                exec.ExecutePlan(s, block, sets, g, p, st);
                double t3 = sw.Elapsed.TotalMilliseconds;
                stats[e + 1] = exec.LastStats;
                if (rep == 0 && p.Lanes is { } lp)
                    output.WriteLine($"  lanes {lp.LaneCount}: sizes {string.Join('/', Enumerable.Range(0, lp.LaneCount).Select(l => lp.Lane(l).Length))}, cross waits {lp.CrossWaits}, simulated makespan {lp.Makespan}");
                if (rep == 0) continue; // warm-up
                double[] now = [t0, t1 - t0, t2 - t1, t3 - t2, t3];
                for (int i = 0; i <= Stages; i++) best[e + 1, i] = Math.Min(best[e + 1, i], now[i]);
            }
        }
        foreach (var x in executors) x.Dispose();
        var ss = stats[3];
        output.WriteLine($"skew {skew}, collector sends {collectorSends}: {block.Count} txs, scheduled {ss.Scheduled}, batches {ss.Batches}, critical path {ss.CriticalPath}, effective parallelism {ss.EffectiveParallelism:F1}, records {ss.Records}, slots {ss.Slots}");
        output.WriteLine($"  sequential apply loop: {best[0, Stages]:F1} ms");
        string[] names = ["1 lane", "2 lanes", "lanes measured", "levels, 2 threads"];
        for (int e = 1; e <= 4; e++)
            output.WriteLine($"  parallel {names[e - 1]}: access sets {best[e, 0]:F1}, detect (cpu) {best[e, 1]:F1}, plan {best[e, 2]:F1}, execute plan {best[e, 3]:F1} ms (best total {best[e, 4]:F1} ms)");
    }

    private static void SequentialApply(WorldState state, Block block, TxStatus[] statuses)
    {
        var access = new WorldStateTxState(state, state.GetOrCreateAccount(block.Header.FeeCollector));
        for (int i = 0; i < block.Count; i++)
        {
            if (statuses[i] != TxStatus.Ok) continue;
            var record = block.Record(i);
            access.Sender = state.GetOrCreateAccount(new TransactionView(record).Sender);
            statuses[i] = TxRules.Apply(ref access, record);
        }
    }

    /// <summary>The sequential executor's <see cref="ITxState"/> (it is private there), copied for the measurement.</summary>
    private struct WorldStateTxState(WorldState state, Account collector) : ITxState
    {
        private readonly WorldState _state = state;
        private readonly Account _collector = collector;
        public Account Sender = null!;

        public ulong SenderNonce { readonly get => Sender.Nonce; set => Sender.Nonce = value; }
        public readonly ulong SenderBalance(uint token) => Sender.Balance(token);
        public readonly void SetSenderBalance(uint token, ulong amount) => Sender.SetBalance(token, amount);
        public readonly void CreditCollector(ulong fee) => _collector.Credit(0, fee);
        public readonly void CreditSender(uint token, ulong amount) => Sender.Credit(token, amount);
        public readonly void CreditRecipient(Address to, uint token, ulong amount) => _state.GetOrCreateAccount(to).Credit(token, amount);
        public readonly bool TryGetPool(uint id, out Pool pool) => _state.TryGetPool(id, out pool);
        public readonly void SetPoolReserves(uint id, ulong reserveA, ulong reserveB)
        {
            ref var p = ref _state.PoolRef(id);
            p.ReserveA = reserveA;
            p.ReserveB = reserveB;
        }
    }
}
