using System.Runtime.CompilerServices;

namespace GpuExec.Execution;

/// <summary>
/// The constant-product output of SPEC section 4, exactly:
/// <c>w = amount_in * (10000 - fee_bps)</c>, <c>out = floor(w * rout / (rin * 10000 + w))</c>.
/// <c>w</c> needs 78 bits and <c>w * rout</c> up to 142, so the product is formed in 192 bits.
/// When it fits in 128 bits (the common case) one UInt128 division gives the result; otherwise a
/// 64-step long division, which is exact and allocates nothing.
/// </summary>
internal static class SwapMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong AmountOut(ulong amountIn, ulong reserveIn, ulong reserveOut, ushort feeBps)
    {
        UInt128 w = (UInt128)amountIn * (uint)(10000 - feeBps);
        UInt128 den = (UInt128)reserveIn * 10000u + w;
        // w * rout as 192 bits: (wHi * rout) << 64 + wLo * rout, wHi < 2^14.
        ulong wLo = (ulong)w, wHi = (ulong)(w >> 64);
        UInt128 p0 = (UInt128)wLo * reserveOut;
        UInt128 p1 = (UInt128)wHi * reserveOut + (p0 >> 64); // < 2^79
        if ((p1 >> 64) == 0)
        {
            UInt128 num = (p1 << 64) | (ulong)p0;
            return (ulong)(num / den);
        }
        return LongDivide(p1, (ulong)p0, den);
    }

    /// <summary>floor((hi * 2^64 + lo) / den) for a quotient known to be below 2^64.</summary>
    private static ulong LongDivide(UInt128 hi, ulong lo, UInt128 den)
    {
        // out < rout < 2^64, so hi < den and every partial remainder stays below 2^80.
        UInt128 r = hi;
        ulong q = 0;
        for (int i = 63; i >= 0; i--)
        {
            r = (r << 1) | ((lo >> i) & 1);
            if (r >= den) { r -= den; q |= 1UL << i; }
        }
        return q;
    }
}
