using CsCheck;
using GpuExec.Engine.Conflicts;
using GpuExec.Engine.Execute;
using GpuExec.Engine.Schedule;
using GpuExec.Generation;
using GpuExec.Wire;

namespace GpuExec.Engine.Tests;

/// <summary>
/// The lane schedule on its own, independent of thread timing: every scheduled transaction runs
/// once, lanes keep block order, and every dependency either stays on one lane (then order covers
/// it) or is covered by a wait the lane emitted at or before the dependent transaction.
/// </summary>
public class LanePlanTests
{
    private static readonly Gen<(GeneratorOptions Options, int Lanes, int Slack)> Cases =
        Gen.Select(Gen.Int[2, 80], Gen.Int[0, 600], Gen.Int[0, 4], Gen.Double[0, 2], Gen.Double[0, 0.3], Gen.ULong, Gen.Bool, Gen.Int[1, 9])
           .Select((acc, txs, pools, skew, invalid, seed, collectorSends, lanes) => new GeneratorOptions
           {
               Accounts = acc, TxsPerBlock = txs, Pools = pools, Skew = skew, InvalidRatio = invalid, Seed = seed, CollectorSends = collectorSends,
           })
           .Select(Gen.Int[1, 9], Gen.OneOfConst(0, 4, 64, 1000), (o, lanes, slack) => (o, lanes, slack));

    [Fact]
    public void Every_dependency_is_ordered_by_its_lane_or_covered_by_a_wait()
    {
        Cases.Sample(c =>
        {
            var gen = new BlockGenerator(c.Options);
            var state = gen.Genesis.Clone();
            var block = BlockCodec.Decode(gen.NextBlock());
            var sets = AccessSetBuilder.Build(state, block, Precheck(block, state.ChainId));
            var graph = new CpuConflictDetector().Detect(sets);
            var plan = LaneScheduler.Plan(sets, graph, c.Lanes, c.Slack);
            CheckPlan(sets, graph, plan);
            Assert.Equal(LevelScheduler.Levels(sets, graph, out int criticalPath), plan.Level);
            Assert.Equal(criticalPath, plan.CriticalPath);
        }, iter: 150);
    }

    private static void CheckPlan(AccessSets sets, ConflictGraph graph, LanePlan plan)
    {
        int n = sets.TxCount, lanes = plan.LaneCount;
        var lane = new int[n];
        var pos = new int[n];
        Array.Fill(lane, -1);
        for (int l = 0; l < lanes; l++)
        {
            var txs = plan.Lane(l);
            for (int i = 0; i < txs.Length; i++)
            {
                Assert.Equal(-1, lane[txs[i]]); // once
                if (i > 0) Assert.True(txs[i] > txs[i - 1], "a lane keeps block order");
                lane[txs[i]] = l;
                pos[txs[i]] = i;
            }
        }
        int scheduled = 0;
        for (int tx = 0; tx < n; tx++)
        {
            Assert.Equal(sets.Scheduled[tx], lane[tx] >= 0);
            if (sets.Scheduled[tx]) scheduled++;
        }
        Assert.Equal(scheduled, plan.ScheduledCount);

        // What each lane has waited for so far, walking it in order.
        var preds = new List<int>();
        for (int l = 0; l < lanes; l++)
        {
            var waited = new int[lanes];
            foreach (int tx in plan.Lane(l))
            {
                for (int w = plan.WaitStart[tx]; w < plan.WaitStart[tx + 1]; w += 2)
                {
                    int u = plan.Waits[w], count = plan.Waits[w + 1];
                    Assert.NotEqual(l, u);
                    Assert.InRange(count, 1, plan.Lane(u).Length);
                    waited[u] = Math.Max(waited[u], count);
                }
                preds.Clear();
                graph.PredecessorsOf(tx, preds);
                foreach (int p in preds)
                {
                    Assert.True(p < tx);
                    if (lane[p] == l) Assert.True(pos[p] < pos[tx]);
                    else Assert.True(waited[lane[p]] > pos[p], $"tx {tx} on lane {l} does not wait for its predecessor {p} (lane {lane[p]}, position {pos[p]})");
                }
            }
        }
    }

    [Fact]
    public void One_lane_runs_everything_in_block_order_without_waits()
    {
        var gen = new BlockGenerator(new GeneratorOptions { Accounts = 20, TxsPerBlock = 500, Pools = 2, Skew = 1.0, Seed = 4, CollectorSends = true });
        var state = gen.Genesis.Clone();
        var block = BlockCodec.Decode(gen.NextBlock());
        var sets = AccessSetBuilder.Build(state, block, Precheck(block, state.ChainId));
        var plan = LaneScheduler.Plan(sets, new CpuConflictDetector().Detect(sets), 1);
        Assert.Empty(plan.Waits);
        Assert.Equal(Enumerable.Range(0, block.Count).Where(t => sets.Scheduled[t]), plan.Lane(0).ToArray());
    }

    [Fact]
    public void Independent_transactions_spread_over_the_lanes()
    {
        var gen = new BlockGenerator(new GeneratorOptions { Accounts = 100_000, TxsPerBlock = 4000, Pools = 0, Skew = 0, Seed = 9 });
        var state = gen.Genesis.Clone();
        var block = BlockCodec.Decode(gen.NextBlock());
        var sets = AccessSetBuilder.Build(state, block, Precheck(block, state.ChainId));
        var plan = LaneScheduler.Plan(sets, new CpuConflictDetector().Detect(sets), 4);
        int ideal = (plan.ScheduledCount + 3) / 4; // transfers cost 1 each
        for (int l = 0; l < 4; l++) Assert.InRange(plan.Lane(l).Length, ideal * 9 / 10, ideal * 11 / 10);
        Assert.InRange(plan.Makespan, ideal, ideal + 50);
    }

    /// <summary>Rules 1-2 only: every well-formed, right-chain transaction is scheduled.</summary>
    private static Model.TxStatus[] Precheck(Block block, uint chainId)
    {
        var statuses = new Model.TxStatus[block.Count];
        for (int i = 0; i < statuses.Length; i++) statuses[i] = Execution.TxRules.Precheck(block.Record(i), chainId);
        return statuses;
    }
}
