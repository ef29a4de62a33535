using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;

namespace GpuExec.Commitments;

/// <summary>Where message i of a batch lies in its buffer: <see cref="Offset"/> and <see cref="Length"/> in bytes.</summary>
internal interface IMessageSet
{
    /// <summary>How many messages.</summary>
    int Count { get; }

    /// <summary>First byte of message <paramref name="i"/>.</summary>
    int Offset(int i);

    /// <summary>Length of message <paramref name="i"/> in bytes.</summary>
    int Length(int i);
}

/// <summary>
/// SHA-256 of many short messages at once, one message per 32-bit vector lane (16 with AVX-512,
/// 8 with AVX2). A one-message call into the platform's SHA-256 spends most of its time entering
/// and leaving the library (about 0.85 µs for a 65-byte Merkle node on the dev VM), not in the
/// compression; here the rounds of 16 messages cost about what one call's overhead does.
/// Message i is an optional one-byte prefix (the RFC 6962 leaf or node tag) followed by its bytes.
/// Messages of different lengths share the rounds; a lane whose message has ended keeps its state.
/// Results equal <see cref="SHA256.HashData(ReadOnlySpan{byte}, Span{byte})"/> on the prefixed
/// message, bit for bit; without AVX2 that is what runs.
/// </summary>
internal static unsafe class Sha256Lanes
{
    /// <summary>Messages per compression on this machine: 16, 8, or 1 (no vector path).</summary>
    public static int Width { get; } = Avx512F.IsSupported && Vector512.IsHardwareAccelerated ? 16 : Avx2.IsSupported ? 8 : 1;

    /// <summary>No prefix byte.</summary>
    public const int NoPrefix = -1;

    private const int ParallelMessages = 4096;
    private const int ChunkMessages = 1024;

    private static readonly uint[] K =
    [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ];

    private static readonly uint[] H0 = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

    /// <summary>
    /// digest i (32 bytes at <paramref name="digests"/> + 32 i) = SHA-256(<paramref name="prefix"/> || message i),
    /// on all cores when the batch is large. <paramref name="lanes"/> forces a width (16, 8 or 1) below
    /// what the machine has, so tests reach every path; 0 takes <see cref="Width"/>.
    /// </summary>
    public static void Hash<T>(ReadOnlySpan<byte> data, T messages, int prefix, Span<byte> digests, int lanes = 0, bool parallel = true)
        where T : struct, IMessageSet
    {
        int n = messages.Count;
        if (digests.Length < 32L * n)
            throw new ArgumentException($"digests hold {digests.Length / 32} of {n} hashes", nameof(digests));
        if (prefix is < NoPrefix or > 255)
            throw new ArgumentOutOfRangeException(nameof(prefix), prefix, "a prefix is one byte, or NoPrefix");
        for (int i = 0; i < n; i++)
        {
            int o = messages.Offset(i), l = messages.Length(i);
            if (o < 0 || l < 0 || (long)o + l > data.Length)
                throw new ArgumentException($"message {i} ({o}, {l} bytes) lies outside the {data.Length}-byte buffer", nameof(messages));
        }
        lanes = lanes == 0 ? Width : lanes;
        if (lanes is not (1 or 8 or 16) || lanes > Width)
            throw new ArgumentOutOfRangeException(nameof(lanes), lanes, $"this machine hashes 1 to {Width} messages at once, in widths 1, 8, 16");

        fixed (byte* d = data)
        fixed (byte* o = digests)
        {
            if (!parallel || n < ParallelMessages)
            {
                Range(d, messages, prefix, o, 0, n, lanes);
                return;
            }
            nint dp = (nint)d, op = (nint)o;
            Parallel.For(0, (n + ChunkMessages - 1) / ChunkMessages, c =>
                Range((byte*)dp, messages, prefix, (byte*)op, c * ChunkMessages, Math.Min(n, (c + 1) * ChunkMessages), lanes));
        }
    }

    /// <summary>
    /// Longest message that goes into a lane: 8 blocks with its padding. Longer ones are hashed by the
    /// platform, whose call overhead is small beside their compression, so that a group's schedule
    /// always fits on the stack and a long message never holds 15 short ones for its blocks.
    /// </summary>
    internal const int MaxLaneBlocks = 8;

