using System.Diagnostics;
using GpuExec.Commitments;
using GpuExec.Engine.Execute;
using GpuExec.Execution;
using GpuExec.Generation;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Engine.Tests;

/// <summary>
/// A quick Stopwatch measurement (not a benchmark): one 100k-transaction block at skew 0 and 1.0,
/// sequential against parallel in the same process. Explicit: run it with
/// <c>GpuExec.Engine.Tests -method "*ExecuteStageMeasurement*" -explicit only</c>.
/// </summary>
public class ExecuteStageMeasurement(ITestOutputHelper output)
{
    [Theory(Explicit = true)]
    [InlineData(0.0)]
    [InlineData(1.0)]
    public void Hundred_thousand_transactions(double skew)
    {
        var gen = new BlockGenerator(new GeneratorOptions { Accounts = 10_000, TxsPerBlock = 100_000, Pools = 8, Skew = skew, InvalidRatio = 0.02, Seed = 3 });
        var block = BlockCodec.Decode(gen.NextBlock());
        var genesis = gen.Genesis;
        genesis.ComputeStateRoot();

        double Best(Func<double> f) { f(); double b = double.MaxValue; for (int i = 0; i < 3; i++) b = Math.Min(b, f()); return b; }

        double seqTotal = Best(() =>
        {
            var s = genesis.Clone(); s.ComputeStateRoot();
            var sw = Stopwatch.StartNew(); SequentialExecutor.Execute(s, block, verifySignatures: false); return sw.Elapsed.TotalMilliseconds;
        });
        // The parts of the sequential executor that are not the apply loop, timed alone.
        double seqOverhead = Best(() =>
        {
            var s = genesis.Clone(); s.ComputeStateRoot();
            var sw = Stopwatch.StartNew();
            Span<byte> root = stackalloc byte[32];
            Merkle.TxRoot(block.Data, block.RecordOffsets, block.RecordLengths, root);
            BlockChecks.Check(s, block, new Hash32(root));
            var ids = new byte[32 * block.Count];
            for (int i = 0; i < block.Count; i++) System.Security.Cryptography.SHA256.HashData(block.Record(i), ids.AsSpan(32 * i, 32));
            return sw.Elapsed.TotalMilliseconds;
        });
        double seqRoot = Best(() =>
        {
            var s = genesis.Clone(); s.ComputeStateRoot();
            // The same changes, applied without computing the root, so the final root is timed alone.
            using var tmp = new ParallelExecutor(new ParallelExecutorOptions { Threads = 1 });
            var st = ParallelExecutor.Precheck(block, s.ChainId);
            var sets = ParallelExecutor.BuildAccessSets(s, block, st);
            var g = tmp.DetectConflicts(sets);
            tmp.ExecutePlan(s, block, sets, g, ParallelExecutor.Plan(sets, g), st);
            var sw = Stopwatch.StartNew(); s.ComputeStateRoot(); return sw.Elapsed.TotalMilliseconds;
        });
        output.WriteLine($"skew {skew}: {block.Count} txs");
        output.WriteLine($"  sequential Execute (no sig verify): {seqTotal:F1} ms; of which tx_root+checks+txids {seqOverhead:F1} ms, final root ~{seqRoot:F1} ms => apply loop ~{seqTotal - seqOverhead - seqRoot:F1} ms");

        foreach (int threads in new[] { 1, 2 })
        {
            using var exec = new ParallelExecutor(new ParallelExecutorOptions { Threads = threads });
            var best = new double[6];
            best.AsSpan().Fill(double.MaxValue);
            ScheduleStats stats = default;
            for (int rep = 0; rep < 5; rep++)
            {
                var s = genesis.Clone(); s.ComputeStateRoot();
                var sw = Stopwatch.StartNew();
                var st = ParallelExecutor.Precheck(block, s.ChainId);
                double t0 = sw.Elapsed.TotalMilliseconds;
                var sets = ParallelExecutor.BuildAccessSets(s, block, st);
                double t1 = sw.Elapsed.TotalMilliseconds;
                var g = exec.DetectConflicts(sets);
                double t2 = sw.Elapsed.TotalMilliseconds;
                var p = ParallelExecutor.Plan(sets, g);
                double t3 = sw.Elapsed.TotalMilliseconds;
                exec.ExecutePlan(s, block, sets, g, p, st);
                double t4 = sw.Elapsed.TotalMilliseconds;
                stats = exec.LastStats;
                var s2 = genesis.Clone(); s2.ComputeStateRoot();
                var sw2 = Stopwatch.StartNew(); exec.Execute(s2, block, verifySignatures: false); double tot = sw2.Elapsed.TotalMilliseconds;
                if (rep == 0) continue; // warm-up
                double[] now = [t0, t1 - t0, t2 - t1, t3 - t2, t4 - t3, tot];
                for (int i = 0; i < 6; i++) best[i] = Math.Min(best[i], now[i]); // best of 4, per stage
            }
            double pre = best[0], build = best[1], detect = best[2], plan = best[3], run = best[4], total = best[5];
            output.WriteLine($"  parallel, {threads} thread(s): precheck {pre:F1}, access sets {build:F1}, detect (cpu) {detect:F1}, plan {plan:F1}, execute plan {run:F1} ms; whole Execute {total:F1} ms");
            output.WriteLine($"    batches {stats.Batches}, critical path {stats.CriticalPath}, scheduled {stats.Scheduled}, effective parallelism {stats.EffectiveParallelism:F1}, records {stats.Records}, slots {stats.Slots}");
        }
    }
}
