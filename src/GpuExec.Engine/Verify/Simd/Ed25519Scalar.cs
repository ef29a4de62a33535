using System.Buffers.Binary;

namespace GpuExec.Engine.Verify.Simd;

/// <summary>
/// The per-signature scalar work of the SIMD verifier: libsodium's encoding checks (canonical S,
/// the small-order blocklist, canonical A), the reduction of the SHA-512 digest mod L, the signed
/// recoding of the two scalars into signed digits, and the split of 32 bytes into the ten
/// radix-2^25.5 limbs the lanes compute with.
/// </summary>
internal static class Ed25519Scalar
{
    /// <summary>L = 2^252 + 27742317777372353535851937790883648493, little-endian.</summary>
    private static ReadOnlySpan<byte> LBytes =>
    [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];

    private static readonly ulong[] L = [0x5812631A5CF5D3ED, 0x14DEF9DEA2F79CD6, 0, 0x1000000000000000];

    /// <summary>libsodium's blocklist (<c>ge25519_has_small_order</c>), compared with bit 255 ignored.</summary>
    private static readonly byte[][] SmallOrder =
    [
        Convert.FromHexString("0000000000000000000000000000000000000000000000000000000000000000"),
        Convert.FromHexString("0100000000000000000000000000000000000000000000000000000000000000"),
        Convert.FromHexString("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
        Convert.FromHexString("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
        Convert.FromHexString("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
        Convert.FromHexString("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
        Convert.FromHexString("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
    ];

    /// <summary><c>sc25519_is_canonical</c>: the 32 bytes, as an integer, are below L.</summary>
    public static bool IsCanonicalScalar(ReadOnlySpan<byte> s)
    {
        var l = LBytes;
        for (int i = 31; i >= 0; i--)
        {
            if (s[i] != l[i])
                return s[i] < l[i];
        }
        return false;
    }

    /// <summary><c>ge25519_has_small_order</c>: the encoding, bit 255 ignored, is on the blocklist.</summary>
    public static bool HasSmallOrder(ReadOnlySpan<byte> s)
    {
        foreach (var b in SmallOrder)
        {
            if (s[..31].SequenceEqual(b.AsSpan(0, 31)) && (s[31] & 0x7F) == b[31])
                return true;
        }
        return false;
    }

    /// <summary><c>ge25519_is_canonical</c>: y (the low 255 bits) is below p.</summary>
    public static bool IsCanonicalPoint(ReadOnlySpan<byte> s)
    {
        if ((s[31] & 0x7F) != 0x7F || s[0] < 0xED)
            return true;
        for (int i = 1; i < 31; i++)
        {
            if (s[i] != 0xFF)
                return true;
        }
        return false;
    }

    /// <summary>The 64-byte little-endian <paramref name="digest"/> mod L, as 32 bytes (ref10's sc_reduce).</summary>
    public static void ReduceDigest(ReadOnlySpan<byte> digest, Span<byte> result)
    {
        Span<long> s = stackalloc long[24];
        for (int i = 0; i < 23; i++)
            s[i] = (long)Bits(digest, 21 * i, 21);
        s[23] = BinaryPrimitives.ReadUInt32LittleEndian(digest[60..]) >> 3;
        for (int k = 23; k >= 18; k--)
            Fold(s, k);
        for (int i = 6; i <= 16; i++)
            RoundCarry(s, i);
        for (int k = 17; k >= 12; k--)
            Fold(s, k);
        for (int i = 0; i <= 11; i++)
            RoundCarry(s, i);
        Fold(s, 12);
        for (int i = 0; i <= 11; i++)
            RoundCarry(s, i);
        Fold(s, 12);
        for (int i = 0; i <= 11; i++)
        {
            long c = s[i] >> 21;
            s[i + 1] += c;
            s[i] -= c << 21;
        }
        // s0..s11 are now in [0, 2^21); s12 is small and signed: the value, two's complement mod 2^256, is in (-L, 3L).
        Span<ulong> r = stackalloc ulong[4];
        r.Clear();
        for (int i = 0; i < 12; i++)
        {
            int p = 21 * i, w = p >> 6, sh = p & 63;
            r[w] |= (ulong)s[i] << sh;
            if (sh > 64 - 21)
                r[w + 1] |= (ulong)s[i] >> (64 - sh);
        }
        r[3] |= (ulong)s[12] << 60;
        if (s[12] < 0)
            AddL(r);
        for (int k = 0; k < 2 && !LessThanL(r); k++)
            SubL(r);
        for (int i = 0; i < 4; i++)
            BinaryPrimitives.WriteUInt64LittleEndian(result[(8 * i)..], r[i]);
    }

    private static void Fold(Span<long> s, int k)
    {
        // 2^252 = -(L - 2^252) mod L; the six 21-bit limbs of L - 2^252.
        long v = s[k];
        s[k - 12] -= v * 1430509;
        s[k - 11] -= v * 1626855;
        s[k - 10] -= v * 1442968;
        s[k - 9] -= v * 997804;
        s[k - 8] -= v * 1960495;
        s[k - 7] -= v * 683900;
        s[k] = 0;
    }

    private static void RoundCarry(Span<long> s, int i)
    {
        long c = (s[i] + (1L << 20)) >> 21;
        s[i + 1] += c;
        s[i] -= c << 21;
    }

    private static bool LessThanL(ReadOnlySpan<ulong> r)
    {
        for (int i = 3; i >= 0; i--)
        {
            if (r[i] != L[i])
                return r[i] < L[i];
        }
        return false;
    }

    private static void AddL(Span<ulong> r)
    {
        ulong carry = 0;
        for (int i = 0; i < 4; i++)
        {
            UInt128 t = (UInt128)r[i] + L[i] + carry;
            r[i] = (ulong)t;
            carry = (ulong)(t >> 64);
        }
    }

    private static void SubL(Span<ulong> r)
    {
        ulong borrow = 0;
        for (int i = 0; i < 4; i++)
        {
            ulong a = r[i], b = L[i];
            ulong d = a - b - borrow;
            borrow = (a < b || (a == b && borrow != 0)) ? 1UL : 0UL;
            r[i] = d;
        }
    }

    /// <summary>
    /// s (below 2^253) as 64 signed radix-16 digits in [-8, 8], s = sum digits[i] 16^i: written as
    /// |digit| to <paramref name="abs"/>[i * stride] and -1 (negative) or 0 to <paramref name="neg"/>[i * stride].
    /// </summary>
    public static unsafe void Radix16(ReadOnlySpan<byte> s, long* abs, long* neg, int stride)
    {
        int carry = 0;
        for (int i = 0; i < 64; i++)
        {
            int e = ((s[i >> 1] >> ((i & 1) << 2)) & 15) + carry;
            carry = i < 63 ? (e + 8) >> 4 : 0;
            e -= carry << 4;
            abs[i * stride] = e < 0 ? -e : e;
            neg[i * stride] = e < 0 ? -1 : 0;
        }
    }

    /// <summary>
    /// s (below 2^253) as 32 signed radix-256 digits in [-128, 128), s = sum digits[i] 256^i: written
    /// as for <see cref="Radix16"/>.
    /// </summary>
    public static unsafe void Radix256(ReadOnlySpan<byte> s, long* abs, long* neg, int stride)
    {
        int carry = 0;
        for (int i = 0; i < 32; i++)
        {
            int e = s[i] + carry;
            carry = i < 31 ? (e + 128) >> 8 : 0;
            e -= carry << 8;
            abs[i * stride] = e < 0 ? -e : e;
            neg[i * stride] = e < 0 ? -1 : 0;
        }
    }

    /// <summary>Bytes a message of <paramref name="length"/> bytes takes once padded for SHA-512: whole 128-byte blocks.</summary>
    public static int Sha512PaddedLength(int length) => (length + 17 + 127) / 128 * 128;

    /// <summary>Appends SHA-512's padding to the <paramref name="length"/> bytes at <paramref name="msg"/>; returns the block count.</summary>
    public static unsafe int Sha512Pad(byte* msg, int length)
    {
        int total = Sha512PaddedLength(length);
        new Span<byte>(msg + length, total - length).Clear();
        msg[length] = 0x80;
        BinaryPrimitives.WriteUInt64BigEndian(new Span<byte>(msg + total - 8, 8), (ulong)length << 3);
        return total / 128;
    }

    /// <summary>Bits [pos, pos + width) of the little-endian 32- or 64-byte value (width at most 32).</summary>
    private static ulong Bits(ReadOnlySpan<byte> b, int pos, int width)
    {
        int off = Math.Min(pos >> 3, b.Length - 8);
        ulong v = BinaryPrimitives.ReadUInt64LittleEndian(b[off..]);
        return (v >> (pos - 8 * off)) & ((1UL << width) - 1);
    }

    private static readonly int[] Pos = [0, 26, 51, 77, 102, 128, 153, 179, 204, 230];

    /// <summary>The field element of the low 255 bits of <paramref name="s"/> (not reduced mod p, as libsodium), limb i to <paramref name="limbs"/>[i * stride].</summary>
    public static unsafe void FeFromBytes(ReadOnlySpan<byte> s, long* limbs, int stride)
    {
        for (int i = 0; i < 10; i++)
            limbs[i * stride] = (long)Bits(s, Pos[i], (i & 1) == 0 ? 26 : 25);
    }
}
