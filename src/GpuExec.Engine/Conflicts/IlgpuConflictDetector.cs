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

    private int _capacity = -1, _recordIdCapacity = -1;
    private MemoryBuffer1D<ulong, Stride1D.Dense>? _keys, _unique;
    private MemoryBuffer1D<AccessRecord, Stride1D.Dense>? _records;
    private MemoryBuffer1D<int, Stride1D.Dense>? _runMark, _segMark, _segFlag, _runStart, _segStart, _segNumber, _temp;
    private MemoryBuffer1D<PredecessorRange, Stride1D.Dense>? _predecessors;
    private MemoryBuffer1D<RecordSlot, Stride1D.Dense>? _slots;

    public IlgpuConflictDetector(Accelerator accelerator)
    {
        _acc = accelerator ?? throw new ArgumentNullException(nameof(accelerator));
        _k = Loaded.For(accelerator);
    }

    /// <summary>Loads the kernels and algorithm delegates of <paramref name="accelerator"/> now (they are shared by every detector on it).</summary>
    public static void WarmUp(Accelerator accelerator) => Loaded.For(accelerator);

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
        int m = sets.RecordCount;
        int ids = sets.TxCount * AccessLayout.Stride;
        var slots = new RecordSlot[ids];
        if (m == 0)
        {
            slots.AsSpan().Fill(RecordSlot.None);
            return new ConflictGraph(sets.TxCount, 0, [], [], slots, [], 0);
        }
        Ensure(m, ids);
        var stream = _acc.DefaultStream;
        var keys = _keys!.View.SubView(0, m);
        var records = _records!.View.SubView(0, m);
        keys.CopyFromCPU(stream, sets.Keys.AsSpan(0, m));
        records.CopyFromCPU(stream, sets.Records.AsSpan(0, m));
        _k.Sort(stream, keys, records, _temp!.View);
        var runMark = _runMark!.View.SubView(0, m);
        var segMark = _segMark!.View.SubView(0, m);
        var segFlag = _segFlag!.View.SubView(0, m);
        var runStart = _runStart!.View.SubView(0, m);
        var segStart = _segStart!.View.SubView(0, m);
        var segNumber = _segNumber!.View.SubView(0, m);
        var predecessors = _predecessors!.View.SubView(0, m);
        var slotView = _slots!.View.SubView(0, ids);
        var unique = _unique!.View.SubView(0, m);
        _k.Mark(stream, m, keys, records, runMark, segMark, segFlag);
        _k.MaxScan(stream, runMark, runStart, _temp.View);
        _k.MaxScan(stream, segMark, segStart, _temp.View);
        _k.AddScan(stream, segFlag, segNumber, _temp.View);
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

    private void Ensure(int m, int ids)
    {
        if (m > _capacity)
        {
            int cap = Math.Max(m, _capacity * 2);
            DisposeRecordBuffers();
            _keys = _acc.Allocate1D<ulong>(cap);
            _unique = _acc.Allocate1D<ulong>(cap);
            _records = _acc.Allocate1D<AccessRecord>(cap);
            _runMark = _acc.Allocate1D<int>(cap);
            _segMark = _acc.Allocate1D<int>(cap);
            _segFlag = _acc.Allocate1D<int>(cap);
            _runStart = _acc.Allocate1D<int>(cap);
            _segStart = _acc.Allocate1D<int>(cap);
            _segNumber = _acc.Allocate1D<int>(cap);
            _predecessors = _acc.Allocate1D<PredecessorRange>(cap);
            long temp = Math.Max(
                _acc.ComputeRadixSortPairsTempStorageSize<ulong, AccessRecord, AscendingUInt64>(cap),
                _acc.ComputeScanTempStorageSize<int>(cap));
            _temp = _acc.Allocate1D<int>(Math.Max(1, temp));
            _capacity = cap;
        }
        if (ids > _recordIdCapacity)
        {
            int cap = Math.Max(ids, _recordIdCapacity * 2);
            _slots?.Dispose();
            _slots = _acc.Allocate1D<RecordSlot>(cap);
            _recordIdCapacity = cap;
        }
    }

    private void DisposeRecordBuffers()
    {
        _keys?.Dispose(); _unique?.Dispose(); _records?.Dispose(); _runMark?.Dispose(); _segMark?.Dispose();
        _segFlag?.Dispose(); _runStart?.Dispose(); _segStart?.Dispose(); _segNumber?.Dispose(); _predecessors?.Dispose(); _temp?.Dispose();
    }

    public void Dispose()
    {
        DisposeRecordBuffers();
        _slots?.Dispose();
    }
}