    private static void Range<T>(byte* data, T messages, int prefix, byte* digests, int from, int to, int lanes)
        where T : struct, IMessageSet
    {
        if (lanes == 1)
        {
            for (int i = from; i < to; i++)
                One(data + messages.Offset(i), messages.Length(i), prefix, digests + 32 * i);
            return;
        }
        int pre = prefix < 0 ? 0 : 1;
        int* blocks = stackalloc int[16];
        byte** dst = stackalloc byte*[16];
        int* lens = stackalloc int[16];
        int* offs = stackalloc int[16];
        byte* tail = stackalloc byte[128];
        // The message words of a group, transposed: word t of block b of lane j at (16 b + t) lanes + j.
        uint* w = stackalloc uint[16 * MaxLaneBlocks * 16];
        int next = from;
        while (next < to)
        {
            int count = 0, max = 0;
            for (; next < to && count < lanes; next++)
            {
                int len = messages.Length(next);
                int b = (pre + len + 8) / 64 + 1;
                if (b > MaxLaneBlocks)
                {
                    One(data + messages.Offset(next), len, prefix, digests + 32 * next);
                    continue;
                }
                offs[count] = messages.Offset(next);
                dst[count] = digests + 32 * next;
                lens[count] = len;
                blocks[count] = b;
                max = Math.Max(max, b);
                count++;
            }
            if (count == 0) break;
            for (int j = count; j < lanes; j++)
            {
                blocks[j] = 0;
                offs[j] = offs[0];
            }
            bool uniform = lens[0] >= 4;
            for (int j = 1; j < count && uniform; j++) uniform = lens[j] == lens[0];
            if (uniform)
                Gather(data, offs, lens[0], prefix, blocks[0], w, lanes);
            else
                for (int j = 0; j < count; j++)
                    Transpose(data + offs[j], lens[j], prefix, blocks[j], tail, w + j, lanes);
            if (lanes == 16) Compress<V16>(w, blocks, max, dst, count);
            else Compress<V8>(w, blocks, max, dst, count);
        }
    }

    /// <summary>
    /// Writes the padded message (prefix, bytes, 0x80, zeros, bit length) as big-endian words into
    /// every <paramref name="lanes"/>-th word from <paramref name="w"/>. Whole blocks inside the message
    /// are read in place; the last one or two blocks are assembled in <paramref name="tail"/>.
    /// </summary>
    private static void Transpose(byte* msg, int len, int prefix, int blocks, byte* tail, uint* w, int lanes)
    {
        int pre = prefix < 0 ? 0 : 1;
        int total = pre + len;
        // Blocks 0 .. full-1 are message bytes only (apart from a prefix byte in block 0).
        int full = total / 64;
        int b = 0;
        if (pre == 1 && full > 0)
        {
            tail[0] = (byte)prefix;
            Buffer.MemoryCopy(msg, tail + 1, 63, 63);
            Words(tail, w, lanes);
            b = 1;
        }
        for (; b < full; b++)
            Words(msg + 64 * b - pre, w + 16 * b * lanes, lanes);
        int tailBlocks = blocks - full;
        int start = 64 * full;
        int rest = total - start;
        new Span<byte>(tail, 64 * tailBlocks).Clear();
        if (start == 0 && pre == 1)
        {
            tail[0] = (byte)prefix;
            Buffer.MemoryCopy(msg, tail + 1, rest - 1, rest - 1);
        }
        else
        {
            Buffer.MemoryCopy(msg + start - pre, tail, rest, rest);
        }
        tail[rest] = 0x80;
        BinaryPrimitives.WriteUInt64BigEndian(new Span<byte>(tail + 64 * tailBlocks - 8, 8), 8UL * (ulong)total);
        for (int t = 0; t < tailBlocks; t++)
            Words(tail + 64 * t, w + 16 * (full + t) * lanes, lanes);
    }

