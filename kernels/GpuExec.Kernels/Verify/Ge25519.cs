namespace GpuExec.Kernels.Verify;

/// <summary>Projective point (X:Y:Z) on -x^2 + y^2 = 1 + d x^2 y^2.</summary>
internal struct GeP2
{
    public Fe X, Y, Z;
}

/// <summary>Extended point (X:Y:Z:T), T = XY/Z.</summary>
internal struct GeP3
{
    public Fe X, Y, Z, T;
}

/// <summary>A sum or double before its final multiplications ((X:Z), (Y:T)).</summary>
internal struct GeP1P1
{
    public Fe X, Y, Z, T;
}

/// <summary>A point ready to be added: (Y+X, Y-X, 2Z, 2dT).</summary>
internal struct GeCached
{
    public Fe YPlusX, YMinusX, Z2, T2d;
}

/// <summary>An affine point ready to be added: (y+x, y-x, 2dxy).</summary>
internal struct GePrecomp
{
    public Fe YPlusX, YMinusX, XY2d;
}

/// <summary>
/// Edwards25519 group operations (the extended-coordinate formulas of Hisil-Wong-Carter-Dawson,
/// complete on this curve, so any correct evaluation order yields the same point and the same
/// encoding), decompression, encoding and the double-scalar multiplication of verification.
/// </summary>
internal static class Ge25519
{
    public static GeP3 Identity => new() { X = Fe.Zero, Y = Fe.One, Z = Fe.One, T = Fe.Zero };

    public static GeP2 ToP2(GeP3 p) => new() { X = p.X, Y = p.Y, Z = p.Z };

    public static GeP2 ToP2(GeP1P1 p) => new()
    {
        X = Fe.Mul(p.X, p.T),
        Y = Fe.Mul(p.Y, p.Z),
        Z = Fe.Mul(p.Z, p.T),
    };

    public static GeP3 ToP3(GeP1P1 p) => new()
    {
        X = Fe.Mul(p.X, p.T),
        Y = Fe.Mul(p.Y, p.Z),
        Z = Fe.Mul(p.Z, p.T),
        T = Fe.Mul(p.X, p.Y),
    };

    public static GeCached ToCached(GeP3 p) => new()
    {
        YPlusX = Fe.Add(p.Y, p.X),
        YMinusX = Fe.Sub(p.Y, p.X),
        Z2 = Fe.Add(p.Z, p.Z),
        T2d = Fe.Mul(p.T, Fe.D2),
    };

    /// <summary>2p.</summary>
    public static GeP1P1 Double(GeP2 p)
    {
        GeP1P1 r;
        Fe xx = Fe.Sq(p.X);
        Fe yy = Fe.Sq(p.Y);
        Fe zz2 = Fe.Sq2(p.Z);
        Fe xy2 = Fe.Sq(Fe.Add(p.X, p.Y));
        // Carried, because each is subtracted next (a subtrahend must be carried).
        r.Y = Fe.Carry(Fe.Add(yy, xx));
        r.Z = Fe.Carry(Fe.Sub(yy, xx));
        r.X = Fe.Sub(xy2, r.Y);
        r.T = Fe.Sub(zz2, r.Z);
        return r;
    }

    /// <summary>p + q (negate: p - q).</summary>
    public static GeP1P1 Add(GeP3 p, GeCached q, bool negate)
    {
        GeP1P1 r;
        Fe a = Fe.Mul(Fe.Add(p.Y, p.X), negate ? q.YMinusX : q.YPlusX);
        Fe b = Fe.Mul(Fe.Sub(p.Y, p.X), negate ? q.YPlusX : q.YMinusX);
        Fe c = Fe.Mul(q.T2d, p.T);
        Fe d = Fe.Mul(p.Z, q.Z2);
        r.X = Fe.Sub(a, b);
        r.Y = Fe.Add(a, b);
        r.Z = negate ? Fe.Sub(d, c) : Fe.Add(d, c);
        r.T = negate ? Fe.Add(d, c) : Fe.Sub(d, c);
        return r;
    }

