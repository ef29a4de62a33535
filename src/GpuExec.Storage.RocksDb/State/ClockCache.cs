namespace GpuExec.Storage;

/// <summary>
/// A cache bounded in bytes with CLOCK eviction: an entry read since the hand last passed it gets a
/// second chance, so hot entries (busy senders, the fee collector, their buckets) stay while cold
/// ones are evicted in passing. Not thread-safe: its owner locks.
/// </summary>
internal sealed class ClockCache<TKey, TValue> where TKey : notnull
{
    private struct Entry
    {
        public TKey Key;
        public TValue Value;
        public int Bytes;
        public bool Referenced;
        public bool Used;
    }

    /// <summary>What an entry costs beyond its value: the index slot and the entry itself.</summary>
    private const int Overhead = 64;

    private readonly Dictionary<TKey, int> _index = [];
    private readonly Stack<int> _free = new();
    private Entry[] _entries = new Entry[1024];
    private int _used;
    private int _hand;

    public ClockCache(long budgetBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(budgetBytes);
        Budget = budgetBytes;
    }

    /// <summary>The bytes the cache may hold.</summary>
    public long Budget { get; }
    /// <summary>The bytes it holds (its own estimate: values plus a fixed overhead an entry).</summary>
    public long Bytes { get; private set; }
    /// <summary>Entries held.</summary>
    public int Count => _index.Count;
    /// <summary>Lookups that found their entry, and that did not (since the cache was made).</summary>
    public long Hits { get; private set; }
    public long Misses { get; private set; }

    public bool TryGet(TKey key, out TValue value)
    {
        if (_index.TryGetValue(key, out int i))
        {
            _entries[i].Referenced = true;
            value = _entries[i].Value;
            Hits++;
            return true;
        }
        Misses++;
        value = default!;
        return false;
    }

    /// <summary>Adds or replaces <paramref name="key"/>'s value, of <paramref name="bytes"/>, then evicts cold entries until within budget.</summary>
    public void Set(TKey key, TValue value, int bytes)
    {
        bytes += Overhead;
        if (_index.TryGetValue(key, out int i))
        {
            ref var e = ref _entries[i];
            Bytes += bytes - e.Bytes;
            e.Value = value;
            e.Bytes = bytes;
            e.Referenced = true;
        }
        else
        {
            if (bytes > Budget) return; // never held: it would evict everything and go itself
            i = _free.Count > 0 ? _free.Pop() : _used++;
            if (i == _entries.Length) Array.Resize(ref _entries, 2 * _entries.Length);
            _entries[i] = new Entry { Key = key, Value = value, Bytes = bytes, Used = true };
            _index[key] = i;
            Bytes += bytes;
        }
        while (Bytes > Budget && _index.Count > 0) EvictOne();
    }

    public void Remove(TKey key)
    {
        if (!_index.Remove(key, out int i)) return;
        Bytes -= _entries[i].Bytes;
        _entries[i] = default;
        _free.Push(i);
    }

    /// <summary>Empties the cache.</summary>
    public void Clear()
    {
        _index.Clear();
        _free.Clear();
        Array.Clear(_entries);
        _used = 0;
        _hand = 0;
        Bytes = 0;
    }

    private void EvictOne()
    {
        while (true)
        {
            if (_hand >= _used) _hand = 0;
            ref var e = ref _entries[_hand++];
            if (!e.Used) continue;
            if (e.Referenced) { e.Referenced = false; continue; }
            _index.Remove(e.Key);
            Bytes -= e.Bytes;
            _free.Push(_hand - 1);
            e = default;
            return;
        }
    }
}
