using CsCheck;
using GpuExec.Engine.Conflicts;
using GpuExec.Engine.Schedule;
using GpuExec.Kernels.Conflicts;

namespace GpuExec.Engine.Tests;

/// <summary>
/// The conflict kernels and their plain C# twin against a naive O(n^2) reference on random
/// access sets over a tiny key space (so collisions are the rule, not the exception).
/// </summary>
[Collection(IlgpuCollection.Name)]
public class ConflictDetectionTests(IlgpuFixture ilgpu)
{
    /// <summary>A random declaration: n transactions, nine positions each, keys from a small pool (some absent, some repeated within a tx).</summary>
    private static readonly Gen<(int N, ulong[] Keys, AccessMode[] Modes)> Declarations =
        Gen.Int[0, 40].SelectMany(n => Gen.Int[1, 6].SelectMany(keySpace =>
            Gen.Select(
                Gen.Int[0, keySpace - 1].Array[n * AccessSets.Stride],
                Gen.Int[0, 3].Array[n * AccessSets.Stride])
            .Select((k, m) =>
            {
                var keys = new ulong[k.Length];
                var modes = new AccessMode[k.Length];
                for (int i = 0; i < k.Length; i++)
                {
                    // A mix of kinds, so the key packing's ordering is exercised too.
                    keys[i] = (k[i] % 3) switch
                    {
                        0 => StateKey.Balance(k[i], (uint)(k[i] * 7)),
                        1 => StateKey.Nonce(k[i]),
                        _ => StateKey.Pool((uint)k[i]),
                    };
                    modes[i] = (AccessMode)m[i];
                }
                return (n, keys, modes);
            })));

    /// <summary>Per transaction, its distinct keys with the combined mode.</summary>
    internal static Dictionary<ulong, AccessMode>[] Combined(int n, ulong[] keys, AccessMode[] modes)
    {
        var sets = new Dictionary<ulong, AccessMode>[n];
        for (int i = 0; i < n; i++)
        {
            sets[i] = new Dictionary<ulong, AccessMode>();
            for (int k = 0; k < AccessSets.Stride; k++)
            {
                int r = i * AccessSets.Stride + k;
                if (modes[r] == AccessMode.None) continue;
                sets[i][keys[r]] = AccessModes.Combine(sets[i].GetValueOrDefault(keys[r]), modes[r]);
            }
        }
        return sets;
    }

    private static bool NaiveConflict(Dictionary<ulong, AccessMode> a, Dictionary<ulong, AccessMode> b)
    {
        foreach (var (key, mode) in a)
            if (b.TryGetValue(key, out var other) && AccessModes.Conflict(mode, other)) return true;
        return false;
    }

    internal static void CheckAgainstNaive(int n, ulong[] keys, AccessMode[] modes, ConflictGraph graph, AccessSets sets)
    {
        var combined = Combined(n, keys, modes);
        var conflict = new bool[n, n];
        var naiveLevel = new int[n];
        for (int j = 0; j < n; j++)
        {
            if (combined[j].Count == 0) { naiveLevel[j] = -1; continue; }
            int l = 0;
            for (int i = 0; i < j; i++)
            {
                if (combined[i].Count == 0 || !NaiveConflict(combined[i], combined[j])) continue;
                conflict[i, j] = true;
                l = Math.Max(l, naiveLevel[i] + 1);
            }
            naiveLevel[j] = l;
        }
        Assert.Equal(naiveLevel, LevelScheduler.Levels(sets, graph, out _));

        // Exactness: every edge joins a conflicting pair; every conflicting pair is ordered by a path.
        var reach = new ulong[n];
        var preds = new List<int>();
        for (int j = 0; j < n; j++)
        {
            preds.Clear();
            graph.PredecessorsOf(j, preds);
            foreach (int i in preds)
            {
                Assert.True(i < j && conflict[i, j], $"edge {i} -> {j} joins no conflicting pair");
                reach[j] |= reach[i] | (1UL << i);
            }
            for (int i = 0; i < j; i++)
                if (conflict[i, j]) Assert.True((reach[j] & (1UL << i)) != 0, $"conflict {i} -> {j} is not ordered");
        }

        // Slots: unique keys sorted and distinct, every present record's slot holds its key.
        for (int s = 1; s < graph.UniqueCount; s++) Assert.True(graph.UniqueKeys[s - 1] < graph.UniqueKeys[s]);
        for (int r = 0; r < n * AccessSets.Stride; r++)
        {
            int a = sets.Alias[r];
            if (a == AccessSets.Absent) { Assert.Equal(AccessMode.None, modes[r]); continue; }
            int holder = r - r % AccessSets.Stride + a;
            Assert.Equal(keys[r], graph.UniqueKeys[graph.RecordSlots[holder].Slot]);
        }
    }

