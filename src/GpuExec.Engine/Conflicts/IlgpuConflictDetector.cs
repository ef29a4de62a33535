using GpuExec.Engine.Devices;
using GpuExec.Kernels.Conflicts;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Algorithms.RadixSortOperations;
using ILGPU.Algorithms.ScanReduceOperations;
using ILGPU.Runtime;

namespace GpuExec.Engine.Conflicts;

/// <summary>
/// Host launcher of <see cref="ConflictKernels"/> on an ILGPU accelerator: uploads the records,
/// sorts them with ILGPU.Algorithms' radix sort (stable LSD, so equal keys keep block order),
/// marks boundaries, runs three inclusive scans, derives predecessor ranges and slots, and copies
/// the graph back. Kernels and algorithm delegates are loaded once per accelerator (shared by all
/// detectors on it); device buffers grow and are reused between blocks. The accelerator's context must have been created with
/// <c>EnableAlgorithms()</c>. Not thread-safe; dispose it before the accelerator.
/// </summary>
internal sealed class IlgpuConflictDetector : IDisposable
{
    private readonly Accelerator _acc;
    private readonly Loaded _k;

    // Each buffer grows on its own, the new one allocated before the old one is released, so a
    // failed allocation (the device out of memory) leaves every buffer valid.
    private readonly GrowableBuffer<ulong> _keys, _unique;
    private readonly GrowableBuffer<AccessRecord> _records;
    private readonly GrowableBuffer<int> _runMark, _segMark, _segFlag, _runStart, _segStart, _segNumber, _temp;
    private readonly GrowableBuffer<PredecessorRange> _predecessors;
    private readonly GrowableBuffer<RecordSlot> _slots;

    public IlgpuConflictDetector(Accelerator accelerator)
    {
        _acc = accelerator ?? throw new ArgumentNullException(nameof(accelerator));
        _acc.Bind();
        _k = Loaded.For(accelerator);
        _keys = new(accelerator);
        _unique = new(accelerator);
        _records = new(accelerator);
        _runMark = new(accelerator);
        _segMark = new(accelerator);
        _segFlag = new(accelerator);
        _runStart = new(accelerator);
        _segStart = new(accelerator);
        _segNumber = new(accelerator);
        _temp = new(accelerator);
        _predecessors = new(accelerator);
        _slots = new(accelerator);
    }

    /// <summary>Loads the kernels and algorithm delegates of <paramref name="accelerator"/> now (they are shared by every detector on it).</summary>
    public static void WarmUp(Accelerator accelerator)
    {
        accelerator.Bind();
        Loaded.For(accelerator);
    }

    /// <summary>The kernels and algorithm delegates of one accelerator, compiled once and shared by every detector on it.</summary>
    private sealed class Loaded
    {
        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Accelerator, Loaded> Cache = new();

        public readonly RadixSortPairs<ulong, Stride1D.Dense, AccessRecord, Stride1D.Dense> Sort;
        public readonly Scan<int, Stride1D.Dense, Stride1D.Dense> MaxScan;
        public readonly Scan<int, Stride1D.Dense, Stride1D.Dense> AddScan;
        public readonly Action<AcceleratorStream, Index1D, ArrayView<RecordSlot>> ClearSlots;
        public readonly Action<AcceleratorStream, Index1D, ArrayView<ulong>, ArrayView<AccessRecord>, ArrayView<int>, ArrayView<int>, ArrayView<int>> Mark;
        public readonly Action<AcceleratorStream, Index1D, ArrayView<ulong>, ArrayView<AccessRecord>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<PredecessorRange>, ArrayView<RecordSlot>, ArrayView<ulong>> Derive;

