using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GpuExec.Engine.Verify.Simd;

/// <summary>
/// Precomputed tables of public keys that signed before, for the SIMD verifier: a key that signs
/// again is not decompressed again, and its signature's [h](-A) shares 60 doublings with [S]B
/// instead of 252 (<see cref="Lanes512.ComputeKeyed"/>). The verdict is the same either way; only
/// the cost moves: a keyed signature costs about 0.6 of a plain one, and a table about 0.7 of a
/// plain verification to build. A key gets its table the second time it is met: the first time
/// it is only noted (in a lossy table of fingerprints), so that a block of one-off signers costs
/// what it costs without tables, while senders that sign again and again on a chain pay for one
/// build each.
/// A key's table is 4 chunks x 8 multiples (k 2^(64 c) (-A), k = 1..8) x (y + x, y - x, 2dxy) x
/// ten 32-bit limbs: 3,840 bytes. Keys that do not decompress are remembered as such.
/// Thread-safe. The first thread to meet a key again claims a slot and builds its table; others
/// that meet the key before it is published verify it the plain way. When every slot is claimed
/// the cache takes no more keys; <see cref="SimdSignatureVerifier"/> starts a new one at its next call.
/// </summary>
internal sealed unsafe class KeyTableCache
{
    /// <summary>32-bit limbs per table entry: (y + x, y - x, 2dxy), ten each.</summary>
    public const int EntryInts = 30;

    /// <summary>Multiples per chunk: 1..8, for signed radix-16 digits.</summary>
    public const int Multiples = 8;

    /// <summary>64-bit chunks of a scalar.</summary>
    public const int Chunks = 4;

    /// <summary>Ints in one key's table.</summary>
    public const int TableInts = Chunks * Multiples * EntryInts;

    /// <summary>Bytes of one key's table.</summary>
    public const int TableBytes = TableInts * sizeof(int);

    private const int SegmentShift = 10;  // 1,024 tables (3.75 MiB) per segment, allocated when first claimed
    private const int Building = 0, Ready = 1, NotAPoint = 2;

    private readonly ConcurrentDictionary<Key, int> _slots = new();
    private readonly int[]?[] _segments;
    private readonly int[] _state;
    private readonly Lock _grow = new();
    // Fingerprints of keys met once, one per bucket, overwritten on collision: a key whose
    // fingerprint was lost is noted again, a false match builds a table one sighting early.
    private readonly ulong[] _seen;
    private readonly ulong _seed = (ulong)Random.Shared.NextInt64() | 1;
    private int _claimed;