    [Fact]
    public void Cpu_path_matches_the_naive_pairwise_reference()
    {
        var detector = new CpuConflictDetector();
        Declarations.Sample(d =>
        {
            var sets = AccessSetBuilder.FromDeclared(d.N, d.Keys, d.Modes);
            CheckAgainstNaive(d.N, d.Keys, d.Modes, detector.Detect(sets), sets);
        }, iter: 400, threads: 1);
    }

    [Fact]
    public void Ilgpu_kernels_match_the_naive_reference_and_the_cpu_path()
    {
        using var gpu = new IlgpuConflictDetector(ilgpu.Accelerator);
        var cpu = new CpuConflictDetector();
        Declarations.Sample(d =>
        {
            var sets = AccessSetBuilder.FromDeclared(d.N, d.Keys, d.Modes);
            var g = gpu.Detect(sets);
            CheckAgainstNaive(d.N, d.Keys, d.Modes, g, sets);
            var c = cpu.Detect(sets);
            Assert.Equal(c.SortedRecords, g.SortedRecords);
            Assert.Equal(c.Predecessors, g.Predecessors);
            Assert.Equal(c.RecordSlots, g.RecordSlots);
            Assert.Equal(c.UniqueKeys, g.UniqueKeys);
        }, iter: 25, threads: 1);
    }

    [Fact]
    public void Ilgpu_sort_keeps_block_order_across_many_groups()
    {
        // Thousands of records on a few hot keys: the radix sort must be stable across groups.
        var rng = new Random(5);
        const int n = 3000;
        var keys = new ulong[n * AccessSets.Stride];
        var modes = new AccessMode[keys.Length];
        for (int i = 0; i < keys.Length; i++)
        {
            if (rng.Next(3) == 0) continue;
            keys[i] = StateKey.Balance(rng.Next(8), (uint)rng.Next(2));
            modes[i] = rng.Next(10) == 0 ? AccessMode.Write : AccessMode.Add;
        }
        var sets = AccessSetBuilder.FromDeclared(n, keys, modes);
        using var gpu = new IlgpuConflictDetector(ilgpu.Accelerator);
        var g = gpu.Detect(sets);
        var c = new CpuConflictDetector().Detect(sets);
        Assert.Equal(c.SortedRecords, g.SortedRecords);
        Assert.Equal(c.Predecessors, g.Predecessors);
        Assert.Equal(c.RecordSlots, g.RecordSlots);
        Assert.Equal(LevelScheduler.Levels(sets, c, out _), LevelScheduler.Levels(sets, g, out _));
    }

    [Fact]
    public void Write_after_many_credits_waits_for_all_of_them_and_credits_share_a_level()
    {
        // tx 0..4 credit key K, tx 5 writes it, tx 6..7 credit it again, tx 8 reads it.
        const int n = 9;
        var keys = new ulong[n * AccessSets.Stride];
        var modes = new AccessMode[n * AccessSets.Stride];
        ulong k = StateKey.Balance(3, 0);
        for (int i = 0; i < n; i++)
        {
            keys[i * AccessSets.Stride] = k;
            modes[i * AccessSets.Stride] = i == 5 ? AccessMode.Write : i == 8 ? AccessMode.Read : AccessMode.Add;
        }
        var sets = AccessSetBuilder.FromDeclared(n, keys, modes);
        var level = LevelScheduler.Levels(sets, new CpuConflictDetector().Detect(sets), out int criticalPath);
        Assert.Equal([0, 0, 0, 0, 0, 1, 2, 2, 3], level);
        Assert.Equal(4, criticalPath);
    }
}