    /// <summary>
    /// <see cref="Transpose"/> for a group whose messages all have one length (at least 4 bytes), at
    /// <paramref name="offsets"/> in <paramref name="data"/>: each word of every lane in one gather of
    /// 8 lanes and a byte swap; words holding the prefix or the message's end are shifted into place,
    /// and the padding's words are the same for every lane. Measured on a tree update, the per-lane
    /// copies and scattered stores of <see cref="Transpose"/> cost about what the compression does.
    /// </summary>
    private static void Gather(byte* data, int* offsets, int len, int prefix, int blocks, uint* w, int lanes)
    {
        int pre = prefix < 0 ? 0 : 1;
        int end = 64 * blocks;
        ulong bits = 8UL * (ulong)(pre + len);
        var swap = Vector256.Create((byte)3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
        var low = Vector256.Load(offsets);
        var high = Vector256.Load(offsets + 8);
        for (int q = 0; q < end; q += 4)
        {
            uint* dst = w + q / 4 * lanes;
            int a = q - pre;
            if (a >= 0 && a + 4 <= len) Words(data, low, high, a, 0, 0, dst, lanes, swap);
            else if (a == -1) Words(data, low, high, 0, -8, (uint)prefix << 24, dst, lanes, swap);
            else if (a >= 0 && a < len) Words(data, low, high, len - 4, 8 * (4 - (len - a)), 0x80u << (8 * (3 - (len - a))), dst, lanes, swap);
            else
            {
                uint c = 0;
                for (int k = 0; k < 4; k++)
                {
                    int pos = q + k;
                    uint v = pos - pre == len ? 0x80u : pos >= end - 8 ? (uint)(byte)(bits >> (8 * (end - 1 - pos))) : 0u;
                    c = (c << 8) | v;
                }
                Vector256.Create(c).Store(dst);
                if (lanes == 16) Vector256.Create(c).Store(dst + 8);
            }
        }
    }

    /// <summary>Word at byte <paramref name="at"/> of every lane's message, big-endian, shifted left by <paramref name="shift"/> bits (right when negative), OR <paramref name="or"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Words(byte* data, Vector256<int> low, Vector256<int> high, int at, int shift, uint or, uint* dst, int lanes, Vector256<byte> swap)
    {
        var add = Vector256.Create(at);
        for (int h = 0; h < lanes / 8; h++)
        {
            var x = Avx2.Shuffle(Avx2.GatherVector256((int*)data, (h == 0 ? low : high) + add, 1).AsByte(), swap).AsUInt32();
            if (shift > 0) x <<= shift;
            else if (shift < 0) x >>>= -shift;
            (x | Vector256.Create(or)).Store(dst + 8 * h);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Words(byte* block, uint* w, int lanes)
    {
        uint* s = (uint*)block;
        for (int t = 0; t < 16; t++)
            w[t * lanes] = BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>(s + t));
    }

    private static void Compress<TV>(uint* w, int* blocks, int max, byte** digests, int count)
        where TV : unmanaged, ISha256Vector<TV>
    {
        int lanes = TV.Lanes;
        TV a = TV.Splat(H0[0]), b = TV.Splat(H0[1]), c = TV.Splat(H0[2]), d = TV.Splat(H0[3]);
        TV e = TV.Splat(H0[4]), f = TV.Splat(H0[5]), g = TV.Splat(H0[6]), h = TV.Splat(H0[7]);
        TV remaining = TV.Load((uint*)blocks);
        TV* m = stackalloc TV[16];
        ref uint k = ref K[0];
        for (int blk = 0; blk < max; blk++)
        {
            uint* words = w + 16 * blk * lanes;
            TV a0 = a, b0 = b, c0 = c, d0 = d, e0 = e, f0 = f, g0 = g, h0 = h;
            for (int t = 0; t < 64; t++)
            {
                TV wt;
                if (t < 16)
                {
                    wt = m[t] = TV.Load(words + t * lanes);
                }
                else
                {
                    wt = m[t & 15] = TV.Add(TV.Add(m[t & 15], TV.SmallSigma0(m[(t - 15) & 15])),
                        TV.Add(m[(t - 7) & 15], TV.SmallSigma1(m[(t - 2) & 15])));
                }
                TV t1 = TV.Add(TV.Add(h, TV.BigSigma1(e)), TV.Add(TV.Choose(e, f, g), TV.Add(TV.Splat(Unsafe.Add(ref k, t)), wt)));
                TV t2 = TV.Add(TV.BigSigma0(a), TV.Majority(a, b, c));
                h = g; g = f; f = e; e = TV.Add(d, t1);
                d = c; c = b; b = a; a = TV.Add(t1, t2);
            }
            // Lanes whose message has ended keep their state.
            TV live = TV.GreaterThan(remaining, TV.Splat((uint)blk));
            a = TV.Select(live, TV.Add(a, a0), a0); b = TV.Select(live, TV.Add(b, b0), b0);
            c = TV.Select(live, TV.Add(c, c0), c0); d = TV.Select(live, TV.Add(d, d0), d0);
            e = TV.Select(live, TV.Add(e, e0), e0); f = TV.Select(live, TV.Add(f, f0), f0);
            g = TV.Select(live, TV.Add(g, g0), g0); h = TV.Select(live, TV.Add(h, h0), h0);
        }
        uint* st = stackalloc uint[8 * 16];
        TV.Store(st, a); TV.Store(st + lanes, b); TV.Store(st + 2 * lanes, c); TV.Store(st + 3 * lanes, d);
        TV.Store(st + 4 * lanes, e); TV.Store(st + 5 * lanes, f); TV.Store(st + 6 * lanes, g); TV.Store(st + 7 * lanes, h);
        for (int j = 0; j < count; j++)
        {
            uint* dst = (uint*)digests[j];
            for (int i = 0; i < 8; i++)
                dst[i] = BinaryPrimitives.ReverseEndianness(st[i * lanes + j]);
        }
    }

    private static void One(byte* msg, int len, int prefix, byte* digest) =>
        HashOne(new ReadOnlySpan<byte>(msg, len), prefix, new Span<byte>(digest, 32));

    /// <summary>
    /// SHA-256(<paramref name="prefix"/> || <paramref name="message"/>) of one message by the platform,
    /// the prefixed message assembled on the stack (rented when long); what the one-lane path and long
    /// messages use.
    /// </summary>
    public static void HashOne(ReadOnlySpan<byte> message, int prefix, Span<byte> digest)
    {
        if (prefix < 0)
        {
            SHA256.HashData(message, digest);
            return;
        }
        int total = message.Length + 1;
        byte[]? rented = null;
        Span<byte> buf = total <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(total));
        buf[0] = (byte)prefix;
        message.CopyTo(buf[1..]);
        SHA256.HashData(buf[..total], digest);
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
    }
}

/// <summary>The operations the SHA-256 rounds need, on one vector of 32-bit lanes.</summary>
internal unsafe interface ISha256Vector<TSelf> where TSelf : struct, ISha256Vector<TSelf>
{
    static abstract int Lanes { get; }
    static abstract TSelf Load(uint* p);
    static abstract void Store(uint* p, TSelf v);
    static abstract TSelf Splat(uint x);
    static abstract TSelf Add(TSelf x, TSelf y);
    static abstract TSelf BigSigma0(TSelf x);
    static abstract TSelf BigSigma1(TSelf x);
    static abstract TSelf SmallSigma0(TSelf x);
    static abstract TSelf SmallSigma1(TSelf x);
    static abstract TSelf Choose(TSelf e, TSelf f, TSelf g);
    static abstract TSelf Majority(TSelf a, TSelf b, TSelf c);
    static abstract TSelf GreaterThan(TSelf x, TSelf y);
    static abstract TSelf Select(TSelf mask, TSelf yes, TSelf no);
}

/// <summary>16 lanes (AVX-512: one-instruction rotates).</summary>
internal unsafe struct V16 : ISha256Vector<V16>
{
    private Vector512<uint> _v;