    /// <param name="capacity">Keys it holds at most (at least 1).</param>
    public KeyTableCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _state = new int[capacity];
        _segments = new int[]?[(capacity + (1 << SegmentShift) - 1) >> SegmentShift];
        _seen = new ulong[Math.Max(1024, (int)BitOperations.RoundUpToPowerOf2((uint)Math.Min(capacity, 1 << 20)) * 2)];
    }

    /// <summary>Keys it holds at most.</summary>
    public int Capacity { get; }

    /// <summary>Slots claimed so far (keys built or being built).</summary>
    public int Count => Math.Min(Volatile.Read(ref _claimed), Capacity);

    /// <summary>True once every slot is claimed: no further key is taken.</summary>
    public bool IsFull => Volatile.Read(ref _claimed) >= Capacity;

    /// <summary>What <see cref="Find"/> found.</summary>
    public enum Found
    {
        /// <summary>The key's table is ready (<see cref="Table"/>).</summary>
        Ready,
        /// <summary>The key does not decompress: the signature is invalid.</summary>
        NotAPoint,
        /// <summary>The key is met for the first time (as far as the cache knows): noted, nothing claimed; verify it the plain way.</summary>
        FirstSight,
        /// <summary>The key was met before: the caller now owns the slot, builds its table and calls <see cref="Publish"/>.</summary>
        Claimed,
        /// <summary>Another caller (or this one, earlier) claimed the key and has not published it yet.</summary>
        Building,
        /// <summary>The key is not held and the cache is full.</summary>
        Full,
    }

    /// <summary>Looks up <paramref name="publicKey"/> (32 bytes): its table, or a note of its first sighting, or a slot claimed for it at its second if there is room.</summary>
    public Found Find(ReadOnlySpan<byte> publicKey, out int slot)
    {
        var key = new Key(publicKey);
        if (_slots.TryGetValue(key, out slot))
            return StateOf(slot);
        slot = -1;
        if (Volatile.Read(ref _claimed) >= Capacity)
            return Found.Full;
        ulong print = key.Fingerprint(_seed);
        ref ulong bucket = ref _seen[(int)(print >> 40) & (_seen.Length - 1)];
        if (Volatile.Read(ref bucket) != print)
        {
            Volatile.Write(ref bucket, print);
            return Found.FirstSight;
        }
        int claimed = Interlocked.Increment(ref _claimed) - 1;
        if (claimed >= Capacity)
            return Found.Full;
        EnsureSegment(claimed);
        // A caller that lost the race for the same key leaves its slot unused.
        int winner = _slots.GetOrAdd(key, claimed);
        slot = winner;
        return winner == claimed ? Found.Claimed : StateOf(winner);
    }

    /// <summary>Where the table of a claimed <paramref name="slot"/> lives (<see cref="TableInts"/> ints, pinned).</summary>
    public int* Table(int slot)
    {
        var segment = _segments[slot >> SegmentShift]!;
        return (int*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(segment)) + (slot & ((1 << SegmentShift) - 1)) * TableInts;
    }

    /// <summary>Marks the table of a slot this caller claimed as built (<paramref name="isPoint"/>) or its key as not a point.</summary>
    public void Publish(int slot, bool isPoint) => Volatile.Write(ref _state[slot], isPoint ? Ready : NotAPoint);

    /// <summary>Whether the table of <paramref name="slot"/> is built and its key a point.</summary>
    public bool IsReady(int slot) => Volatile.Read(ref _state[slot]) == Ready;

    private Found StateOf(int slot) => Volatile.Read(ref _state[slot]) switch
    {
        Ready => Found.Ready,
        NotAPoint => Found.NotAPoint,
        _ => Found.Building,
    };

    private void EnsureSegment(int slot)
    {
        int s = slot >> SegmentShift;
        if (Volatile.Read(ref _segments[s]) is not null)
            return;
        lock (_grow)
        {
            if (_segments[s] is not null)
                return;
            int tables = Math.Min(1 << SegmentShift, Capacity - (s << SegmentShift));
            Volatile.Write(ref _segments[s], GC.AllocateUninitializedArray<int>(tables * TableInts, pinned: true));
        }
    }

    /// <summary>A public key's 32 bytes as a dictionary key, hashed with the process's random seed (keys are chosen by senders).</summary>
    private readonly struct Key : IEquatable<Key>
    {
        private readonly ulong _a, _b, _c, _d;

        public Key(ReadOnlySpan<byte> k)
        {
            _a = BinaryPrimitives.ReadUInt64LittleEndian(k);
            _b = BinaryPrimitives.ReadUInt64LittleEndian(k[8..]);
            _c = BinaryPrimitives.ReadUInt64LittleEndian(k[16..]);
            _d = BinaryPrimitives.ReadUInt64LittleEndian(k[24..]);
        }

        public bool Equals(Key o) => _a == o._a && _b == o._b && _c == o._c && _d == o._d;

        public override bool Equals(object? obj) => obj is Key k && Equals(k);

        public override int GetHashCode() => HashCode.Combine(_a, _b, _c, _d);

        /// <summary>64 bits of the key mixed with <paramref name="seed"/>, never 0 (an empty bucket).</summary>
        public ulong Fingerprint(ulong seed)
        {
            ulong h = (_a ^ seed) * 0x9E3779B97F4A7C15UL;
            h = (h ^ _b ^ (h >> 29)) * 0xBF58476D1CE4E5B9UL;
            h = (h ^ _c ^ (h >> 32)) * 0x94D049BB133111EBUL;
            h ^= _d ^ (h >> 31);
            return h | 1;
        }
    }
}
