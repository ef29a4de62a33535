using GpuExec.Kernels.Conflicts;

namespace GpuExec.Engine.Conflicts;

/// <summary>
/// The conflict detection algorithm of <see cref="ConflictKernels"/> in plain C#, for the <c>cpu</c>
/// device: a stable LSD radix sort of (key, value) pairs (11-bit digits, passes whose digit is the
/// same for every key skipped), then boundary marks and scans fused into one sequential pass each.
/// Scratch buffers are kept between blocks; an instance is not thread-safe.
/// </summary>
internal sealed class CpuConflictDetector
{
    private const int DigitBits = 11;
    private const int Buckets = 1 << DigitBits;
    private const int Passes = (64 + DigitBits - 1) / DigitBits;

    private ulong[] _keys = [], _keysTmp = [];
    private AccessRecord[] _valsTmp = [];
    private readonly int[] _hist = new int[Passes * Buckets];

    public ConflictGraph Detect(AccessSets sets)
    {
        ArgumentNullException.ThrowIfNull(sets);
        int m = sets.RecordCount;
        if (_keys.Length < m)
        {
            _keys = new ulong[m];
            _keysTmp = new ulong[m];
            _valsTmp = new AccessRecord[m];
        }
        var values = new AccessRecord[m];
        sets.Keys.AsSpan(0, m).CopyTo(_keys);
        sets.Records.AsSpan(0, m).CopyTo(values);
        var sorted = RadixSort(m, values);
        if (!ReferenceEquals(sorted, values)) sorted.AsSpan(0, m).CopyTo(values);

        var keys = _keys;
        var predecessors = new PredecessorRange[m];
        var slots = new RecordSlot[sets.TxCount * AccessLayout.Stride];
        slots.AsSpan().Fill(RecordSlot.None);
        var unique = new ulong[m];
        int runStart = 0, prevRunStart = 0, segStart = 0, segNumber = 0;
        for (int p = 0; p < m; p++)
        {
            var record = values[p];
            var mode = record.Mode;
            bool newSegment = p == 0 || keys[p] != keys[p - 1];
            bool newRun = newSegment || mode == AccessMode.Write || mode != values[p - 1].Mode;
            if (newSegment) { segStart = p; unique[segNumber++] = keys[p]; }
            if (newRun) { prevRunStart = runStart; runStart = p; }
            // Same as DerivePredecessors: the previous run ends where this one starts.
            int end = runStart;
            int start = end > segStart ? prevRunStart : end;
            predecessors[p] = new PredecessorRange(start, end);
            slots[record.RecordId] = new RecordSlot(segNumber - 1, p);
        }
        Array.Resize(ref unique, segNumber);
        return new ConflictGraph(sets.TxCount, m, values, predecessors, slots, unique, segNumber);
    }

    /// <summary>Sorts <c>_keys[..m]</c> with <paramref name="values"/>; returns the array the values ended in (values or scratch).</summary>
    private AccessRecord[] RadixSort(int m, AccessRecord[] values)
    {
        var hist = _hist;
        Array.Clear(hist);
        var keys = _keys;
        for (int i = 0; i < m; i++)
        {
            ulong k = keys[i];
            for (int d = 0; d < Passes; d++) hist[d * Buckets + (int)((k >> (d * DigitBits)) & (Buckets - 1))]++;
        }
        var src = keys;
        var dst = _keysTmp;
        var srcV = values;
        var dstV = _valsTmp;
        for (int d = 0; d < Passes; d++)
        {
            var h = hist.AsSpan(d * Buckets, Buckets);
            if (m == 0 || h[(int)((src[0] >> (d * DigitBits)) & (Buckets - 1))] == m) continue; // one digit value: nothing moves
            int sum = 0;
            for (int b = 0; b < Buckets; b++) { int c = h[b]; h[b] = sum; sum += c; }
            int shift = d * DigitBits;
            for (int i = 0; i < m; i++)
            {
                ulong k = src[i];
                int at = h[(int)((k >> shift) & (Buckets - 1))]++;
                dst[at] = k;
                dstV[at] = srcV[i];
            }
            (src, dst) = (dst, src);
            (srcV, dstV) = (dstV, srcV);
        }
        _keys = src;
        _keysTmp = dst;
        return srcV;
    }
}