        private Loaded(Accelerator acc)
        {
            Sort = acc.CreateRadixSortPairs<ulong, Stride1D.Dense, AccessRecord, Stride1D.Dense, AscendingUInt64>();
            MaxScan = acc.CreateScan<int, Stride1D.Dense, Stride1D.Dense, MaxInt32>(ScanKind.Inclusive);
            AddScan = acc.CreateScan<int, Stride1D.Dense, Stride1D.Dense, AddInt32>(ScanKind.Inclusive);
            ClearSlots = acc.LoadAutoGroupedKernel<Index1D, ArrayView<RecordSlot>>(ConflictKernels.ClearSlots);
            Mark = acc.LoadAutoGroupedKernel<Index1D, ArrayView<ulong>, ArrayView<AccessRecord>, ArrayView<int>, ArrayView<int>, ArrayView<int>>(ConflictKernels.MarkBoundaries);
            Derive = acc.LoadAutoGroupedKernel<Index1D, ArrayView<ulong>, ArrayView<AccessRecord>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<PredecessorRange>, ArrayView<RecordSlot>, ArrayView<ulong>>(ConflictKernels.DerivePredecessors);
        }

        public static Loaded For(Accelerator acc)
        {
            lock (Cache) return Cache.GetValue(acc, static a => new Loaded(a));
        }
    }

    public Accelerator Accelerator => _acc;

    public ConflictGraph Detect(AccessSets sets)
    {
        ArgumentNullException.ThrowIfNull(sets);
        _acc.Bind();
        int m = sets.RecordCount;
        int ids = sets.TxCount * AccessLayout.Stride;
        var slots = new RecordSlot[ids];
        if (m == 0)
        {
            slots.AsSpan().Fill(RecordSlot.None);
            return new ConflictGraph(sets.TxCount, 0, [], [], slots, [], 0);
        }
        var stream = _acc.DefaultStream;
        var keys = _keys.Get(m);
        var records = _records.Get(m);
        keys.CopyFromCPU(stream, sets.Keys.AsSpan(0, m));
        records.CopyFromCPU(stream, sets.Records.AsSpan(0, m));
        var temp = _temp.Get(Math.Max(
            _acc.ComputeRadixSortPairsTempStorageSize<ulong, AccessRecord, AscendingUInt64>(m),
            _acc.ComputeScanTempStorageSize<int>(m)));
        _k.Sort(stream, keys, records, temp);
        var runMark = _runMark.Get(m);
        var segMark = _segMark.Get(m);
        var segFlag = _segFlag.Get(m);
        var runStart = _runStart.Get(m);
        var segStart = _segStart.Get(m);
        var segNumber = _segNumber.Get(m);
        var predecessors = _predecessors.Get(m);
        var slotView = _slots.Get(ids);
        var unique = _unique.Get(m);
        _k.Mark(stream, m, keys, records, runMark, segMark, segFlag);
        _k.MaxScan(stream, runMark, runStart, temp);
        _k.MaxScan(stream, segMark, segStart, temp);
        _k.AddScan(stream, segFlag, segNumber, temp);
        _k.ClearSlots(stream, ids, slotView);
        _k.Derive(stream, m, keys, records, runStart, segStart, segNumber, predecessors, slotView, unique);

        var sorted = new AccessRecord[m];
        var pred = new PredecessorRange[m];
        var count = new int[1];
        records.CopyToCPU(stream, sorted);
        predecessors.CopyToCPU(stream, pred);
        slotView.CopyToCPU(stream, slots);
        segNumber.SubView(m - 1, 1).CopyToCPU(stream, count);
        var uniqueKeys = new ulong[count[0]];
        unique.SubView(0, count[0]).CopyToCPU(stream, uniqueKeys);
        stream.Synchronize();
        return new ConflictGraph(sets.TxCount, m, sorted, pred, slots, uniqueKeys, count[0]);
    }

    public void Dispose()
    {
        _keys.Dispose(); _unique.Dispose(); _records.Dispose(); _runMark.Dispose(); _segMark.Dispose(); _segFlag.Dispose();
        _runStart.Dispose(); _segStart.Dispose(); _segNumber.Dispose(); _temp.Dispose(); _predecessors.Dispose(); _slots.Dispose();
    }
}
