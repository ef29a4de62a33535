namespace GpuExec.Engine.Execute;

/// <summary>
/// Picks the number of lanes by measurement, per executor. The candidates are 1, 2, 4, … up to the
/// thread count (and the thread count itself). Each block of at least <see cref="MinTxs"/> scheduled
/// transactions reports its lane run time per transaction; a candidate's figure is the best of its
/// last three reports (a garbage collection or a descheduled core only ever slows a run down). The
/// first blocks try every candidate twice, then the best one runs, and every
/// <see cref="ReprobeEvery"/> blocks one other candidate is tried again, so a change in the load or
/// the workload is noticed. Results never depend on the choice: every lane count gives the
/// sequential executor's results.
/// </summary>
internal sealed class LaneTuner
{
    public const int MinTxs = 2048;
    public const int ReprobeEvery = 32;
    private const int Window = 3;

    private readonly int[] _candidates;
    private readonly double[][] _recent; // ns per transaction, last Window reports per candidate
    private readonly int[] _reports;
    private int _blocks;
    private int _reprobe;
    private readonly object _gate = new();

    public LaneTuner(int threads)
    {
        var list = new List<int>();
        for (int c = 1; c < threads; c *= 2) list.Add(c);
        list.Add(threads);
        _candidates = [.. list];
        _recent = new double[_candidates.Length][];
        for (int i = 0; i < _recent.Length; i++) _recent[i] = [double.MaxValue, double.MaxValue, double.MaxValue];
        _reports = new int[_candidates.Length];
    }

    public IReadOnlyList<int> Candidates => _candidates;

    /// <summary>The lane count for a block with <paramref name="scheduled"/> transactions to run.</summary>
    public int Choose(int scheduled)
    {
        lock (_gate)
        {
            if (scheduled < MinTxs) return _candidates[Best()];
            for (int i = 0; i < _candidates.Length; i++)
                if (_reports[i] < 2) return _candidates[i]; // still probing
            if (_blocks > 0 && _blocks % ReprobeEvery == 0)
            {
                int best = Best();
                _reprobe = (_reprobe + 1) % _candidates.Length;
                if (_reprobe == best) _reprobe = (_reprobe + 1) % _candidates.Length;
                return _candidates[_reprobe];
            }
            return _candidates[Best()];
        }
    }

    /// <summary>Reports that <paramref name="lanes"/> lanes ran <paramref name="scheduled"/> transactions in <paramref name="ms"/>.</summary>
    public void Record(int lanes, int scheduled, double ms)
    {
        if (scheduled < MinTxs) return;
        int i = Array.IndexOf(_candidates, lanes);
        if (i < 0) return;
        lock (_gate)
        {
            _recent[i][_reports[i] % Window] = ms * 1e6 / scheduled;
            _reports[i]++;
            _blocks++;
        }
    }

    /// <summary>Nanoseconds per transaction of each candidate (best of its recent reports; MaxValue before any).</summary>
    public double Figure(int candidateIndex) => _recent[candidateIndex].Min();

    private int Best()
    {
        int best = _candidates.Length - 1; // unmeasured: all threads
        double bestNs = double.MaxValue;
        for (int i = 0; i < _candidates.Length; i++)
        {
            double ns = Figure(i);
            if (ns < bestNs) { bestNs = ns; best = i; }
        }
        return best;
    }
}