    /// <summary>p + q for an affine q (negate: p - q).</summary>
    public static GeP1P1 Add(GeP3 p, GePrecomp q, bool negate)
    {
        GeP1P1 r;
        Fe a = Fe.Mul(Fe.Add(p.Y, p.X), negate ? q.YMinusX : q.YPlusX);
        Fe b = Fe.Mul(Fe.Sub(p.Y, p.X), negate ? q.YPlusX : q.YMinusX);
        Fe c = Fe.Mul(q.XY2d, p.T);
        Fe d = Fe.Carry(Fe.Add(p.Z, p.Z)); // subtracted from below: carried
        r.X = Fe.Sub(a, b);
        r.Y = Fe.Add(a, b);
        r.Z = negate ? Fe.Sub(d, c) : Fe.Add(d, c);
        r.T = negate ? Fe.Add(d, c) : Fe.Sub(d, c);
        return r;
    }

    /// <summary>The canonical 32-byte encoding of p: y with the sign of x in bit 255.</summary>
    public static U256 Encode(Fe x, Fe y, Fe z)
    {
        Fe zi = Fe.Invert(z);
        U256 ey = Fe.ToBytes(Fe.Mul(y, zi));
        U256 ex = Fe.ToBytes(Fe.Mul(x, zi));
        ey.W7 |= (ex.W0 & 1) << 31;
        return ey;
    }

    /// <summary>
    /// Decodes <paramref name="s"/> and returns the NEGATED point, as libsodium's
    /// <c>ge25519_frombytes_negate_vartime</c>: y is the low 255 bits (not reduced), x the square
    /// root with the sign bit, negated; false when x^2 = (y^2-1)/(dy^2+1) has no root.
    /// A zero x with the sign bit set is accepted (as libsodium does).
    /// </summary>
    public static bool DecodeNegated(U256 s, out GeP3 h)
    {
        h.Y = Fe.FromBytes(s);
        h.Z = Fe.One;
        Fe yy = Fe.Sq(h.Y);
        Fe u = Fe.Carry(Fe.Sub(yy, h.Z));      // y^2 - 1, carried: subtracted below
        Fe v = Fe.Add(Fe.Mul(yy, Fe.D), h.Z);   // d y^2 + 1
        Fe v3 = Fe.Mul(Fe.Sq(v), v);
        Fe x = Fe.Mul(Fe.Mul(Fe.Sq(v3), v), u); // u v^7
        x = Fe.Pow22523(x);
        x = Fe.Mul(Fe.Mul(x, v3), u);           // u v^3 (u v^7)^((p-5)/8)
        Fe vxx = Fe.Mul(Fe.Sq(x), v);
        if (!Fe.IsZero(Fe.Sub(vxx, u)))
        {
            if (!Fe.IsZero(Fe.Add(vxx, u)))
            {
                h.X = Fe.Zero;
                h.T = Fe.Zero;
                return false;
            }
            x = Fe.Mul(x, Fe.SqrtM1);
        }
        if ((Fe.IsNegative(x) ? 1u : 0u) == (s.W7 >> 31))
            x = Fe.Neg(x);
        h.X = x;
        h.T = Fe.Mul(x, h.Y);
        return true;
    }

    /// <summary>Width of the NAF of h (the scalar of -A): digits up to 15, 8 odd multiples per item.</summary>
    public const int AWidth = 5;

    /// <summary>Width of the NAF of S (the scalar of B): digits up to 127, 64 odd multiples in <see cref="BaseTable"/>.</summary>
    public const int BWidth = 8;

