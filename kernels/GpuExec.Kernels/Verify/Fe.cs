namespace GpuExec.Kernels.Verify;

/// <summary>
/// An element of GF(2^255 - 19) in ten unsigned limbs, radix 2^25.5: limb i sits at bit
/// ceil(25.5 i) and holds 26 bits (even i) or 25 bits (odd i) when carried. Limbs are unsigned so
/// that every limb product is one 32 x 32 -> 64-bit unsigned multiply (IMAD.WIDE.U32); a limb
/// crossing 2^255 folds back times 19. Multiplication, squaring, carry and subtraction are in
/// <c>Field25519.Generated.cs</c>, whose generator checks the limb bounds: multiplication and
/// squaring take limbs up to three times carried (a sum of three carried elements, or
/// <c>Sub(carried, carried)</c>), <see cref="Sub"/> needs a carried subtrahend, <c>Sq2</c> a carried input.
/// Add and subtract do not carry, so their results feed a multiplication directly.
/// </summary>
internal partial struct Fe
{
    public uint L0, L1, L2, L3, L4, L5, L6, L7, L8, L9;

    public Fe(uint l0, uint l1, uint l2, uint l3, uint l4, uint l5, uint l6, uint l7, uint l8, uint l9)
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

    /// <summary>-f, carried (f carried).</summary>
    public static Fe Neg(Fe f)
    {
        OpCounter.Hit(KernelOp.FeNeg);
        return Carry(Sub(Zero, f));
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
