namespace GpuExec.Kernels.Verify;

/// <summary>
/// The width-w non-adjacent form of a scalar below 2^253: digits d_p, odd with |d_p| &lt; 2^(w-1) or
/// zero, s = sum d_p 2^p, and any w consecutive digits hold at most one nonzero. It lives in nine
/// words (no array, which a kernel would keep in local memory): bit p of the markers M says digit p
/// is nonzero, and bits p..p+w-2 of V hold (d_p + 2^(w-1) - 1) / 2. The next nonzero digit is at
/// least w higher, so the fields of V never overlap.
/// </summary>
internal struct Wnaf
{
    public ulong M0, M1, M2, M3, V0, V1, V2, V3, V4;

    /// <summary>Markers of positions 64j..64j+63.</summary>
    public readonly ulong Markers(int j) => j < 2 ? (j == 0 ? M0 : M1) : (j == 2 ? M2 : M3);

    private readonly ulong Values(int j) =>
        j < 2 ? (j == 0 ? V0 : V1) : j < 4 ? (j == 2 ? V2 : V3) : j == 4 ? V4 : 0;

    /// <summary>The digit at <paramref name="p"/>, a position whose marker is set.</summary>
    public readonly int DigitAt(int p, int w)
    {
        OpCounter.Hit(KernelOp.WnafDigit);
        int j = p >> 6, sh = p & 63;
        ulong v = Values(j) >> sh;
        if (sh != 0)
            v |= Values(j + 1) << (64 - sh);
        int payload = (int)(v & ((1UL << (w - 1)) - 1));
        return 2 * payload + 1 - (1 << (w - 1));
    }

    private void Set(int p, ulong payload)
    {
        int j = p >> 6, sh = p & 63;
        ulong bit = 1UL << sh;
        if (j == 0) M0 |= bit;
        else if (j == 1) M1 |= bit;
        else if (j == 2) M2 |= bit;
        else M3 |= bit;
        OrValues(j, payload << sh);
        if (sh != 0)
            OrValues(j + 1, payload >> (64 - sh));
    }

    private void OrValues(int j, ulong v)
    {
        if (j == 0) V0 |= v;
        else if (j == 1) V1 |= v;
        else if (j == 2) V2 |= v;
        else if (j == 3) V3 |= v;
        else V4 |= v;
    }

    /// <summary>
    /// Recodes <paramref name="s"/> (&lt; 2^253) with width <paramref name="w"/> (2..8). N, the
    /// part of s not yet recoded plus a pending carry, is scanned from the bottom; each step skips
    /// N's trailing zeros at once and takes the digit of its next w bits, so there is one step per
    /// nonzero digit (plus one per 64-bit run of zeros).
    /// </summary>
    public static Wnaf From(U256 s, int w)
    {
        Wnaf r = default;
        ulong s0 = s.W0 | ((ulong)s.W1 << 32), s1 = s.W2 | ((ulong)s.W3 << 32);
        ulong s2 = s.W4 | ((ulong)s.W5 << 32), s3 = s.W6 | ((ulong)s.W7 << 32);
        ulong width = 1UL << w, mask = width - 1;
        ulong carry = 0;
        int pos = 0;
        while (pos < 256)
        {
            OpCounter.Hit(KernelOp.WnafRecodeStep);
            int j = pos >> 6, sh = pos & 63;
            ulong lo = j < 2 ? (j == 0 ? s0 : s1) : (j == 2 ? s2 : s3);
            ulong hi = j < 2 ? (j == 0 ? s1 : s2) : (j == 2 ? s3 : 0);
            ulong n = (sh == 0 ? lo : (lo >> sh) | (hi << (64 - sh))) + carry; // the low 64 bits of N
            if (n == 0)
            {
                // 64 zero bits (or 64 ones made zero by the carry, which then moves past them)
                pos += 64;
                continue;
            }
            // N / 2^z keeps the pending carry: it is the rest of s over 2^(pos+z), plus carry.
            int z = ILGPU.IntrinsicMath.BitOperations.TrailingZeroCount(n);
            pos += z;
            if (z > 64 - w)
                continue; // fewer than w known bits left in n: read again from the new position
            ulong window = (n >> z) & mask;
            carry = window < width / 2 ? 0UL : 1UL;
            long digit = (long)window - (long)(carry << w);
            r.Set(pos, (ulong)((digit + (long)(width / 2) - 1) >> 1));
            pos += w;
        }
        return r;
    }
}

/// <summary>Scalars mod L = 2^252 + 27742317777372353535851937790883648493.</summary>
internal static partial class Scalar25519
{
    public static U256 L => new(0x5CF5D3ED, 0x5812631A, 0xA2F79CD6, 0x14DEF9DE, 0, 0, 0, 0x10000000);

    /// <summary>S &lt; L, the canonical-S rule of libsodium's verifier.</summary>
    public static bool IsCanonical(U256 s) => s.LessThan(L);

    /// <summary>Brings a value in (-L, 3L) (two's complement when <paramref name="negative"/>) into [0, L).</summary>
    private static U256 Normalize(U256 r, bool negative)
    {
        U256 l = L;
        if (negative)
            r = r.Add(l);
        if (!r.LessThan(l))
            r = r.Sub(l);
        if (!r.LessThan(l))
            r = r.Sub(l);
        return r;
    }
}