    /// <summary>
    /// Writes (2k+1) * p as cached points to <paramref name="table"/>[offset + k], k = 0..7 (the
    /// odd multiples a width-5 NAF adds).
    /// </summary>
    public static void FillTable(GeP3 p, ILGPU.ArrayView<GeCached> table, long offset)
    {
        OpCounter.Hit(KernelOp.StoreCached);
        table[offset] = ToCached(p);
        GeCached p2 = ToCached(ToP3(Double(ToP2(p))));
        GeP3 acc = p;
        for (int k = 1; k < 8; k++)
        {
            acc = ToP3(Add(acc, p2, false));
            OpCounter.Hit(KernelOp.StoreCached);
            table[offset + k] = ToCached(acc);
        }
    }

    /// <summary>
    /// a * P + b * B by double-and-add over the NAFs of a (width <see cref="AWidth"/>, P's odd
    /// multiples at <paramref name="pTable"/>[pOffset..+8]) and b (width <see cref="BWidth"/>, B's
    /// odd multiples in <paramref name="baseTable"/>), scanning down from the top nonzero digit.
    /// Returns the encoding of the result.
    /// </summary>
    public static U256 DoubleScalarMul(Wnaf a, ILGPU.ArrayView<GeCached> pTable, long pOffset,
                                       Wnaf b, ILGPU.ArrayView<GePrecomp> baseTable)
    {
        GeP2 r = ToP2(Identity);
        bool started = false;
        for (int j = 3; j >= 0; j--)
        {
            ulong ma = a.Markers(j), mb = b.Markers(j);
            for (int k = 63; k >= 0; k--)
            {
                bool na = ((ma >> k) & 1) != 0, nb = ((mb >> k) & 1) != 0;
                if (!started)
                {
                    if (!na && !nb)
                        continue;
                    started = true;
                }
                int i = (j << 6) | k;
                GeP1P1 t = Double(r);
                if (na)
                {
                    int da = a.DigitAt(i, AWidth);
                    int m = da < 0 ? -da : da;
                    OpCounter.Hit(KernelOp.LoadCached);
                    t = Add(ToP3(t), pTable[pOffset + (m >> 1)], da < 0);
                }
                if (nb)
                {
                    int db = b.DigitAt(i, BWidth);
                    int m = db < 0 ? -db : db;
                    OpCounter.Hit(KernelOp.LoadPrecomp);
                    t = Add(ToP3(t), baseTable[m >> 1], db < 0);
                }
                r = ToP2(t);
            }
        }
        return Encode(r.X, r.Y, r.Z);
    }

    /// <summary>The base point's odd multiples 1B, 3B, .., 127B as affine precomputed points (host side, for the table a kernel is given).</summary>
    public static GePrecomp[] BaseTable()
    {
        // B = (x, 4/5) with x even: encoding 0x58 followed by 31 bytes 0x66.
        var enc = new U256(0x66666658, 0x66666666, 0x66666666, 0x66666666, 0x66666666, 0x66666666, 0x66666666, 0x66666666);
        if (!DecodeNegated(enc, out GeP3 negB))
            throw new InvalidOperationException("base point failed to decode");
        GeP3 b = negB;
        b.X = Fe.Neg(b.X);
        b.T = Fe.Neg(b.T);
        var result = new GePrecomp[1 << (BWidth - 2)];
        GeP3 acc = b;
        GeCached b2 = ToCached(ToP3(Double(ToP2(b))));
        for (int k = 0; k < result.Length; k++)
        {
            if (k > 0)
                acc = ToP3(Add(acc, b2, false));
            Fe zi = Fe.Invert(acc.Z);
            Fe x = Fe.Mul(acc.X, zi);
            Fe y = Fe.Mul(acc.Y, zi);
            result[k] = new GePrecomp
            {
                YPlusX = Fe.Carry(Fe.Add(y, x)),
                YMinusX = Fe.Carry(Fe.Sub(y, x)),
                XY2d = Fe.Mul(Fe.Mul(x, y), Fe.D2),
            };
        }
        return result;
    }
}
