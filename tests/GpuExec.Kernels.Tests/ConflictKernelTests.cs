using GpuExec.Engine.Conflicts;
using GpuExec.Kernels.Conflicts;

namespace GpuExec.Kernels.Tests;

/// <summary>
/// The conflict kernels on the access layout's route positions (a pool per hop, <see
/// cref="AccessLayout.Pool"/> to <c>Pool + Pools - 1</c>): route-shaped declarations, with pools
/// repeated inside a transaction and shared across many, give the same graph as the host
/// algorithm, and every record id of the nine positions lands in the slot of its own key.
/// Written once, run per backend.
/// </summary>
public abstract class ConflictKernelTests(AcceleratorFixture fixture)
{
    protected AcceleratorFixture Fixture { get; } = fixture;

    /// <summary>
    /// <paramref name="n"/> transactions shaped as the builder declares them: transfers, swaps,
    /// routes of 1-4 hops over <paramref name="poolCount"/> pools (some repeated within a route,
    /// some cycles that debit and credit one key), and routes that name only the fee keys.
    /// </summary>
    internal static (ulong[] Keys, AccessMode[] Modes) RouteShaped(int seed, int n, int accounts, int poolCount)
    {
        var r = new Random(seed);
        var keys = new ulong[n * AccessLayout.Stride];
        var modes = new AccessMode[keys.Length];
        int collector = accounts;
        for (int tx = 0; tx < n; tx++)
        {
            int at = tx * AccessLayout.Stride, sender = r.Next(accounts);
            void Put(int pos, ulong key, AccessMode mode) { keys[at + pos] = key; modes[at + pos] = mode; }
            Put(AccessLayout.Nonce, StateKey.Nonce(sender), AccessMode.Write);
            Put(AccessLayout.Fee, StateKey.Balance(sender, 0), AccessMode.Write);
            Put(AccessLayout.Collector, StateKey.Balance(collector, 0), AccessMode.Add);
            int shape = r.Next(10);
            if (shape == 0) continue; // a route or swap that fails on its pools: the fee keys only
            uint tin = (uint)r.Next(4), tout = shape == 1 ? tin : (uint)r.Next(4); // shape 1: a cycle
            Put(AccessLayout.Debit, StateKey.Balance(sender, tin), AccessMode.Write);
            if (shape == 2)
            {
                Put(AccessLayout.Credit, StateKey.Balance(r.Next(accounts), tin), AccessMode.Add); // a transfer
                continue;
            }
            Put(AccessLayout.Credit, StateKey.Balance(sender, tout), AccessMode.Add);
            int hops = 1 + r.Next(AccessLayout.Pools);
            for (int h = 0; h < hops; h++)
            {
                // A third of the later hops go back through a pool an earlier hop used.
                uint pool = h > 0 && r.Next(3) == 0 ? StateKey.Low(keys[at + AccessLayout.Pool + r.Next(h)]) : (uint)r.Next(poolCount);
                Put(AccessLayout.Pool + h, StateKey.Pool(pool), AccessMode.Write);
            }
        }
        return (keys, modes);
    }

    private void AssertSameAsHost(int seed, int n, int accounts, int pools)
    {
        var (keys, modes) = RouteShaped(seed, n, accounts, pools);
        var sets = AccessSetBuilder.FromDeclared(n, keys, modes);
        using var detector = new IlgpuConflictDetector(Fixture.Accelerator);
        var gpu = detector.Detect(sets);
        var cpu = new CpuConflictDetector().Detect(sets);
        Assert.Equal(cpu.SortedRecords, gpu.SortedRecords);
        Assert.Equal(cpu.Predecessors, gpu.Predecessors);
        Assert.Equal(cpu.RecordSlots, gpu.RecordSlots);
        Assert.Equal(cpu.UniqueKeys, gpu.UniqueKeys);
        // Every position that holds a key (its alias is itself) has its record's slot on that key,
        // and every position that aliases an earlier one names no record of its own.
        int pooled = 0;
        for (int id = 0; id < n * AccessLayout.Stride; id++)
        {
            byte holder = sets.Alias[id];
            var slot = gpu.RecordSlots[id];
            if (holder == id % AccessLayout.Stride)
            {
                Assert.True(slot.IsNamed);
                Assert.Equal(keys[id], gpu.UniqueKeys[slot.Slot]);
                Assert.Equal(id, gpu.SortedRecords[slot.SortedPosition].RecordId);
                if (id % AccessLayout.Stride > AccessLayout.Pool) pooled++;
            }
            else Assert.False(slot.IsNamed);
        }
        Assert.True(pooled > 0, "no record at the second to fourth hops' positions");
    }

    [Fact]
    public void Route_positions_match_the_host_on_hot_pools() => AssertSameAsHost(1, 400, 30, 3);

    [Fact]
    public void Route_positions_match_the_host_across_many_groups()
    {
        // Enough records that the sort and the scans span many thread groups.
        AssertSameAsHost(2, Fixture.IsEmulator ? 4000 : 60_000, 500, 16);
    }

    [Fact]
    public void The_layout_bounds_the_record_ids()
    {
        Assert.Equal(9, AccessLayout.Stride);
        Assert.Equal(AccessLayout.Pool + AccessLayout.Pools, AccessLayout.Stride);
        // The last transaction's last position still fits the record value's 30 bits.
        int last = AccessRecord.MaxTransactions * AccessLayout.Stride - 1;
        Assert.InRange(last, 0, AccessRecord.MaxRecordId);
        var rec = new AccessRecord(AccessRecord.MaxTransactions - 1, AccessLayout.Stride - 1, AccessMode.Write);
        Assert.Equal((AccessRecord.MaxTransactions - 1, AccessLayout.Stride - 1, AccessMode.Write), (rec.Tx, rec.Position, rec.Mode));
        Assert.True(AccessRecord.MaxTransactions >= Wire.InputLimits.MaxTransactions);
        Assert.Throws<ArgumentOutOfRangeException>(() => new AccessSets(AccessRecord.MaxTransactions + 1));
    }
}

[Collection("ilgpu-cpu")]
public sealed class ConflictKernelTestsIlgpuCpu(IlgpuCpuFixture f) : ConflictKernelTests(f);

[Collection("cuda")]
public sealed class ConflictKernelTestsCuda(CudaFixture f) : ConflictKernelTests(f);
