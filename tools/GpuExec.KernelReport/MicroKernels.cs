extern alias gpu;
using ILGPU;
using gpu::GpuExec.Kernels.Verify;

namespace GpuExec.KernelReport;

/// <summary>
/// One kernel pair per counted operation, compiled exactly as the real kernels are. The price of
/// an operation in SASS is (instructions of its "2" kernel) - (instructions of its "1" kernel):
/// either the operation applied twice in a chain against once, or once against a kernel that only
/// moves the same data. Loads, stores and kernel prologue cancel out; what is left is the
/// operation's own code as ptxas schedules it in a chain (which is how the verifier uses it).
/// </summary>
internal static class MicroKernels
{
    // A fresh second operand (c) in the chained multiply, so that nothing of b's premultiplied
    // limbs is shared; c is loaded by both kernels, so its loads cancel.
    public static void FeMul1(Index1D i, ArrayView<Fe> a, ArrayView<Fe> b, ArrayView<Fe> c, ArrayView<Fe> o) =>
        o[i] = Fe.Mul(Fe.Add(a[i], c[i]), b[i]);
    public static void FeMul2(Index1D i, ArrayView<Fe> a, ArrayView<Fe> b, ArrayView<Fe> c, ArrayView<Fe> o) =>
        o[i] = Fe.Mul(Fe.Mul(Fe.Add(a[i], c[i]), b[i]), c[i]);

    public static void FeSq1(Index1D i, ArrayView<Fe> a, ArrayView<Fe> o) => o[i] = Fe.Sq(a[i]);
    public static void FeSq2(Index1D i, ArrayView<Fe> a, ArrayView<Fe> o) => o[i] = Fe.Sq(Fe.Sq(a[i]));

    public static void FeSqTwice1(Index1D i, ArrayView<Fe> a, ArrayView<Fe> o) => o[i] = Fe.Sq2(a[i]);
    public static void FeSqTwice2(Index1D i, ArrayView<Fe> a, ArrayView<Fe> o) => o[i] = Fe.Sq2(Fe.Sq2(a[i]));

    // An addition or subtraction feeding a multiply, as in the point formulas: chained ones would
    // fuse into three-input adds and look free.
    public static void FeAdd1(Index1D i, ArrayView<Fe> a, ArrayView<Fe> b, ArrayView<Fe> c, ArrayView<Fe> o) =>
        o[i] = Fe.Mul(Fe.Add(a[i], c[i]), b[i]);
    public static void FeAdd2(Index1D i, ArrayView<Fe> a, ArrayView<Fe> b, ArrayView<Fe> c, ArrayView<Fe> o) =>
        o[i] = Fe.Mul(Fe.Add(a[i], c[i]), Fe.Add(b[i], c[i]));

    public static void FeSub1(Index1D i, ArrayView<Fe> a, ArrayView<Fe> b, ArrayView<Fe> c, ArrayView<Fe> o) =>
        o[i] = Fe.Mul(Fe.Sub(a[i], c[i]), b[i]);
    public static void FeSub2(Index1D i, ArrayView<Fe> a, ArrayView<Fe> b, ArrayView<Fe> c, ArrayView<Fe> o) =>
        o[i] = Fe.Mul(Fe.Sub(a[i], c[i]), Fe.Sub(b[i], c[i]));

    public static void FeNeg2(Index1D i, ArrayView<Fe> a, ArrayView<Fe> o) => o[i] = Fe.Neg(Fe.Mul(a[i], a[i]));
    public static void FeNegBase(Index1D i, ArrayView<Fe> a, ArrayView<Fe> o) => o[i] = Fe.Mul(a[i], a[i]);

    public static void FeCarry1(Index1D i, ArrayView<Fe> a, ArrayView<Fe> o) => o[i] = Fe.Carry(a[i]);
    public static void FeCarry2(Index1D i, ArrayView<Fe> a, ArrayView<Fe> o) => o[i] = Fe.Carry(Fe.Carry(a[i]));

    private static U256 Truncate(Fe f) => new((uint)f.L0, (uint)f.L1, (uint)f.L2, (uint)f.L3, (uint)f.L4, (uint)f.L5, (uint)f.L6, (uint)f.L7 ^ (uint)f.L8 ^ (uint)f.L9);

