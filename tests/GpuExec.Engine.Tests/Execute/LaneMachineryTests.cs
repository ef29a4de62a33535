using GpuExec.Engine.Execute;

namespace GpuExec.Engine.Tests;

/// <summary>The worker team (dedicated threads, failures) and the lane tuner (probing, choosing, re-probing).</summary>
public class LaneMachineryTests
{
    [Fact]
    public void Team_runs_every_member_at_once_and_is_reusable()
    {
        using var team = new WorkerTeam(4);
        for (int round = 0; round < 3; round++)
        {
            // Each member waits until all four have arrived: only threads running at the same time get through.
            int arrived = 0;
            var seen = new int[4];
            team.Run(m =>
            {
                Interlocked.Increment(ref arrived);
                var spin = new SpinWait();
                while (Volatile.Read(ref arrived) < 4) spin.SpinOnce();
                seen[m]++;
            });
            Assert.Equal([1, 1, 1, 1], seen);
        }
    }

    [Fact]
    public void A_failing_member_is_rethrown_after_the_others_finish_and_the_team_still_works()
    {
        using var team = new WorkerTeam(3);
        int finished = 0;
        var e = Assert.Throws<InvalidOperationException>(() => team.Run(m =>
        {
            if (m == 2) throw new InvalidOperationException("lane 2 failed");
            Thread.Sleep(20);
            Interlocked.Increment(ref finished);
        }));
        Assert.Equal("lane 2 failed", e.Message);
        Assert.Equal(2, finished);
        int ran = 0;
        team.Run(_ => Interlocked.Increment(ref ran));
        Assert.Equal(3, ran);
    }

    [Fact]
    public void Tuner_probes_each_candidate_then_keeps_the_fastest_and_reprobes_now_and_then()
    {
        var tuner = new LaneTuner(8);
        Assert.Equal([1, 2, 4, 8], tuner.Candidates);
        double Cost(int lanes) => lanes == 2 ? 1.0 : 5.0; // ms per 10k transactions: two lanes are fastest
        var chosen = new List<int>();
        for (int block = 0; block < 100; block++)
        {
            int lanes = tuner.Choose(10_000);
            chosen.Add(lanes);
            tuner.Record(lanes, 10_000, Cost(lanes));
        }
        Assert.Equal([1, 1, 2, 2, 4, 4, 8, 8], chosen.Take(8));
        Assert.All(chosen.Skip(8).Take(20), c => Assert.Equal(2, c));
        Assert.Contains(chosen.Skip(8), c => c != 2); // re-probes
        Assert.True(chosen.Skip(8).Count(c => c == 2) > 85);
        // Small blocks neither probe nor count: they get the best so far.
        Assert.Equal(2, tuner.Choose(100));
    }

    [Fact]
    public void Tuner_follows_a_change_in_which_count_is_fastest()
    {
        var tuner = new LaneTuner(2);
        bool flipped = false;
        double Cost(int lanes) => (lanes == 1) != flipped ? 1.0 : 3.0;
        for (int block = 0; block < 40; block++) { int l = tuner.Choose(5000); tuner.Record(l, 5000, Cost(l)); }
        Assert.Equal(1, tuner.Choose(5000));
        flipped = true; // now two lanes are faster
        var later = new List<int>();
        for (int block = 0; block < 200; block++) { int l = tuner.Choose(5000); later.Add(l); tuner.Record(l, 5000, Cost(l)); }
        Assert.True(later.TakeLast(64).Count(c => c == 2) >= 62, string.Join(",", later)); // all but the re-probes
    }
}
