namespace GpuExec.Kernels.Verify;

/// <summary>
/// The width-w non-adjacent form of a scalar below 2^253: digits d_p, odd with |d_p| &lt; 2^(w-1) or
/// zero, s = sum d_p 2^p, and any w consecutive digits hold at most one nonzero. It lives in five
/// words (no array, which a kernel would keep in local memory): a nonzero digit at p is a field of
/// w bits at bit p, (d + 2^(w-1) - 1) / 2 in its low w-1 bits and a marker bit on top (bit p+w-1).
/// The next nonzero digit is at least w higher, so fields never overlap; read from the top down,
/// the w-1 positions after a digit are zero digits whose bits belong to that digit's field
/// (<see cref="DigitAt"/> takes the count of them still to skip).
/// </summary>
public struct Wnaf
{
    public ulong B0, B1, B2, B3, B4;

    private readonly ulong Word(int j) =>
        j < 2 ? (j == 0 ? B0 : B1) : j < 4 ? (j == 2 ? B2 : B3) : j == 4 ? B4 : 0;

    private void Or(int j, ulong v)
    {
        if (j == 0) B0 |= v;
        else if (j == 1) B1 |= v;
        else if (j == 2) B2 |= v;
        else if (j == 3) B3 |= v;
        else if (j == 4) B4 |= v;
    }

    /// <summary>Up to 64 bits of the string from bit <paramref name="p"/> on.</summary>
    private readonly ulong BitsFrom(int p)
    {
        int j = p >> 6, sh = p & 63;
        ulong lo = Word(j) >> sh;
        return sh == 0 ? lo : lo | (Word(j + 1) << (64 - sh));
    }

    /// <summary>Recodes <paramref name="s"/> (&lt; 2^253) with width <paramref name="w"/> (2..8).</summary>
    public static Wnaf From(U256 s, int w)
    {
        Wnaf r = default;
        ulong width = 1UL << w, mask = width - 1;
        ulong carry = 0;
        int pos = 0;
        while (pos < 256)
        {
            int j = pos >> 6, sh = pos & 63;
            ulong bits = Scalar25519.Word64(s, j) >> sh;
            if (sh != 0)
                bits |= Scalar25519.Word64(s, j + 1) << (64 - sh);
            ulong window = carry + (bits & mask);
            if ((window & 1) == 0)
            {
                pos++;
                continue;
            }
            // digit = window (window < 2^(w-1)) or window - 2^w, with a carry into position pos + w
            carry = window < width / 2 ? 0UL : 1UL;
            long digit = (long)window - (long)(carry << w);
            ulong field = (ulong)((digit + (long)(width / 2) - 1) >> 1) | (1UL << (w - 1));
            r.Or(j, field << sh);
            if (sh + w > 64)
                r.Or(j + 1, field >> (64 - sh));
            pos += w;
        }
        return r;
    }

    /// <summary>
    /// Digit <paramref name="p"/> in a top-down scan; <paramref name="skip"/> is the scan's state
    /// (0 at the start): the number of positions still covered by the last nonzero digit's field.
    /// </summary>
    public readonly int DigitAt(int p, int w, ref int skip)
    {
        if (skip > 0)
        {
            skip--;
            return 0;
        }
        ulong field = BitsFrom(p);
        if (((field >> (w - 1)) & 1) == 0)
            return 0;
        skip = w - 1;
        int payload = (int)(field & ((1UL << (w - 1)) - 1));
        return 2 * payload + 1 - (1 << (w - 1));
    }
}

/// <summary>Scalars mod L = 2^252 + 27742317777372353535851937790883648493.</summary>
public static partial class Scalar25519
{
    public static U256 L => new(0x5CF5D3ED, 0x5812631A, 0xA2F79CD6, 0x14DEF9DE, 0, 0, 0, 0x10000000);

    /// <summary>64-bit word <paramref name="j"/> of <paramref name="s"/> (0 past the top).</summary>
    public static ulong Word64(U256 s, int j) =>
        j < 2 ? (j == 0 ? s.W0 | ((ulong)s.W1 << 32) : s.W2 | ((ulong)s.W3 << 32))
              : j < 4 ? (j == 2 ? s.W4 | ((ulong)s.W5 << 32) : s.W6 | ((ulong)s.W7 << 32)) : 0;

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
