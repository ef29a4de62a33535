namespace GpuExec.Kernels.Verify;

/// <summary>A scalar below 2^253 as 64 signed radix-16 digits in [-8, 7] (digit 63 in [0, 2]),
/// four bits each, two's complement, digit i in bits 4(i mod 16) of word i / 16.</summary>
public struct Radix16
{
    public ulong D0, D1, D2, D3;

    /// <summary>Digit <paramref name="i"/> (0..63).</summary>
    public readonly int Digit(int i)
    {
        int q = i >> 4;
        ulong w = q < 2 ? (q == 0 ? D0 : D1) : (q == 2 ? D2 : D3);
        int nib = (int)((w >> ((i & 15) << 2)) & 15);
        return (nib ^ 8) - 8;
    }

    private void Set(int i, int digit)
    {
        ulong v = (ulong)(digit & 15) << ((i & 15) << 2);
        int q = i >> 4;
        if (q == 0) D0 |= v;
        else if (q == 1) D1 |= v;
        else if (q == 2) D2 |= v;
        else D3 |= v;
    }

    /// <summary>Recodes <paramref name="s"/> (&lt; 2^253) so that s = sum digit_i 16^i.</summary>
    public static Radix16 From(U256 s)
    {
        Radix16 r = default;
        int carry = 0;
        for (int i = 0; i < 64; i++)
        {
            int e = (int)((s.Word(i >> 3) >> ((i & 7) << 2)) & 15) + carry;
            carry = i < 63 ? (e + 8) >> 4 : 0;
            r.Set(i, e - (carry << 4));
        }
        return r;
    }
}

/// <summary>Scalars mod L = 2^252 + 27742317777372353535851937790883648493.</summary>
public static partial class Scalar25519
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
