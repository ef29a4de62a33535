namespace GpuExec.Kernels.Verify;

/// <summary>
/// An element of GF(2^255 - 19) in ten signed limbs, radix 2^25.5: limb i sits at bit
/// ceil(25.5 i) and holds 26 bits (even i) or 25 bits (odd i) when carried. Products are 64-bit,
/// a limb crossing 2^255 folds back times 19. Multiplication and squaring are in
/// <c>Field25519.Generated.cs</c>; add and subtract do not carry, so their results feed a
/// multiplication directly (at most a sum of three carried elements, as in the point formulas).
/// </summary>
public partial struct Fe
{
    public int L0, L1, L2, L3, L4, L5, L6, L7, L8, L9;

    public Fe(int l0, int l1, int l2, int l3, int l4, int l5, int l6, int l7, int l8, int l9)
    {
        L0 = l0; L1 = l1; L2 = l2; L3 = l3; L4 = l4; L5 = l5; L6 = l6; L7 = l7; L8 = l8; L9 = l9;
    }

    public static Fe Zero => default;

    public static Fe One => new(1, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    public static Fe Add(Fe f, Fe g)
    {
        OpCounter.Hit(KernelOp.FeAdd);
        return new(
            f.L0 + g.L0, f.L1 + g.L1, f.L2 + g.L2, f.L3 + g.L3, f.L4 + g.L4,
            f.L5 + g.L5, f.L6 + g.L6, f.L7 + g.L7, f.L8 + g.L8, f.L9 + g.L9);
    }

    public static Fe Sub(Fe f, Fe g)
    {
        OpCounter.Hit(KernelOp.FeSub);
        return new(
            f.L0 - g.L0, f.L1 - g.L1, f.L2 - g.L2, f.L3 - g.L3, f.L4 - g.L4,
            f.L5 - g.L5, f.L6 - g.L6, f.L7 - g.L7, f.L8 - g.L8, f.L9 - g.L9);
    }

    public static Fe Neg(Fe f)
    {
        OpCounter.Hit(KernelOp.FeNeg);
        return new(-f.L0, -f.L1, -f.L2, -f.L3, -f.L4, -f.L5, -f.L6, -f.L7, -f.L8, -f.L9);
    }

    /// <summary>Whether the canonical value of f is odd (the "negative" of RFC 8032).</summary>
    public static bool IsNegative(Fe f) => (ToBytes(f).W0 & 1) != 0;

    public static bool IsZero(Fe f) => ToBytes(f).IsZero;

    private static Fe SqN(Fe f, int n)
    {
        for (int i = 0; i < n; i++)
            f = Sq(f);
        return f;
    }

    /// <summary>z^(2^250 - 1) and z^11, the common head of the inversion and square-root chains.</summary>
    private static Fe Pow2250Minus1(Fe z, out Fe z11)
    {
        Fe z2 = Sq(z);
        Fe z9 = Mul(SqN(z2, 2), z);
        z11 = Mul(z9, z2);
        Fe z5 = Mul(Sq(z11), z9);          // 2^5 - 1
        Fe z10 = Mul(SqN(z5, 5), z5);       // 2^10 - 1
        Fe z20 = Mul(SqN(z10, 10), z10);    // 2^20 - 1
        Fe z40 = Mul(SqN(z20, 20), z20);    // 2^40 - 1
        Fe z50 = Mul(SqN(z40, 10), z10);    // 2^50 - 1
        Fe z100 = Mul(SqN(z50, 50), z50);   // 2^100 - 1
        Fe z200 = Mul(SqN(z100, 100), z100); // 2^200 - 1
        return Mul(SqN(z200, 50), z50);     // 2^250 - 1
    }

    /// <summary>1/z = z^(p-2) = z^(2^255 - 21); 0 for z = 0.</summary>
    public static Fe Invert(Fe z)
    {
        Fe t = Pow2250Minus1(z, out Fe z11);
        return Mul(SqN(t, 5), z11);
    }

    /// <summary>z^((p-5)/8) = z^(2^252 - 3).</summary>
    public static Fe Pow22523(Fe z)
    {
        Fe t = Pow2250Minus1(z, out _);
        return Mul(SqN(t, 2), z);
    }
}
