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
public sealed class IlgpuConflictDetector : IDisposable
{
    private readonly Accelerator _acc;
    private readonly Loaded _k;

    private int _capacity = -1, _recordIdCapacity = -1;
    private MemoryBuffer1D<ulong, Stride1D.Dense>? _keys, _unique;
    private MemoryBuffer1D<int, Stride1D.Dense>? _values, _runMark, _segMark, _segFlag, _runStart, _segStart, _segNumber, _predRange, _temp;
    private MemoryBuffer1D<int, Stride1D.Dense>? _slotPos;

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

        public readonly RadixSortPairs<ulong, Stride1D.Dense, int, Stride1D.Dense> Sort;
        public readonly Scan<int, Stride1D.Dense, Stride1D.Dense> MaxScan;
        public readonly Scan<int, Stride1D.Dense, Stride1D.Dense> AddScan;
        public readonly Action<AcceleratorStream, Index1D, ArrayView<int>, int> Fill;
        public readonly Action<AcceleratorStream, Index1D, ArrayView<ulong>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>> Mark;
        public readonly Action<AcceleratorStream, Index1D, ArrayView<ulong>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<ulong>> Derive;

        private Loaded(Accelerator acc)
        {
            Sort = acc.CreateRadixSortPairs<ulong, Stride1D.Dense, int, Stride1D.Dense, AscendingUInt64>();
            MaxScan = acc.CreateScan<int, Stride1D.Dense, Stride1D.Dense, MaxInt32>(ScanKind.Inclusive);
            AddScan = acc.CreateScan<int, Stride1D.Dense, Stride1D.Dense, AddInt32>(ScanKind.Inclusive);
            Fill = acc.LoadAutoGroupedKernel<Index1D, ArrayView<int>, int>(ConflictKernels.Fill);
            Mark = acc.LoadAutoGroupedKernel<Index1D, ArrayView<ulong>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>>(ConflictKernels.MarkBoundaries);
            Derive = acc.LoadAutoGroupedKernel<Index1D, ArrayView<ulong>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<ulong>>(ConflictKernels.DerivePredecessors);
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
        int ids = sets.TxCount * AccessSets.Stride;
        var slotPos = new int[2 * ids];
        if (m == 0)
        {
            slotPos.AsSpan().Fill(-1);
            return new ConflictGraph(sets.TxCount, 0, [], [], slotPos, [], 0);
        }
        Ensure(m, ids);
        var stream = _acc.DefaultStream;
        var keys = _keys!.View.SubView(0, m);
        var values = _values!.View.SubView(0, m);
        keys.CopyFromCPU(stream, sets.Keys.AsSpan(0, m));
        values.CopyFromCPU(stream, sets.Values.AsSpan(0, m));
        _k.Sort(stream, keys, values, _temp!.View);
        var runMark = _runMark!.View.SubView(0, m);
        var segMark = _segMark!.View.SubView(0, m);
        var segFlag = _segFlag!.View.SubView(0, m);
        var runStart = _runStart!.View.SubView(0, m);
        var segStart = _segStart!.View.SubView(0, m);
        var segNumber = _segNumber!.View.SubView(0, m);
        var predRange = _predRange!.View.SubView(0, 2L * m);
        var slotPosView = _slotPos!.View.SubView(0, 2L * ids);
        var unique = _unique!.View.SubView(0, m);
        _k.Mark(stream, m, keys, values, runMark, segMark, segFlag);
        _k.MaxScan(stream, runMark, runStart, _temp.View);
        _k.MaxScan(stream, segMark, segStart, _temp.View);
        _k.AddScan(stream, segFlag, segNumber, _temp.View);
        _k.Fill(stream, (int)slotPosView.Length, slotPosView, -1);
        _k.Derive(stream, m, keys, values, runStart, segStart, segNumber, predRange, slotPosView, unique);

        var sortedValues = new int[m];
        var pred = new int[2 * m];
        var count = new int[1];
        values.CopyToCPU(stream, sortedValues);
        predRange.CopyToCPU(stream, pred);
        slotPosView.CopyToCPU(stream, slotPos);
        segNumber.SubView(m - 1, 1).CopyToCPU(stream, count);
        var uniqueKeys = new ulong[count[0]];
        unique.SubView(0, count[0]).CopyToCPU(stream, uniqueKeys);
        stream.Synchronize();
        return new ConflictGraph(sets.TxCount, m, sortedValues, pred, slotPos, uniqueKeys, count[0]);
    }

    private void Ensure(int m, int ids)
    {
        if (m > _capacity)
        {
            int cap = Math.Max(m, _capacity * 2);
            DisposeRecordBuffers();
            _keys = _acc.Allocate1D<ulong>(cap);
            _unique = _acc.Allocate1D<ulong>(cap);
            _values = _acc.Allocate1D<int>(cap);
            _runMark = _acc.Allocate1D<int>(cap);
            _segMark = _acc.Allocate1D<int>(cap);
            _segFlag = _acc.Allocate1D<int>(cap);
            _runStart = _acc.Allocate1D<int>(cap);
            _segStart = _acc.Allocate1D<int>(cap);
            _segNumber = _acc.Allocate1D<int>(cap);
            _predRange = _acc.Allocate1D<int>(2L * cap);
            long temp = Math.Max(
                _acc.ComputeRadixSortPairsTempStorageSize<ulong, int, AscendingUInt64>(cap),
                _acc.ComputeScanTempStorageSize<int>(cap));
            _temp = _acc.Allocate1D<int>(Math.Max(1, temp));
            _capacity = cap;
        }
        if (ids > _recordIdCapacity)
        {
            int cap = Math.Max(ids, _recordIdCapacity * 2);
            _slotPos?.Dispose();
            _slotPos = _acc.Allocate1D<int>(2L * cap);
            _recordIdCapacity = cap;
        }
    }

    private void DisposeRecordBuffers()
    {
        _keys?.Dispose(); _unique?.Dispose(); _values?.Dispose(); _runMark?.Dispose(); _segMark?.Dispose();
        _segFlag?.Dispose(); _runStart?.Dispose(); _segStart?.Dispose(); _segNumber?.Dispose(); _predRange?.Dispose(); _temp?.Dispose();
    }

    public void Dispose()
    {
        DisposeRecordBuffers();
        _slotPos?.Dispose();
    }
}