    private static Fe Widen(U256 u) => new(u.W0, u.W1, u.W2, u.W3, u.W4, u.W5, u.W6, u.W7, 0, 0);

    public static void FeToBytesBase(Index1D i, ArrayView<Fe> a, ArrayView<U256> o) => o[i] = Truncate(a[i]);
    public static void FeToBytes2(Index1D i, ArrayView<Fe> a, ArrayView<U256> o) => o[i] = Fe.ToBytes(a[i]);

    public static void FeFromBytesBase(Index1D i, ArrayView<U256> a, ArrayView<Fe> o) => o[i] = Widen(a[i]);
    public static void FeFromBytes2(Index1D i, ArrayView<U256> a, ArrayView<Fe> o) => o[i] = Fe.FromBytes(a[i]);

    // The two ways a SHA-512 message word is read: aligned 32-bit loads inside a segment, or
    // byte by byte with the padding checks (at the segment seams and in the padding).
    public static void Sha512WordBase(Index1D i, ArrayView<byte> src, ArrayView<MessageSpec> m, ArrayView<ulong> o) =>
        o[i] = (ulong)m[i].Off0 + (ulong)m[i].Len0;
    public static void Sha512WordLoad2(Index1D i, ArrayView<byte> src, ArrayView<MessageSpec> m, ArrayView<ulong> o)
    {
        MessageSpec s = m[i];
        o[i] = s.TryLocate(s.Len0, 8, out long at) ? WordLoads.BigEndian64(src, at) : (ulong)s.Off0;
    }
    public static void Sha512WordBytes2(Index1D i, ArrayView<byte> src, ArrayView<MessageSpec> m, ArrayView<ulong> o)
    {
        MessageSpec s = m[i];
        long total = s.TotalLength;
        o[i] = Sha512.PaddedWord(src, s, total, (total + 17 + 127) / 128 * 128, s.Len0);
    }

    public static void Sha512Rounds1(Index1D i, ArrayView<Sha512Block> w, ArrayView<ulong> k, ArrayView<Sha512State> o)
    {
        Sha512State s = o[i];
        s.Rounds16(w[i], k, 0);
        o[i] = s;
    }
    public static void Sha512Rounds2(Index1D i, ArrayView<Sha512Block> w, ArrayView<ulong> k, ArrayView<Sha512State> o)
    {
        Sha512State s = o[i];
        Sha512Block b = w[i];
        s.Rounds16(b, k, 0);
        s.Rounds16(b, k, 16);
        o[i] = s;
    }

    public static void Sha512Expand1(Index1D i, ArrayView<Sha512Block> w)
    {
        Sha512Block b = w[i];
        b.Expand();
        w[i] = b;
    }
    public static void Sha512Expand2(Index1D i, ArrayView<Sha512Block> w)
    {
        Sha512Block b = w[i];
        b.Expand();
        b.Expand();
        w[i] = b;
    }

    public static void ScalarReduceBase(Index1D i, ArrayView<Sha512State> h, ArrayView<U256> o)
    {
        Sha512State s = h[i];
        o[i] = new U256((uint)s.H0, (uint)s.H1, (uint)s.H2, (uint)s.H3, (uint)s.H4, (uint)s.H5, (uint)s.H6, (uint)s.H7);
    }
    public static void ScalarReduce2(Index1D i, ArrayView<Sha512State> h, ArrayView<U256> o) => o[i] = Scalar25519.ReduceDigest(h[i]);

    public static void LoadCachedBase(Index1D i, ArrayView<int> j, ArrayView<GeCached> t, ArrayView<int> o) => o[i] = j[i];
    public static void LoadCached2(Index1D i, ArrayView<int> j, ArrayView<GeCached> t, ArrayView<int> o)
    {
        GeCached c = t[j[i]];
        o[i] = Fold(c.YPlusX) ^ Fold(c.YMinusX) ^ Fold(c.Z2) ^ Fold(c.T2d);
    }