    private V16(Vector512<uint> v) => _v = v;

    public static int Lanes => 16;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V16 Load(uint* p) => new(Vector512.Load(p));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(uint* p, V16 v) => v._v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V16 Splat(uint x) => new(Vector512.Create(x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V16 Add(V16 x, V16 y) => new(x._v + y._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V16 BigSigma0(V16 x) => new(Avx512F.RotateRight(x._v, 2) ^ Avx512F.RotateRight(x._v, 13) ^ Avx512F.RotateRight(x._v, 22));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V16 BigSigma1(V16 x) => new(Avx512F.RotateRight(x._v, 6) ^ Avx512F.RotateRight(x._v, 11) ^ Avx512F.RotateRight(x._v, 25));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V16 SmallSigma0(V16 x) => new(Avx512F.RotateRight(x._v, 7) ^ Avx512F.RotateRight(x._v, 18) ^ (x._v >>> 3));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V16 SmallSigma1(V16 x) => new(Avx512F.RotateRight(x._v, 17) ^ Avx512F.RotateRight(x._v, 19) ^ (x._v >>> 10));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V16 Choose(V16 e, V16 f, V16 g) => new(Vector512.ConditionalSelect(e._v, f._v, g._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V16 Majority(V16 a, V16 b, V16 c) => new(Vector512.ConditionalSelect(a._v ^ b._v, c._v, a._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V16 GreaterThan(V16 x, V16 y) => new(Vector512.GreaterThan(x._v, y._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V16 Select(V16 mask, V16 yes, V16 no) => new(Vector512.ConditionalSelect(mask._v, yes._v, no._v));
}

/// <summary>8 lanes (AVX2: rotates as two shifts).</summary>
internal unsafe struct V8 : ISha256Vector<V8>
{
    private Vector256<uint> _v;

    private V8(Vector256<uint> v) => _v = v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Rotr(Vector256<uint> x, [System.Diagnostics.CodeAnalysis.ConstantExpected] int n) => (x >>> n) | (x << (32 - n));

    public static int Lanes => 8;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V8 Load(uint* p) => new(Vector256.Load(p));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(uint* p, V8 v) => v._v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V8 Splat(uint x) => new(Vector256.Create(x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V8 Add(V8 x, V8 y) => new(x._v + y._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V8 BigSigma0(V8 x) => new(Rotr(x._v, 2) ^ Rotr(x._v, 13) ^ Rotr(x._v, 22));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V8 BigSigma1(V8 x) => new(Rotr(x._v, 6) ^ Rotr(x._v, 11) ^ Rotr(x._v, 25));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V8 SmallSigma0(V8 x) => new(Rotr(x._v, 7) ^ Rotr(x._v, 18) ^ (x._v >>> 3));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V8 SmallSigma1(V8 x) => new(Rotr(x._v, 17) ^ Rotr(x._v, 19) ^ (x._v >>> 10));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V8 Choose(V8 e, V8 f, V8 g) => new(Vector256.ConditionalSelect(e._v, f._v, g._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V8 Majority(V8 a, V8 b, V8 c) => new(Vector256.ConditionalSelect(a._v ^ b._v, c._v, a._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V8 GreaterThan(V8 x, V8 y) => new(Vector256.GreaterThan(x._v, y._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V8 Select(V8 mask, V8 yes, V8 no) => new(Vector256.ConditionalSelect(mask._v, yes._v, no._v));
}

/// <summary>Messages given by parallel arrays of offsets and lengths (block records: int offsets, ushort lengths).</summary>
internal readonly unsafe struct RecordMessages(int* offsets, ushort* lengths, int count) : IMessageSet
{
    public int Count => count;
    public int Offset(int i) => offsets[i];
    public int Length(int i) => lengths[i];
}

/// <summary>Messages given by offset and length arrays of ints.</summary>
internal readonly unsafe struct SpanMessages(int* offsets, int* lengths, int count) : IMessageSet
{
    public int Count => count;
    public int Offset(int i) => offsets[i];
    public int Length(int i) => lengths[i];
}

/// <summary>Messages of one size laid end to end: message i is bytes <c>size i .. size (i + 1) - 1</c>.</summary>
internal readonly struct FixedMessages(int count, int size) : IMessageSet
{
    public int Count => count;
    public int Offset(int i) => size * i;
    public int Length(int i) => size;
}

/// <summary>Messages of one length at a fixed stride: message i is bytes <c>stride i .. stride i + length - 1</c>.</summary>
internal readonly struct StridedMessages(int count, int stride, int length) : IMessageSet
{
    public int Count => count;
    public int Offset(int i) => stride * i;
    public int Length(int i) => length;
}

/// <summary>The adjacent 64-byte pairs of one Merkle level: message i is bytes 64 i .. 64 i + 63 (children 2i, 2i + 1).</summary>
internal readonly struct PairMessages(int count) : IMessageSet
{
    public int Count => count;
    public int Offset(int i) => 64 * i;
    public int Length(int i) => 64;
}

/// <summary>Chosen pairs of one Merkle level: message i is the pair of node <c>parents[i]</c>.</summary>
internal readonly unsafe struct ChosenPairMessages(int* parents, int count) : IMessageSet
{
    public int Count => count;
    public int Offset(int i) => 64 * parents[i];
    public int Length(int i) => 64;
}
