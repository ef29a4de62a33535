using System.Buffers;
using System.Runtime.CompilerServices;
using GpuExec.Model;
using GpuExec.Wire;

namespace GpuExec.Engine.Verify;

/// <summary>
/// Signature verdicts remembered by txid, as Bitcoin Core's signature cache does for transactions
/// seen in the mempool before their block. The key is the SHA-256 of the whole transaction record,
/// signature included, so a hit means the very same bytes were verified before: a verdict is never
/// reused for a record that differs in any byte (short of a SHA-256 collision).
/// </summary>
/// <remarks>
/// <para>Bounded by <see cref="SignatureCacheOptions"/>: once <see cref="Capacity"/> verdicts are held,
/// each new one evicts the oldest (first in, first out; a hit does not make an entry younger, and
/// adding a txid already held only updates its verdict).</para>
/// <para>Thread-safe: any number of threads may add and look up at once. One lock guards the table;
/// a lookup or an add holds it for tens of nanoseconds, and <see cref="Lookup"/> over a block takes it
/// once per few thousand transactions so that adders are never kept waiting for a whole block.
/// <see cref="TryGet"/> and <see cref="Add"/> do not allocate; <see cref="Lookup"/> allocates only
/// the array of misses it returns.</para>
/// <para>The table's hash uses multipliers drawn at random once per process, so txids ground to
/// collide in some bits do not crowd one part of the table. A hash match is only a hint: a verdict
/// is returned only when all 32 bytes of the txid are equal.</para>
/// </remarks>
public sealed class SignatureCache
{
    /// <summary>Transactions looked up per lock acquisition in <see cref="Lookup"/>.</summary>
    private const int LookupChunk = 4096;
    private const int MinRing = 1024;
    /// <summary>Keys whose table and ring lines are loaded together before they are probed.</summary>
    private const int ProbeGroup = 32;

    private readonly Lock _lock = new();
    private readonly int _capacity;

    // The insertion-order ring: _ring[_head] is the oldest verdict. _head stays 0 until the ring is
    // full, and the ring only fills once it has grown to _capacity, so growing never has to unwrap it.
    private Hash32[] _ring = [];
    private int _head, _count;

    // Open addressing, linear probing, at most half full. An entry is 0 (empty) or the key's hash in
    // the high half (its tag: probes and shifts need not read the ring) and (ring slot + 1) << 1 | verdict in the low half.
    private ulong[] _table = [];
    private int _mask = -1;

    private long _hits, _misses, _evictions;

    /// <summary>A cache with the bounds of <paramref name="options"/> (defaults when null), validated first.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The options are invalid (see <see cref="SignatureCacheOptions.Validate"/>).</exception>
    public SignatureCache(SignatureCacheOptions? options = null)
    {
        options ??= new SignatureCacheOptions();
        options.Validate();
        MaxEntries = options.MaxEntries;
        MaxBytes = options.MaxBytes;
        _capacity = options.Capacity;
    }

    /// <summary>The entry bound this cache was made with.</summary>
    public int MaxEntries { get; }

    /// <summary>The byte bound this cache was made with.</summary>
    public long MaxBytes { get; }

    /// <summary>Most verdicts held at once: the smaller of the two bounds, in entries; 0 when disabled.</summary>
    public int Capacity => _capacity;

    /// <summary>Whether the cache remembers anything (both bounds positive).</summary>
    public bool Enabled => _capacity > 0;

    /// <summary>Verdicts held now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Bytes held now, as accounted: <see cref="Count"/> × <see cref="SignatureCacheOptions.BytesPerEntry"/>.</summary>
    public long Bytes => (long)Count * SignatureCacheOptions.BytesPerEntry;

    /// <summary>Lookups (<see cref="TryGet"/> and <see cref="Lookup"/>) that found a verdict, since creation or <see cref="ResetCounters"/>.</summary>
    public long Hits => Volatile.Read(ref _hits);

    /// <summary>Lookups (<see cref="TryGet"/> and <see cref="Lookup"/>) that found none, since creation or <see cref="ResetCounters"/>.</summary>
    public long Misses => Volatile.Read(ref _misses);

    /// <summary>Verdicts dropped to make room for newer ones, since creation or <see cref="ResetCounters"/>.</summary>
    public long Evictions => Volatile.Read(ref _evictions);

    /// <summary>All counters at one instant (taken under the lock, so they agree with each other).</summary>
    public SignatureCacheStats GetStats()
    {
        lock (_lock)
            return new SignatureCacheStats(_hits, _misses, _evictions, _count, (long)_count * SignatureCacheOptions.BytesPerEntry);
    }

