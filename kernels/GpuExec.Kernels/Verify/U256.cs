namespace GpuExec.Kernels.Verify;

/// <summary>A 256-bit little-endian value (32 bytes) in eight 32-bit words, W0 least significant.</summary>
internal struct U256
{
    public uint W0, W1, W2, W3, W4, W5, W6, W7;

    public U256(uint w0, uint w1, uint w2, uint w3, uint w4, uint w5, uint w6, uint w7)
    {
        W0 = w0; W1 = w1; W2 = w2; W3 = w3; W4 = w4; W5 = w5; W6 = w6; W7 = w7;
    }

    private static uint Word(ILGPU.ArrayView<byte> src, long at) =>
        src[at] | ((uint)src[at + 1] << 8) | ((uint)src[at + 2] << 16) | ((uint)src[at + 3] << 24);

    /// <summary>Reads 32 bytes at <paramref name="offset"/> (any alignment).</summary>
    public static U256 Load(ILGPU.ArrayView<byte> src, long offset) => new(
        Word(src, offset), Word(src, offset + 4), Word(src, offset + 8), Word(src, offset + 12),
        Word(src, offset + 16), Word(src, offset + 20), Word(src, offset + 24), Word(src, offset + 28));

    /// <summary>Writes the 32 bytes at <paramref name="offset"/>.</summary>
    public readonly void Store(ILGPU.ArrayView<byte> dst, long offset)
    {
        StoreWord(dst, offset, W0); StoreWord(dst, offset + 4, W1);
        StoreWord(dst, offset + 8, W2); StoreWord(dst, offset + 12, W3);
        StoreWord(dst, offset + 16, W4); StoreWord(dst, offset + 20, W5);
        StoreWord(dst, offset + 24, W6); StoreWord(dst, offset + 28, W7);
    }

    private static void StoreWord(ILGPU.ArrayView<byte> dst, long at, uint w)
    {
        dst[at] = (byte)w;
        dst[at + 1] = (byte)(w >> 8);
        dst[at + 2] = (byte)(w >> 16);
        dst[at + 3] = (byte)(w >> 24);
    }

    public readonly bool EqualTo(U256 o) =>
        ((W0 ^ o.W0) | (W1 ^ o.W1) | (W2 ^ o.W2) | (W3 ^ o.W3) |
         (W4 ^ o.W4) | (W5 ^ o.W5) | (W6 ^ o.W6) | (W7 ^ o.W7)) == 0;

    public readonly bool IsZero => (W0 | W1 | W2 | W3 | W4 | W5 | W6 | W7) == 0;

    /// <summary>Word <paramref name="i"/> (0..7).</summary>
    public readonly uint Word(int i)
    {
        if (i < 4)
            return i < 2 ? (i == 0 ? W0 : W1) : (i == 2 ? W2 : W3);
        return i < 6 ? (i == 4 ? W4 : W5) : (i == 6 ? W6 : W7);
    }

    /// <summary>this &lt; o as unsigned 256-bit integers.</summary>
    public readonly bool LessThan(U256 o)
    {
        if (W7 != o.W7) return W7 < o.W7;
        if (W6 != o.W6) return W6 < o.W6;
        if (W5 != o.W5) return W5 < o.W5;
        if (W4 != o.W4) return W4 < o.W4;
        if (W3 != o.W3) return W3 < o.W3;
        if (W2 != o.W2) return W2 < o.W2;
        if (W1 != o.W1) return W1 < o.W1;
        return W0 < o.W0;
    }

    /// <summary>this + o mod 2^256.</summary>
    public readonly U256 Add(U256 o)
    {
        U256 r;
        ulong c = (ulong)W0 + o.W0; r.W0 = (uint)c; c >>= 32;
        c += (ulong)W1 + o.W1; r.W1 = (uint)c; c >>= 32;
        c += (ulong)W2 + o.W2; r.W2 = (uint)c; c >>= 32;
        c += (ulong)W3 + o.W3; r.W3 = (uint)c; c >>= 32;
        c += (ulong)W4 + o.W4; r.W4 = (uint)c; c >>= 32;
        c += (ulong)W5 + o.W5; r.W5 = (uint)c; c >>= 32;
        c += (ulong)W6 + o.W6; r.W6 = (uint)c; c >>= 32;
        c += (ulong)W7 + o.W7; r.W7 = (uint)c;
        return r;
    }

    /// <summary>this - o mod 2^256.</summary>
    public readonly U256 Sub(U256 o)
    {
        U256 r;
        long b = (long)W0 - o.W0; r.W0 = (uint)b; b >>= 32;
        b += (long)W1 - o.W1; r.W1 = (uint)b; b >>= 32;
        b += (long)W2 - o.W2; r.W2 = (uint)b; b >>= 32;
        b += (long)W3 - o.W3; r.W3 = (uint)b; b >>= 32;
        b += (long)W4 - o.W4; r.W4 = (uint)b; b >>= 32;
        b += (long)W5 - o.W5; r.W5 = (uint)b; b >>= 32;
        b += (long)W6 - o.W6; r.W6 = (uint)b; b >>= 32;
        b += (long)W7 - o.W7; r.W7 = (uint)b;
        return r;
    }
}
