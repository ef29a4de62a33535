using GpuExec.Engine.Conflicts;

namespace GpuExec.Engine.Schedule;

/// <summary>
/// Builds a <see cref="LanePlan"/>: one pass over the block in order, as list scheduling on
/// simulated time. Each transaction has a cost (<see cref="AccessSets.Cost"/>: a transfer 1, a swap
/// 2, a route 1 + its hops); its ready time is the latest finish of its predecessors, plus a slack
/// when that predecessor sits on another lane (a cross-lane wait is real synchronisation, and lanes drift apart at run time, so a chain stays on
/// its lane unless another lane is idle well before it). The transaction goes to the lane where it
/// can start first. Because lanes keep block order and finish times rise along a lane, a
/// predecessor set reduces to "lane <c>u</c> has finished its first <c>c</c> transactions", one
/// count per lane; counts a lane already waited for are not emitted again.
/// <para>
/// The pass is linear in the records: the summary of a predecessor run (its highest level and its
/// last position on every lane) is computed once and cached by the run's first sorted position, so
/// a Write after 10k credits costs 10k once, as in <see cref="LevelScheduler"/>. It also computes
/// the levels, hence the critical path.
/// </para>
/// </summary>
internal static class LaneScheduler
{
    /// <summary>The default extra simulated time a cross-lane dependency costs (in transfer units).</summary>
    public const int DefaultSlack = 64;

    private const int DirectRun = 4; // runs up to this length are summarised on the fly

    public static LanePlan Plan(AccessSets sets, ConflictGraph graph, int lanes, int slack = DefaultSlack)
    {
        ArgumentNullException.ThrowIfNull(sets);
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentOutOfRangeException.ThrowIfLessThan(lanes, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(slack);
        if (lanes == 1) return OneLane(sets, graph);
        int n = sets.TxCount;
        int m = graph.RecordCount;
        var slots = graph.RecordSlots;
        var pred = graph.Predecessors;
        var sorted = graph.SortedRecords;
        var scheduled = sets.Scheduled;
        var costs = sets.Cost;

        var lane = new int[n];
        var pos = new int[n];
        var finish = new long[n];
        var level = new int[n];
        var laneTxs = new int[lanes][];
        var laneCount = new int[lanes];
        for (int l = 0; l < lanes; l++) laneTxs[l] = new int[Math.Max(16, n / lanes + 16)];
        var free = new long[lanes];           // simulated time each lane becomes free
        var seen = new int[lanes * lanes];    // seen[l * lanes + u]: how far lane l already waited for lane u
        var waitStart = new int[n + 1];
        var waits = new List<int>(n / 4 + 16);
        var runCache = new int[Math.Max(1, m)]; // 0: not summarised yet; else 1 + offset in summaries
        var summaries = new List<int>();
        Span<int> need = lanes <= 256 ? stackalloc int[lanes] : new int[lanes];
        int maxLevel = -1, count = 0, crossWaits = 0;

        for (int tx = 0; tx < n; tx++)
        {
            waitStart[tx] = waits.Count;
            if (!scheduled[tx]) { level[tx] = -1; lane[tx] = -1; continue; }
            need.Clear();
            int lv = 0;
            int baseId = tx * AccessSets.Stride;
            for (int k = 0; k < AccessSets.Stride; k++)
            {
                var slot = slots[baseId + k];
                if (!slot.IsNamed) continue;
                var range = pred[slot.SortedPosition];
                int s = range.Start, e = range.End;
                if (s == e) continue;
                if (e - s <= DirectRun)
                {
                    for (int q = s; q < e; q++)
                    {
                        int t = sorted[q].Tx;
                        if (level[t] + 1 > lv) lv = level[t] + 1;
                        if (pos[t] + 1 > need[lane[t]]) need[lane[t]] = pos[t] + 1;
                    }
                    continue;
                }
                int at = runCache[s] - 1;
                if (at < 0)
                {
                    at = summaries.Count;
                    runCache[s] = at + 1;
                    int mx = -1;
                    for (int l = 0; l <= lanes; l++) summaries.Add(0);
                    for (int q = s; q < e; q++)
                    {
                        int t = sorted[q].Tx;
                        if (level[t] > mx) mx = level[t];
                        int entry = at + 1 + lane[t];
                        if (pos[t] + 1 > summaries[entry]) summaries[entry] = pos[t] + 1;
                    }
                    summaries[at] = mx;
                }
                if (summaries[at] + 1 > lv) lv = summaries[at] + 1;
                for (int l = 0; l < lanes; l++)
                    if (summaries[at + 1 + l] > need[l]) need[l] = summaries[at + 1 + l];
            }
            level[tx] = lv;
            if (lv > maxLevel) maxLevel = lv;

            // Ready time per lane: own-lane predecessors as they finish, others plus the slack.
            long best1 = 0, best2 = 0;
            int best1Lane = -1;
            for (int u = 0; u < lanes; u++)
            {
                if (need[u] == 0) continue;
                long f = finish[laneTxs[u][need[u] - 1]];
                if (f > best1) { best2 = best1; best1 = f; best1Lane = u; }
                else if (f > best2) best2 = f;
            }
            int chosen = 0;
            long chosenStart = long.MaxValue;
            for (int l = 0; l < lanes; l++)
            {
                long own = need[l] == 0 ? 0 : finish[laneTxs[l][need[l] - 1]];
                long other = l == best1Lane ? best2 : best1;
                long ready = Math.Max(own, other == 0 ? 0 : other + slack);
                long start = Math.Max(free[l], ready);
                if (start < chosenStart) { chosenStart = start; chosen = l; }
            }
            int cost = costs[tx];
            free[chosen] = finish[tx] = chosenStart + cost;
            lane[tx] = chosen;
            int at2 = laneCount[chosen]++;
            pos[tx] = at2;
            if (at2 == laneTxs[chosen].Length) Array.Resize(ref laneTxs[chosen], at2 * 2);
            laneTxs[chosen][at2] = tx;
            count++;
            for (int u = 0; u < lanes; u++)
            {
                if (u == chosen || need[u] <= seen[chosen * lanes + u]) continue;
                seen[chosen * lanes + u] = need[u];
                waits.Add(u);
                waits.Add(need[u]);
                crossWaits++;
            }
        }
        waitStart[n] = waits.Count;

        var laneStart = new int[lanes + 1];
        for (int l = 0; l < lanes; l++) laneStart[l + 1] = laneStart[l] + laneCount[l];
        var txs = new int[laneStart[lanes]];
        for (int l = 0; l < lanes; l++) Array.Copy(laneTxs[l], 0, txs, laneStart[l], laneCount[l]);
        long makespan = 0;
        foreach (long f in free) makespan = Math.Max(makespan, f);
        return new LanePlan(level, laneStart, txs, waitStart, waits.ToArray(), count, maxLevel + 1, crossWaits, makespan);
    }

    /// <summary>One lane: every scheduled transaction in block order, no waits; levels only for the critical path.</summary>
    private static LanePlan OneLane(AccessSets sets, ConflictGraph graph)
    {
        var level = LevelScheduler.Levels(sets, graph, out int criticalPath);
        int n = sets.TxCount;
        var txs = new int[sets.ScheduledCount];
        int count = 0;
        long makespan = 0;
        for (int tx = 0; tx < n; tx++)
        {
            if (!sets.Scheduled[tx]) continue;
            txs[count++] = tx;
            makespan += sets.Cost[tx];
        }
        return new LanePlan(level, [0, count], txs, new int[n + 1], [], count, criticalPath, 0, makespan);
    }
}