    /// <summary>Sets <see cref="Hits"/>, <see cref="Misses"/> and <see cref="Evictions"/> to 0 and returns what they were; the verdicts stay.</summary>
    public SignatureCacheStats ResetCounters()
    {
        lock (_lock)
        {
            var stats = new SignatureCacheStats(_hits, _misses, _evictions, _count, (long)_count * SignatureCacheOptions.BytesPerEntry);
            _hits = _misses = _evictions = 0;
            return stats;
        }
    }

    /// <summary>Forgets every verdict (the counters stay) and gives the arrays back.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _ring = [];
            _table = [];
            _mask = -1;
            _head = 0;
            Volatile.Write(ref _count, 0);
        }
    }

    /// <summary>The verdict remembered for <paramref name="txid"/>, counted as a hit or a miss.</summary>
    /// <param name="txid">32 bytes: the SHA-256 of the whole transaction record.</param>
    /// <param name="valid">The signature verdict when found; false otherwise.</param>
    /// <returns>Whether a verdict was found.</returns>
    /// <exception cref="ArgumentException"><paramref name="txid"/> is not 32 bytes.</exception>
    public bool TryGet(ReadOnlySpan<byte> txid, out bool valid)
    {
        var key = Key(txid);
        int hash = Hash(key);
        lock (_lock)
        {
            uint v = FindValue(key, hash);
            if (v == 0)
            {
                _misses++;
                valid = false;
                return false;
            }
            _hits++;
            valid = (v & 1) != 0;
            return true;
        }
    }

    /// <summary>
    /// Remembers <paramref name="valid"/> as the signature verdict of the record whose SHA-256 is
    /// <paramref name="txid"/>, evicting the oldest verdict when the cache is full. A txid already
    /// held keeps its place and takes the new verdict. Does nothing when the cache is disabled.
    /// </summary>
    /// <param name="txid">32 bytes: the SHA-256 of the whole transaction record, signature included.</param>
    /// <param name="valid">Its verdict, as <see cref="ISignatureVerifier"/> (libsodium) gives it.</param>
    /// <exception cref="ArgumentException"><paramref name="txid"/> is not 32 bytes.</exception>
    public void Add(ReadOnlySpan<byte> txid, bool valid)
    {
        var key = Key(txid);
        if (_capacity == 0) return;
        int hash = Hash(key);
        lock (_lock)
            AddLocked(key, hash, valid);
    }

    /// <summary>
    /// Adds verdict i for txid i (<paramref name="txids"/>[32 i .. 32 i + 32]) for every i in
    /// <paramref name="indices"/>, taking the lock once per few thousand.
    /// </summary>
    internal void AddRange(ReadOnlySpan<byte> txids, ReadOnlySpan<int> indices, ReadOnlySpan<bool> verdicts)
    {
        if (_capacity == 0) return;
        for (int start = 0; start < indices.Length; start += LookupChunk)
        {
            int end = Math.Min(indices.Length, start + LookupChunk);
            lock (_lock)
            {
                for (int k = start; k < end; k++)
                {
                    int i = indices[k];
                    var key = new Hash32(txids.Slice(32 * i, 32));
                    AddLocked(key, Hash(key), verdicts[i]);
                }
            }
        }
    }

    /// <summary>
    /// The block side: for each transaction whose status is <see cref="TxStatus.Ok"/> (it passed the
    /// stateless precheck), its cached verdict goes to <paramref name="verdicts"/> (a hit) or its index
    /// to the returned misses (to be verified); every other verdict is set to false, and is not to be
    /// read, as with <see cref="SignatureJobs.ForBlock"/>. Hits and misses are added to the counters.
    /// </summary>
    /// <param name="txids">n × 32 bytes: the SHA-256 of each record, in block order, as the pipeline computes them.</param>
    /// <param name="statuses">n statuses after the precheck; only <see cref="TxStatus.Ok"/> ones are looked up.</param>
    /// <param name="verdicts">n verdicts, written for every transaction.</param>
    /// <returns>The counts, and the indices (ascending) of the Ok transactions the cache did not know.</returns>
    /// <exception cref="ArgumentException">The lengths do not agree.</exception>
    internal SignatureCacheLookup Lookup(ReadOnlySpan<byte> txids, ReadOnlySpan<TxStatus> statuses, Span<bool> verdicts)
    {
        var result = Probe(txids, statuses, verdicts);
        if (result.Hits + result.Misses.Length > 0)
        {
            lock (_lock)
            {
                _hits += result.Hits;
                _misses += result.Misses.Length;
            }
        }
        return result;
    }

    /// <summary><see cref="Lookup"/> without counting: what pre-verification uses to skip records it already knows.</summary>
    internal SignatureCacheLookup Probe(ReadOnlySpan<byte> txids, ReadOnlySpan<TxStatus> statuses, Span<bool> verdicts)
    {
        int n = statuses.Length;
        if (txids.Length != 32L * n)
            throw new ArgumentException($"{txids.Length} bytes of txids for {n} transactions (32 each)", nameof(txids));
        if (verdicts.Length != n)
            throw new ArgumentException($"{verdicts.Length} verdicts for {n} transactions", nameof(verdicts));
        int[] buffer = ArrayPool<int>.Shared.Rent(Math.Max(1, n));
        Span<Hash32> keys = stackalloc Hash32[ProbeGroup];
        Span<int> hashes = stackalloc int[ProbeGroup];
        Span<int> which = stackalloc int[ProbeGroup];
        Span<ulong> touched = stackalloc ulong[ProbeGroup];
        try
        {
            int misses = 0, hits = 0;
            for (int start = 0; start < n; start += LookupChunk)
            {
                int end = Math.Min(n, start + LookupChunk);
                if (_capacity == 0)
                {
                    for (int i = start; i < end; i++)
                    {
                        verdicts[i] = false;
                        if (statuses[i] == TxStatus.Ok) buffer[misses++] = i;
                    }
                    continue;
                }
                lock (_lock)
                {
                    for (int g = start; g < end; g += ProbeGroup)
                    {
                        int m = 0;
                        for (int i = g, gEnd = Math.Min(end, g + ProbeGroup); i < gEnd; i++)
                        {
                            verdicts[i] = false;
                            if (statuses[i] != TxStatus.Ok) continue;
                            keys[m] = new Hash32(txids.Slice(32 * i, 32));
                            hashes[m] = Hash(keys[m]);
                            which[m++] = i;
                        }
                        TouchGroup(keys[..m], hashes[..m], touched);
                        for (int k = 0; k < m; k++)
                        {
                            uint v = FindValue(keys[k], hashes[k]);
                            if (v == 0) buffer[misses++] = which[k];
                            else
                            {
                                verdicts[which[k]] = (v & 1) != 0;
                                hits++;
                            }
                        }
                    }
                }
            }
            return new SignatureCacheLookup(hits, buffer.AsSpan(0, misses).ToArray());
        }
        finally
        {
            ArrayPool<int>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Loads the home slot of every key of a group, then the ring entry each names when its tag
    /// matches: the loads of one pass do not depend on each other, so the memory system serves them
    /// side by side, and the probes that follow find the lines in cache. Under the lock.
    /// </summary>
    private void TouchGroup(ReadOnlySpan<Hash32> keys, ReadOnlySpan<int> hashes, Span<ulong> touched)
    {
        var table = _table;
        if (table.Length == 0) return;
        int mask = _mask;
        for (int k = 0; k < keys.Length; k++)
            touched[k] = table[hashes[k] & mask];
        var ring = _ring;
        for (int k = 0; k < keys.Length; k++)
        {
            ulong e = touched[k];
            if (e != 0 && (uint)(e >> 32) == (uint)hashes[k])
            {
                // A 32-byte entry may straddle two cache lines: touch both ends.
                ref ulong first = ref Unsafe.As<Hash32, ulong>(ref ring[Slot(e)]);
                touched[k] = first ^ Unsafe.Add(ref first, 3);
            }
        }
    }

    // Random odd multipliers, drawn once per process: without them nobody can grind txids into one probe run.
    private static readonly ulong M0 = Multiplier(), M1 = Multiplier(), M2 = Multiplier(), M3 = Multiplier();

    private static ulong Multiplier()
    {
        Span<byte> b = stackalloc byte[8];
        System.Security.Cryptography.RandomNumberGenerator.Fill(b);
        return BitConverter.ToUInt64(b) | 1;
    }

    /// <summary>
    /// Multiply-shift hashing of all 32 bytes of the key: four independent multiplies, a few cycles,
    /// where <see cref="Hash32.GetHashCode"/> (xxHash32 rounds) costs several times more per lookup.
    /// The bits are read in the struct's own order; only their determinism matters here.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Hash(in Hash32 key)
    {
        ref ulong w = ref Unsafe.As<Hash32, ulong>(ref Unsafe.AsRef(in key));
        ulong h = w * M0 + Unsafe.Add(ref w, 1) * M1 + Unsafe.Add(ref w, 2) * M2 + Unsafe.Add(ref w, 3) * M3;
        return (int)(h >> 32);
    }

    private static Hash32 Key(ReadOnlySpan<byte> txid)
    {
        if (txid.Length != 32) throw new ArgumentException($"a txid is 32 bytes, not {txid.Length}", nameof(txid));
        return new Hash32(txid);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Slot(ulong entry) => (int)((uint)entry >> 1) - 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Entry(int hash, int slot, bool valid) => ((ulong)(uint)hash << 32) | ((uint)(slot + 1) << 1) | (valid ? 1u : 0u);

    /// <summary>The low half of the key's table entry: (slot + 1) &lt;&lt; 1 | verdict, or 0 when absent. Under the lock.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint FindValue(in Hash32 key, int hash)
    {
        var table = _table;
        if (table.Length == 0) return 0;
        int mask = _mask;
        var ring = _ring;
        for (int i = hash & mask; ; i = (i + 1) & mask)
        {
            ulong e = table[i];
            if (e == 0) return 0;
            // The tag spares the ring (another cache line) for all but true matches.
            if ((uint)(e >> 32) == (uint)hash && ring[Slot(e)].Equals(key)) return (uint)e;
        }
    }

    /// <summary>Where the key sits in the table, or -1. Under the lock.</summary>
    private int FindIndex(in Hash32 key, int hash)
    {
        if (_table.Length == 0) return -1;
        for (int i = hash & _mask; ; i = (i + 1) & _mask)
        {
            ulong e = _table[i];
            if (e == 0) return -1;
            if ((uint)(e >> 32) == (uint)hash && _ring[Slot(e)].Equals(key)) return i;
        }
    }

    /// <summary>Where the entry naming ring slot <paramref name="slot"/> sits; it must be there. Under the lock.</summary>
    private int FindSlot(int hash, int slot)
    {
        for (int i = hash & _mask; ; i = (i + 1) & _mask)
            if (Slot(_table[i]) == slot) return i;
    }

    private void AddLocked(in Hash32 key, int hash, bool valid)
    {
        int at = FindIndex(key, hash);
        if (at >= 0)
        {
            _table[at] = (_table[at] & ~1UL) | (valid ? 1UL : 0UL);
            return;
        }
        int slot;
        if (_count == _capacity)
        {
            // Full, so the ring has reached the capacity: the oldest slot is reused for the newest.
            slot = _head;
            RemoveAt(FindSlot(Hash(_ring[slot]), slot));
            _head = _head + 1 == _ring.Length ? 0 : _head + 1;
            _evictions++;
        }
        else
        {
            if (_count == _ring.Length) Grow();
            slot = _count; // not full, so nothing was evicted yet: _head is 0
            Volatile.Write(ref _count, _count + 1);
        }
        _ring[slot] = key;
        Insert(Entry(hash, slot, valid));
    }

    private void Insert(ulong entry)
    {
        int i = (int)(entry >> 32) & _mask;
        while (_table[i] != 0) i = (i + 1) & _mask;
        _table[i] = entry;
    }

    /// <summary>Empties table index <paramref name="at"/>, shifting back later entries of its probe run (no tombstones).</summary>
    private void RemoveAt(int at)
    {
        int mask = _mask, hole = at;
        for (int j = (at + 1) & mask; ; j = (j + 1) & mask)
        {
            ulong e = _table[j];
            if (e == 0) break;
            int home = (int)(e >> 32) & mask;
            // The entry at j may fill the hole unless its home lies cyclically in (hole, j].
            bool stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
            if (!stays)
            {
                _table[hole] = e;
                hole = j;
            }
        }
        _table[hole] = 0;
    }

    /// <summary>Doubles the ring (up to the capacity) and keeps the table at least twice its length.</summary>
    private void Grow()
    {
        int length = (int)Math.Min(_capacity, Math.Max(MinRing, 2L * _ring.Length));
        Array.Resize(ref _ring, length);
        int tableLength = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)(2 * length));
        if (tableLength == _table.Length) return;
        // Growing happens before anything is evicted, so ring slots (and the entries naming them) stay.
        var old = _table;
        _table = new ulong[tableLength];
        _mask = tableLength - 1;
        foreach (ulong e in old)
            if (e != 0) Insert(e);
    }
}