    public static void LoadPrecompBase(Index1D i, ArrayView<int> j, ArrayView<GePrecomp> t, ArrayView<int> o) => o[i] = j[i];
    public static void LoadPrecomp2(Index1D i, ArrayView<int> j, ArrayView<GePrecomp> t, ArrayView<int> o)
    {
        GePrecomp c = t[j[i]];
        o[i] = Fold(c.YPlusX) ^ Fold(c.YMinusX) ^ Fold(c.XY2d);
    }

    public static void StoreCachedBase(Index1D i, ArrayView<Fe> a, ArrayView<GeCached> t) => t[i] = default;
    public static void StoreCached2(Index1D i, ArrayView<Fe> a, ArrayView<GeCached> t)
    {
        t[i] = default;
        Fe f = a[i];
        t[i + 1] = new GeCached { YPlusX = f, YMinusX = f, Z2 = f, T2d = f };
    }

    // The recoding loop's body: a kernel holding one From (its loop body once, plus set-up) against
    // one moving the same data; counted per iteration, so this over-prices it slightly.
    public static void WnafRecodeBase(Index1D i, ArrayView<U256> s, ArrayView<Wnaf> o)
    {
        U256 u = s[i];
        o[i] = new Wnaf { M0 = u.W0, M1 = u.W1, M2 = u.W2, M3 = u.W3, V0 = u.W4, V1 = u.W5, V2 = u.W6, V3 = u.W7 };
    }
    public static void WnafRecode2(Index1D i, ArrayView<U256> s, ArrayView<Wnaf> o) => o[i] = Wnaf.From(s[i], Ge25519.AWidth);

    public static void WnafDigit1(Index1D i, ArrayView<Wnaf> a, ArrayView<int> o) => o[i] = i.X;
    public static void WnafDigit2(Index1D i, ArrayView<Wnaf> a, ArrayView<int> o) => o[i] = a[i].DigitAt(i.X & 255, Ge25519.AWidth);

    private static int Fold(Fe f) => (int)(f.L0 ^ f.L1 ^ f.L2 ^ f.L3 ^ f.L4 ^ f.L5 ^ f.L6 ^ f.L7 ^ f.L8 ^ f.L9);

    /// <summary>The (operation, kernel 1, kernel 2) pairs: the operation's SASS = kernel 2 - kernel 1.</summary>
    public static IReadOnlyList<(string Op, string One, string Two)> Pairs { get; } =
    [
        ("FeMul", nameof(FeMul1), nameof(FeMul2)),
        ("FeSq", nameof(FeSq1), nameof(FeSq2)),
        ("FeSq2", nameof(FeSqTwice1), nameof(FeSqTwice2)),
        ("FeAdd", nameof(FeAdd1), nameof(FeAdd2)),
        ("FeSub", nameof(FeSub1), nameof(FeSub2)),
        ("FeNeg", nameof(FeNegBase), nameof(FeNeg2)),
        ("FeCarry", nameof(FeCarry1), nameof(FeCarry2)),
        ("FeFromBytes", nameof(FeFromBytesBase), nameof(FeFromBytes2)),
        ("FeToBytes", nameof(FeToBytesBase), nameof(FeToBytes2)),
        ("Sha512WordLoad", nameof(Sha512WordBase), nameof(Sha512WordLoad2)),
        ("Sha512WordBytes", nameof(Sha512WordBase), nameof(Sha512WordBytes2)),
        ("Sha512Rounds16", nameof(Sha512Rounds1), nameof(Sha512Rounds2)),
        ("Sha512Expand", nameof(Sha512Expand1), nameof(Sha512Expand2)),
        ("ScalarReduce", nameof(ScalarReduceBase), nameof(ScalarReduce2)),
        ("LoadCached", nameof(LoadCachedBase), nameof(LoadCached2)),
        ("StoreCached", nameof(StoreCachedBase), nameof(StoreCached2)),
        ("LoadPrecomp", nameof(LoadPrecompBase), nameof(LoadPrecomp2)),
        ("WnafRecodeStep", nameof(WnafRecodeBase), nameof(WnafRecode2)),
        ("WnafDigit", nameof(WnafDigit1), nameof(WnafDigit2)),
    ];
}
