using GpuExec.Engine.Conflicts;
using GpuExec.Kernels.Conflicts;
using ILGPU;
using ILGPU.Runtime;

namespace GpuExec.NativeDrivers.Tests;

/// <summary>
/// The conflict kernels compiled for pocl, on random access sets, against the engine's C# twin
/// (<see cref="CpuConflictDetector"/>). The sort and the scans between them are done on the host:
/// on a GPU they are ILGPU.Algorithms' radix sort and scans, which compile to work-group
/// functions pocl 3.1 does not have.
/// </summary>
[Collection(PoclCollection.Name), Trait("Category", "CompiledKernels")]
public class PoclConflictKernelTests(PoclFixture pocl)
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(40, 3, 2)]
    [InlineData(400, 50, 3)]
    [InlineData(5000, 700, 4)]
    public void Kernels_give_the_graph_of_the_host_detector(int txs, int keySpace, int seed)
    {
        var acc = pocl.Accelerator;
        var r = new Random(seed);
        var sets = new AccessSets(txs);
        int m = 0;
        for (int t = 0; t < txs; t++)
        {
            for (int pos = 0; pos < AccessSets.Stride; pos++)
            {
                if (r.Next(4) == 0) continue; // a position that names no key
                sets.Keys[m] = (ulong)r.Next(keySpace) * 0x9E3779B97F4A7C15UL;
                sets.Records[m] = new AccessRecord(t, pos, (AccessMode)r.Next(1, 4));
                m++;
            }
        }
        sets.RecordCount = m;
        var expected = new CpuConflictDetector().Detect(sets);

        // Stable sort by key on the host (as the radix sort on a device).
        var order = Enumerable.Range(0, m).OrderBy(i => sets.Keys[i]).ToArray();
        var keys = order.Select(i => sets.Keys[i]).ToArray();
        var records = order.Select(i => sets.Records[i]).ToArray();
        int ids = txs * AccessSets.Stride;

        var mark = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ulong>, ArrayView<AccessRecord>, ArrayView<int>, ArrayView<int>, ArrayView<int>>(ConflictKernels.MarkBoundaries);
        var clear = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<RecordSlot>>(ConflictKernels.ClearSlots);
        var derive = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ulong>, ArrayView<AccessRecord>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<PredecessorRange>, ArrayView<RecordSlot>, ArrayView<ulong>>(ConflictKernels.DerivePredecessors);

        using var dKeys = acc.Allocate1D(keys);
        using var dRecords = acc.Allocate1D(records);
        using var runMark = acc.Allocate1D<int>(m);
        using var segMark = acc.Allocate1D<int>(m);
        using var segFlag = acc.Allocate1D<int>(m);
        mark(m, dKeys.View, dRecords.View, runMark.View, segMark.View, segFlag.View);
        acc.Synchronize();

        // Inclusive scans on the host: max of the run and segment starts, sum of the segment flags.
        using var runStart = acc.Allocate1D(Scan(runMark.GetAsArray1D(), Math.Max));
        using var segStart = acc.Allocate1D(Scan(segMark.GetAsArray1D(), Math.Max));
        using var segNumber = acc.Allocate1D(Scan(segFlag.GetAsArray1D(), (a, b) => a + b));
        using var predecessors = acc.Allocate1D<PredecessorRange>(m);
        using var slots = acc.Allocate1D<RecordSlot>(ids);
        using var unique = acc.Allocate1D<ulong>(m);
        clear(ids, slots.View);
        derive(m, dKeys.View, dRecords.View, runStart.View, segStart.View, segNumber.View, predecessors.View, slots.View, unique.View);
        acc.Synchronize();

        Assert.Equal(expected.SortedRecords, records);
        Assert.Equal(expected.Predecessors, predecessors.GetAsArray1D());
        Assert.Equal(expected.RecordSlots, slots.GetAsArray1D());
        Assert.Equal(expected.UniqueKeys, unique.GetAsArray1D()[..expected.UniqueCount]);
    }

    private static int[] Scan(int[] values, Func<int, int, int> op)
    {
        for (int i = 1; i < values.Length; i++)
            values[i] = op(values[i - 1], values[i]);
        return values;
    }
}
