using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using V = System.Runtime.Intrinsics.Vector512<long>;

namespace GpuExec.Engine.Verify.Simd;

/// <summary>
/// Ed25519 verification of one signature per 64-bit lane of <see cref="Vector512{T}"/>, each lane
/// running libsodium's whole rule on its own signature (the encoding checks are done before a lane
/// is filled, by <see cref="Ed25519Scalar"/>): decompression of -A, [h](-A) + [S]B with signed
/// digits (h in radix 16 with a table of 1..8 (-A) per lane, S in radix 256 with a fixed table of
/// 0..128 B), sharing the doublings, and the encoding of
/// the result, compared with R byte for byte. Every lane takes the same path; a lane whose A does
/// not decompress computes on and its verdict is masked. A keyed batch (<see cref="ComputeKeyed"/>)
/// computes the same R' from each lane's key table (<see cref="BuildKeys"/>, held by
/// <see cref="KeyTableCache"/>), in 60 doublings instead of 252. <c>Lanes256.Generated.cs</c> is this file
/// for <see cref="Vector256{T}"/> (tools/gen-simd-verifier.py).
/// </summary>
[SkipLocalsInit]
internal static unsafe partial class Lanes512
{
    /// <summary>Signatures per batch.</summary>
    public static int Width => V.Count;

    private static V K19 => Vector512.Create(19L);

    /// <summary>A field element per lane: ten signed limbs, radix 2^25.5 (limb i at bit ceil(25.5 i)).</summary>
    public struct Fe
    {
        public V L0, L1, L2, L3, L4, L5, L6, L7, L8, L9;
    }

    public struct P3
    {
        public Fe X, Y, Z, T;
    }

    public struct P1P1
    {
        public Fe X, Y, Z, T;
    }

    public struct Cached
    {
        public Fe YpX, YmX, Z, T2d;
    }

    public struct Precomp
    {
        public Fe YpX, YmX, XY2d;
    }

    [InlineArray(8)]
    public struct CachedTable
    {
        private Cached _e;
    }

    [InlineArray(64)]
    public struct Digits
    {
        private V _e;
    }

    /// <summary>One batch: the lanes' inputs (filled by <see cref="SetLane"/>), scratch, and verdicts.</summary>
    public struct Batch
    {
        public Fe YA;
        public V SignA;
        public Digits HAbs, HNeg, SAbs, SNeg;
        public CachedTable Table;
        public Fe YR;     // the low 255 bits of R, split into limbs (not reduced)
        public V SignR;   // bit 255 of R
        public Fe X, Y, Z; // R' = [h](-A) + [S]B, projective, between Compute and Finish
        public V Ok;       // all-ones where A decompressed
        public fixed byte Valid[8];
        public fixed long Keys[8]; // a keyed batch: each lane's key table (KeyTableCache), as an int*
    }

    /// <summary>
    /// Key tables for up to one key per lane, built by <see cref="BuildKeys"/>: the lanes' keys in,
    /// and where each lane's table goes (<see cref="KeyTableCache.TableInts"/> ints).
    /// </summary>
    public struct KeyBuild
    {
        public Fe YA;
        public V SignA;
        public fixed long Dest[8];  // int*
        public fixed byte Ok[8];    // 1 where the key decompressed (its table is written), else 0
    }

    /// <summary>Scratch of <see cref="BuildKeys"/>: every multiple, then the inverses of their Z.</summary>
    public struct KeyScratch
    {
        public KeyPoints Points;
        public KeyProducts Products;
    }

    [InlineArray(KeyTableCache.Chunks * KeyTableCache.Multiples)]
    public struct KeyPoints
    {
        private P3 _e;
    }

    [InlineArray(KeyTableCache.Chunks * KeyTableCache.Multiples)]
    public struct KeyProducts
    {
        private Fe _e;
    }

    private static readonly Constants* C;

    /// <summary>Limbs per precomputed point: (y + x, y - x, 2dxy), ten each.</summary>
    private const int PrecompLimbs = 30;

    /// <summary>Entries per chunk of <see cref="BaseTable"/>: 0..128.</summary>
    private const int BaseEntries = 129;

    /// <summary>
    /// k (2^(64 c) B) for k = 0..128 (0: the identity) and chunks c = 0..3, affine, as plain limbs
    /// (entry k of chunk c at (c * 129 + k) * 30): the tables of S's signed radix-256 digits. The
    /// plain verification reads chunk 0 only; a keyed one adds each digit at its place within a
    /// 64-bit chunk. A lane's entry is copied in by scalar loads, which costs less than selecting
    /// one of 129 entries with vector blends.
    /// </summary>
    private static readonly long* BaseTable;

    /// <summary>The identity as a key-table entry (y + x = 1, y - x = 1, 2dxy = 0): digit 0 of a keyed lookup.</summary>
    private static readonly int* KeyIdentity;

    static Lanes512()
    {
        C = (Constants*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)sizeof(Constants), 64);
        BaseTable = (long*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(KeyTableCache.Chunks * BaseEntries * PrecompLimbs * sizeof(long), 64);
        KeyIdentity = (int*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(KeyTableCache.EntryInts * sizeof(int), 64);
        new Span<int>(KeyIdentity, KeyTableCache.EntryInts).Clear();
        KeyIdentity[0] = 1;
        KeyIdentity[10] = 1;
        FillConstants(C, BaseTable);
    }

    private struct Constants
    {
        public Fe One, D, D2, SqrtM1;
    }

    private static Fe Broadcast(BigInteger v)
    {
        var b = new byte[32];
        v.TryWriteBytes(b, out _, isUnsigned: true);
        long* l = stackalloc long[10];
        Ed25519Scalar.FeFromBytes(b, l, 1);
        Fe f;
        V* o = (V*)&f;
        for (int i = 0; i < 10; i++)
            o[i] = Vector512.Create(l[i]);
        return f;
    }

    private static void FillConstants(Constants* c, long* table)
    {
        var p = BigInteger.Pow(2, 255) - 19;
        var d = (p - 121665 * BigInteger.ModPow(121666, p - 2, p) % p) % p;
        c->One = Broadcast(1);
        c->D = Broadcast(d);
        c->D2 = Broadcast(2 * d % p);
        c->SqrtM1 = Broadcast(BigInteger.ModPow(2, (p - 1) / 4, p));
        // 1B..128B of B, 2^64 B, 2^128 B and 2^192 B, affine, computed with the lanes' own arithmetic
        // from B's encoding (y = 4/5, x even).
        Unsafe.SkipInit(out P3 b);
        b.Y = Broadcast(4 * BigInteger.ModPow(5, p - 2, p) % p);
        if (!DecodeNegated(ref b, Vector512<long>.Zero))
            throw new InvalidOperationException("the base point failed to decode");
        Neg(out b.X, in b.X);
        Neg(out b.T, in b.T);
        // kB for k = 1..128, projective, then made affine with one inversion per chunk.
        var pts = (P3*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)((BaseEntries - 1) * sizeof(P3)), 64);
        var zis = (Fe*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)((BaseEntries - 1) * sizeof(Fe)), 64);
        for (int chunk = 0; chunk < KeyTableCache.Chunks; chunk++)
        {
            if (chunk > 0)
            {
                DoubleTimes(ref b, 64);
            }
            long* tab = table + chunk * BaseEntries * PrecompLimbs;
            ToCached(out Cached bc, in b);
            pts[0] = b;
            for (int k = 1; k < BaseEntries - 1; k++)
            {
                AddCached(out P1P1 t, in pts[k - 1], in bc);
                ToP3(out pts[k], in t);
            }
            InvertZ(pts, zis, BaseEntries - 1);
            new Span<long>(tab, PrecompLimbs).Clear();
            tab[0] = 1;  // identity: y + x = 1, y - x = 1, 2dxy = 0
            tab[10] = 1;
            for (int k = 1; k < BaseEntries; k++)
            {
                ToPrecomp(out Precomp e, in pts[k - 1], in zis[k - 1]);
                long* lanes = (long*)&e;
                for (int l = 0; l < PrecompLimbs; l++)
                    tab[k * PrecompLimbs + l] = lanes[l * Width];
            }
        }
        System.Runtime.InteropServices.NativeMemory.AlignedFree(pts);
        System.Runtime.InteropServices.NativeMemory.AlignedFree(zis);
    }

    /// <summary>p as (y + x, y - x, 2dxy), affine, given <paramref name="zi"/> = 1 / p.Z.</summary>
    private static void ToPrecomp(out Precomp e, in P3 p, in Fe zi)
    {
        Mul(out Fe x, in p.X, in zi);
        Mul(out Fe y, in p.Y, in zi);
        Add(out e.YpX, in y, in x);
        Sub(out e.YmX, in y, in x);
        Mul(out Fe xy, in x, in y);
        Mul(out e.XY2d, in xy, in C->D2);
    }

    // ---- field ----

    public static void Add(out Fe h, in Fe f, in Fe g)
    {
        h.L0 = f.L0 + g.L0; h.L1 = f.L1 + g.L1; h.L2 = f.L2 + g.L2; h.L3 = f.L3 + g.L3; h.L4 = f.L4 + g.L4;
        h.L5 = f.L5 + g.L5; h.L6 = f.L6 + g.L6; h.L7 = f.L7 + g.L7; h.L8 = f.L8 + g.L8; h.L9 = f.L9 + g.L9;
    }

    public static void Sub(out Fe h, in Fe f, in Fe g)
    {
        h.L0 = f.L0 - g.L0; h.L1 = f.L1 - g.L1; h.L2 = f.L2 - g.L2; h.L3 = f.L3 - g.L3; h.L4 = f.L4 - g.L4;
        h.L5 = f.L5 - g.L5; h.L6 = f.L6 - g.L6; h.L7 = f.L7 - g.L7; h.L8 = f.L8 - g.L8; h.L9 = f.L9 - g.L9;
    }

    public static void Neg(out Fe h, in Fe f)
    {
        V z = V.Zero;
        h.L0 = z - f.L0; h.L1 = z - f.L1; h.L2 = z - f.L2; h.L3 = z - f.L3; h.L4 = z - f.L4;
        h.L5 = z - f.L5; h.L6 = z - f.L6; h.L7 = z - f.L7; h.L8 = z - f.L8; h.L9 = z - f.L9;
    }

    /// <summary>h = mask ? a : b, lane by lane.</summary>
    public static void Select(out Fe h, V mask, in Fe a, in Fe b)
    {
        h.L0 = Vector512.ConditionalSelect(mask, a.L0, b.L0); h.L1 = Vector512.ConditionalSelect(mask, a.L1, b.L1);
        h.L2 = Vector512.ConditionalSelect(mask, a.L2, b.L2); h.L3 = Vector512.ConditionalSelect(mask, a.L3, b.L3);
        h.L4 = Vector512.ConditionalSelect(mask, a.L4, b.L4); h.L5 = Vector512.ConditionalSelect(mask, a.L5, b.L5);
        h.L6 = Vector512.ConditionalSelect(mask, a.L6, b.L6); h.L7 = Vector512.ConditionalSelect(mask, a.L7, b.L7);
        h.L8 = Vector512.ConditionalSelect(mask, a.L8, b.L8); h.L9 = Vector512.ConditionalSelect(mask, a.L9, b.L9);
    }

    private static void SqN(ref Fe f, int n)
    {
        for (int i = 0; i < n; i++)
            Sq(out f, in f);
    }

    /// <summary>z^(2^250 - 1) and z^11.</summary>
    private static void Pow2250Minus1(out Fe r, out Fe z11, in Fe z)
    {
        Sq(out Fe z2, in z);
        Fe t = z2;
        SqN(ref t, 2);
        Mul(out Fe z9, in t, in z);
        Mul(out z11, in z9, in z2);
        Sq(out t, in z11);
        Mul(out Fe z5, in t, in z9);       // 2^5 - 1
        t = z5; SqN(ref t, 5);
        Mul(out Fe z10, in t, in z5);      // 2^10 - 1
        t = z10; SqN(ref t, 10);
        Mul(out Fe z20, in t, in z10);     // 2^20 - 1
        t = z20; SqN(ref t, 20);
        Mul(out Fe z40, in t, in z20);     // 2^40 - 1
        t = z40; SqN(ref t, 10);
        Mul(out Fe z50, in t, in z10);     // 2^50 - 1
        t = z50; SqN(ref t, 50);
        Mul(out Fe z100, in t, in z50);    // 2^100 - 1
        t = z100; SqN(ref t, 100);
        Mul(out Fe z200, in t, in z100);   // 2^200 - 1
        t = z200; SqN(ref t, 50);
        Mul(out r, in t, in z50);          // 2^250 - 1
    }

    /// <summary>1/z = z^(p - 2).</summary>
    public static void Invert(out Fe r, in Fe z)
    {
        Pow2250Minus1(out Fe t, out Fe z11, in z);
        SqN(ref t, 5);
        Mul(out r, in t, in z11);
    }

    /// <summary>z^((p - 5) / 8) = z^(2^252 - 3).</summary>
    private static void Pow22523(out Fe r, in Fe z)
    {
        Pow2250Minus1(out Fe t, out _, in z);
        SqN(ref t, 2);
        Mul(out r, in t, in z);
    }

    /// <summary>
    /// The canonical limbs of f (the value mod p, limb i in [0, 2^26) or [0, 2^25)): ref10's
    /// fe_tobytes without the packing, so that two canonical elements are equal iff their encodings are.
    /// </summary>
    private static void Canonical(out Fe h, in Fe f)
    {
        Carry(out Fe c, in f);
        V h0 = c.L0, h1 = c.L1, h2 = c.L2, h3 = c.L3, h4 = c.L4, h5 = c.L5, h6 = c.L6, h7 = c.L7, h8 = c.L8, h9 = c.L9;
        // q = 1 iff the carried value is at least p.
        V q = Floor25(M(h9, K19) + Vector512.Create(1L << 24));
        q = Floor26(h0 + q); q = Floor25(h1 + q); q = Floor26(h2 + q); q = Floor25(h3 + q); q = Floor26(h4 + q);
        q = Floor25(h5 + q); q = Floor26(h6 + q); q = Floor25(h7 + q); q = Floor26(h8 + q); q = Floor25(h9 + q);
        h0 += M(q, K19);
        V k;
        k = Floor26(h0); h1 += k; h0 -= k << 26;
        k = Floor25(h1); h2 += k; h1 -= k << 25;
        k = Floor26(h2); h3 += k; h2 -= k << 26;
        k = Floor25(h3); h4 += k; h3 -= k << 25;
        k = Floor26(h4); h5 += k; h4 -= k << 26;
        k = Floor25(h5); h6 += k; h5 -= k << 25;
        k = Floor26(h6); h7 += k; h6 -= k << 26;
        k = Floor25(h7); h8 += k; h7 -= k << 25;
        k = Floor26(h8); h9 += k; h8 -= k << 26;
        h.L0 = h0; h.L1 = h1; h.L2 = h2; h.L3 = h3; h.L4 = h4; h.L5 = h5; h.L6 = h6; h.L7 = h7; h.L8 = h8;
        h.L9 = h9 & Vector512.Create((1L << 25) - 1);
    }

    /// <summary>All-ones in the lanes where f is 0 mod p.</summary>
    private static V IsZero(in Fe f)
    {
        Canonical(out Fe c, in f);
        return Vector512.Equals(c.L0 | c.L1 | c.L2 | c.L3 | c.L4 | c.L5 | c.L6 | c.L7 | c.L8 | c.L9, V.Zero);
    }

    /// <summary>All-ones in the lanes where the canonical f equals g, whose limbs are already in [0, 2^26) / [0, 2^25).</summary>
    private static V CanonicalEquals(in Fe f, in Fe g) =>
        Vector512.Equals(f.L0, g.L0) & Vector512.Equals(f.L1, g.L1) & Vector512.Equals(f.L2, g.L2) & Vector512.Equals(f.L3, g.L3)
        & Vector512.Equals(f.L4, g.L4) & Vector512.Equals(f.L5, g.L5) & Vector512.Equals(f.L6, g.L6) & Vector512.Equals(f.L7, g.L7)
        & Vector512.Equals(f.L8, g.L8) & Vector512.Equals(f.L9, g.L9);

    // ---- group (the complete extended-coordinate formulas, as libsodium's) ----

    private static void ToP3(out P3 r, in P1P1 p)
    {
        Mul(out r.X, in p.X, in p.T);
        Mul(out r.Y, in p.Y, in p.Z);
        Mul(out r.Z, in p.Z, in p.T);
        Mul(out r.T, in p.X, in p.Y);
    }

    /// <summary>The (X:Y:Z) of r from p; r.T is left as it was (a doubling does not read it).</summary>
    private static void ToP2(ref P3 r, in P1P1 p)
    {
        Mul(out r.X, in p.X, in p.T);
        Mul(out r.Y, in p.Y, in p.Z);
        Mul(out r.Z, in p.Z, in p.T);
    }

    private static void ToCached(out Cached r, in P3 p)
    {
        Add(out r.YpX, in p.Y, in p.X);
        Sub(out r.YmX, in p.Y, in p.X);
        r.Z = p.Z;
        Mul(out r.T2d, in p.T, in C->D2);
    }

    /// <summary>2p, from p's X, Y, Z.</summary>
    private static void Double(out P1P1 r, in P3 p)
    {
        Sq(out Fe xx, in p.X);
        Sq(out Fe yy, in p.Y);
        Sq2(out Fe zz2, in p.Z);
        Add(out Fe xy, in p.X, in p.Y);
        Sq(out Fe xy2, in xy);
        Add(out r.Y, in yy, in xx);
        Sub(out r.Z, in yy, in xx);
        Sub(out r.X, in xy2, in r.Y);
        Sub(out r.T, in zz2, in r.Z);
    }

    /// <summary>zi[i] = 1 / p[i].Z for i below n (at least 1), with one inversion (Montgomery's trick).</summary>
    private static void InvertZ(P3* p, Fe* zi, int n)
    {
        // zi holds the prefix products first; walking down, each is read once more, then replaced.
        zi[0] = p[0].Z;
        for (int i = 1; i < n; i++)
            Mul(out zi[i], in zi[i - 1], in p[i].Z);
        Invert(out Fe inv, in zi[n - 1]);
        for (int i = n - 1; i > 0; i--)
        {
            Mul(out zi[i], in inv, in zi[i - 1]);
            Mul(out inv, in inv, in p[i].Z);
        }
        zi[0] = inv;
    }

    /// <summary>r = 2^n r (n at least 1), T included; the doublings between read and write no T.</summary>
    private static void DoubleTimes(ref P3 r, int n)
    {
        P1P1 t;
        for (int k = 1; k < n; k++)
        {
            Double(out t, in r);
            ToP2(ref r, in t);
        }
        Double(out t, in r);
        ToP3(out r, in t);
    }

    /// <summary>The neutral point (0 : 1 : 1 : 0).</summary>
    private static void Identity(out P3 r)
    {
        r.X = default;
        r.Y = C->One;
        r.Z = C->One;
        r.T = default;
    }

    private static void AddCached(out P1P1 r, in P3 p, in Cached q)
    {
        Add(out Fe t, in p.Y, in p.X);
        Mul(out Fe a, in t, in q.YpX);
        Sub(out t, in p.Y, in p.X);
        Mul(out Fe b, in t, in q.YmX);
        Mul(out Fe c, in q.T2d, in p.T);
        Mul(out Fe zz, in p.Z, in q.Z);
        Add(out Fe d, in zz, in zz);
        Sub(out r.X, in a, in b);
        Add(out r.Y, in a, in b);
        Add(out r.Z, in d, in c);
        Sub(out r.T, in d, in c);
    }

    private static void AddPrecomp(out P1P1 r, in P3 p, in Precomp q)
    {
        Add(out Fe t, in p.Y, in p.X);
        Mul(out Fe a, in t, in q.YpX);
        Sub(out t, in p.Y, in p.X);
        Mul(out Fe b, in t, in q.YmX);
        Mul(out Fe c, in q.XY2d, in p.T);
        Add(out Fe d, in p.Z, in p.Z);
        Sub(out r.X, in a, in b);
        Add(out r.Y, in a, in b);
        Add(out r.Z, in d, in c);
        Sub(out r.T, in d, in c);
    }

    /// <summary>
    /// Sets h to -(x, y) from its y (h.Y) and the sign bits (<paramref name="sign"/>, 0 or 1 per lane),
    /// as libsodium's <c>ge25519_frombytes_negate_vartime</c>; returns a mask of the lanes where x
    /// exists (the rest hold some other value, their verdict is false).
    /// </summary>
    private static bool DecodeNegated(ref P3 h, V sign) => DecodeNegated(ref h, sign, out V ok) && ok == Vector512<long>.AllBitsSet;

    private static bool DecodeNegated(ref P3 h, V sign, out V ok)
    {
        ref readonly Fe one = ref C->One;
        h.Z = one;
        Sq(out Fe yy, in h.Y);
        Sub(out Fe u, in yy, in one);             // y^2 - 1
        Mul(out Fe v, in yy, in C->D);
        Add(out v, in v, in one);                 // d y^2 + 1
        Sq(out Fe t, in v);
        Mul(out Fe v3, in t, in v);
        Sq(out t, in v3);
        Mul(out t, in t, in v);
        Mul(out Fe x, in t, in u);                // u v^7
        Pow22523(out x, in x);
        Mul(out x, in x, in v3);
        Mul(out x, in x, in u);                   // u v^3 (u v^7)^((p-5)/8)
        Sq(out Fe vxx, in x);
        Mul(out vxx, in vxx, in v);
        Sub(out Fe minus, in vxx, in u);
        Add(out Fe plus, in vxx, in u);
        V m = IsZero(in minus);
        V root = Vector512.AndNot(IsZero(in plus), m);  // v x^2 = -u: x times sqrt(-1)
        ok = m | root;
        Mul(out Fe xr, in x, in C->SqrtM1);
        Select(out x, root, in xr, in x);
        Canonical(out Fe cx, in x);
        V flip = Vector512.Equals(cx.L0 & Vector512.Create(1L), sign);
        Neg(out Fe nx, in x);
        Select(out h.X, flip, in nx, in x);
        Mul(out h.T, in h.X, in h.Y);
        return true;
    }

    /// <summary>r = the entry |digit| (identity for 0) of the table, negated where neg is set.</summary>
    private static void SelectCached(out Cached r, ref CachedTable table, V abs, V neg)
    {
        V m0 = Vector512.Equals(abs, Vector512.Create(1L)), m1 = Vector512.Equals(abs, Vector512.Create(2L));
        V m2 = Vector512.Equals(abs, Vector512.Create(3L)), m3 = Vector512.Equals(abs, Vector512.Create(4L));
        V m4 = Vector512.Equals(abs, Vector512.Create(5L)), m5 = Vector512.Equals(abs, Vector512.Create(6L));
        V m6 = Vector512.Equals(abs, Vector512.Create(7L)), m7 = Vector512.Equals(abs, Vector512.Create(8L));
        V* t = (V*)Unsafe.AsPointer(ref table);
        Unsafe.SkipInit(out r);
        V* o = (V*)Unsafe.AsPointer(ref r);
        const int n = 40;
        V one = Vector512.Create(1L);
        for (int c = 0; c < n; c++)
        {
            V acc = c == 0 || c == 10 || c == 20 ? one : V.Zero;
            acc = Vector512.ConditionalSelect(m0, t[c], acc);
            acc = Vector512.ConditionalSelect(m1, t[n + c], acc);
            acc = Vector512.ConditionalSelect(m2, t[2 * n + c], acc);
            acc = Vector512.ConditionalSelect(m3, t[3 * n + c], acc);
            acc = Vector512.ConditionalSelect(m4, t[4 * n + c], acc);
            acc = Vector512.ConditionalSelect(m5, t[5 * n + c], acc);
            acc = Vector512.ConditionalSelect(m6, t[6 * n + c], acc);
            acc = Vector512.ConditionalSelect(m7, t[7 * n + c], acc);
            o[c] = acc;
        }
        for (int l = 0; l < 10; l++)
        {
            V p = o[l], m = o[10 + l], d = o[30 + l];
            o[l] = Vector512.ConditionalSelect(neg, m, p);
            o[10 + l] = Vector512.ConditionalSelect(neg, p, m);
            o[30 + l] = Vector512.ConditionalSelect(neg, V.Zero - d, d);
        }
    }

    /// <summary>r = |digit| 2^(64 chunk) B from <see cref="BaseTable"/>, lane by lane, negated where the digit is negative.</summary>
    private static void LookupBase(out Precomp r, int chunk, ref V abs, V neg)
    {
        Unsafe.SkipInit(out r);
        long* o = (long*)Unsafe.AsPointer(ref r);
        long* a = (long*)Unsafe.AsPointer(ref abs);
        long* table = BaseTable + chunk * BaseEntries * PrecompLimbs;
        int w = Width;
        for (int j = 0; j < w; j++)
        {
            long* src = table + a[j] * PrecompLimbs;
            long* dst = o + j;
            for (int l = 0; l < PrecompLimbs; l++)
                dst[l * w] = src[l];
        }
        NegateWhere(ref r, neg);
    }

    /// <summary>
    /// r = |digit| 2^(64 chunk) (-A) from each lane's own key table (<see cref="Batch.Keys"/>),
    /// negated where the digit is negative.
    /// </summary>
    private static void LookupKey(out Precomp r, long* keys, int chunk, ref V abs, V neg)
    {
        Unsafe.SkipInit(out r);
        long* o = (long*)Unsafe.AsPointer(ref r);
        long* a = (long*)Unsafe.AsPointer(ref abs);
        int w = Width;
        for (int j = 0; j < w; j++)
        {
            long d = a[j];
            int* src = d == 0
                ? KeyIdentity
                : (int*)keys[j] + (chunk * KeyTableCache.Multiples + (int)d - 1) * KeyTableCache.EntryInts;
            long* dst = o + j;
            for (int l = 0; l < PrecompLimbs; l++)
                dst[l * w] = src[l];
        }
        NegateWhere(ref r, neg);
    }

    /// <summary>-q = (y - x, y + x, -2dxy) in the lanes where neg is set.</summary>
    private static void NegateWhere(ref Precomp q, V neg)
    {
        V* ov = (V*)Unsafe.AsPointer(ref q);
        for (int l = 0; l < 10; l++)
        {
            V p = ov[l], m = ov[10 + l], d = ov[20 + l];
            ov[l] = Vector512.ConditionalSelect(neg, m, p);
            ov[10 + l] = Vector512.ConditionalSelect(neg, p, m);
            ov[20 + l] = Vector512.ConditionalSelect(neg, V.Zero - d, d);
        }
    }

    // ---- the batch ----

    /// <summary>
    /// Fills lane <paramref name="j"/>: key <paramref name="a"/> (canonical, not small order),
    /// signature <paramref name="sig"/> (R not small order, S canonical), and h = SHA-512(R || A || M) mod L.
    /// </summary>
    public static void SetLane(Batch* b, int j, ReadOnlySpan<byte> a, ReadOnlySpan<byte> sig, ReadOnlySpan<byte> h)
    {
        Ed25519Scalar.FeFromBytes(a, (long*)&b->YA + j, Width);
        ((long*)&b->SignA)[j] = a[31] >> 7;
        SetSignature(b, j, sig, h);
    }

    /// <summary>
    /// Fills lane <paramref name="j"/> of a keyed batch: the key's table <paramref name="keyTable"/>
    /// (from <see cref="BuildKeys"/>, so the key decompressed), signature <paramref name="sig"/>
    /// (R not small order, S canonical), and h = SHA-512(R || A || M) mod L.
    /// </summary>
    public static void SetLaneKeyed(Batch* b, int j, int* keyTable, ReadOnlySpan<byte> sig, ReadOnlySpan<byte> h)
    {
        b->Keys[j] = (long)keyTable;
        SetSignature(b, j, sig, h);
    }

    /// <summary>Lane <paramref name="j"/>'s digits of h and S, and R's y and sign, for either kind of batch.</summary>
    private static void SetSignature(Batch* b, int j, ReadOnlySpan<byte> sig, ReadOnlySpan<byte> h)
    {
        int w = Width;
        Ed25519Scalar.Radix16(h, (long*)Unsafe.AsPointer(ref b->HAbs) + j, (long*)Unsafe.AsPointer(ref b->HNeg) + j, w);
        Ed25519Scalar.Radix256(sig[32..], (long*)Unsafe.AsPointer(ref b->SAbs) + j, (long*)Unsafe.AsPointer(ref b->SNeg) + j, w);
        Ed25519Scalar.FeFromBytes(sig[..32], (long*)&b->YR + j, w);
        ((long*)&b->SignR)[j] = sig[31] >> 7;
    }

    /// <summary>
    /// <see cref="Compute"/> for a keyed batch: the same R' = [h](-A) + [S]B, with h and S cut into
    /// four 64-bit chunks. Chunk c's digits are added as multiples of 2^(64 c) (-A) (the lane's key
    /// table) and 2^(64 c) B (<see cref="BaseTable"/>), so the four chunks share 60 doublings
    /// instead of 252, and the key is not decompressed again.
    /// </summary>
    public static void ComputeKeyed(Batch* b)
    {
        long* keys = b->Keys;
        const int chunks = KeyTableCache.Chunks;
        Identity(out P3 r);
        for (int i = 15; i >= 0; i--)
        {
            if (i != 15)
            {
                DoubleTimes(ref r, 4);
            }
            // h's digit i of each chunk, then (at even i) S's digit i / 2 of each chunk. The last
            // addition before a doubling or the encoding needs no T.
            bool withS = (i & 1) == 0;
            for (int c = 0; c < chunks; c++)
            {
                LookupKey(out Precomp q, keys, c, ref b->HAbs[16 * c + i], b->HNeg[16 * c + i]);
                Accumulate(ref r, in q, last: !withS && c == chunks - 1);
            }
            if (!withS)
                continue;
            for (int c = 0; c < chunks; c++)
            {
                LookupBase(out Precomp q, c, ref b->SAbs[8 * c + (i >> 1)], b->SNeg[8 * c + (i >> 1)]);
                Accumulate(ref r, in q, last: c == chunks - 1);
            }
        }
        b->X = r.X;
        b->Y = r.Y;
        b->Z = r.Z;
        b->Ok = Vector512<long>.AllBitsSet;
    }

    /// <summary>Lane <paramref name="j"/> of a key build: key <paramref name="a"/> (canonical, not small order), its table at <paramref name="dest"/>.</summary>
    public static void SetKey(KeyBuild* kb, int j, ReadOnlySpan<byte> a, int* dest)
    {
        Ed25519Scalar.FeFromBytes(a, (long*)&kb->YA + j, Width);
        ((long*)&kb->SignA)[j] = a[31] >> 7;
        kb->Dest[j] = (long)dest;
    }

    /// <summary>r += q; without r.T when <paramref name="last"/> (a doubling or the encoding comes next).</summary>
    private static void Accumulate(ref P3 r, in Precomp q, bool last)
    {
        AddPrecomp(out P1P1 t, in r, in q);
        if (last)
            ToP2(ref r, in t);
        else
            ToP3(out r, in t);
    }

    /// <summary>
    /// Builds the key table of each lane's key (as <see cref="KeyBuild.Dest"/>): decompression of -A
    /// as <see cref="Compute"/> does it, then k 2^(64 c) (-A) for k = 1..8 and c = 0..3, made affine
    /// with one shared inversion, as (y + x, y - x, 2dxy) in 32-bit limbs (a carried limb and the
    /// sum of two fit). Ok[j] = 0 where the key does not decompress; its table is not written.
    /// </summary>
    public static void BuildKeys(KeyBuild* kb, KeyScratch* s)
    {
        const int multiples = KeyTableCache.Multiples;
        const int n = KeyTableCache.Chunks * multiples;
        Unsafe.SkipInit(out P3 a);
        a.Y = kb->YA;
        DecodeNegated(ref a, kb->SignA, out V ok);
        ref KeyPoints pts = ref s->Points;
        P1P1 t;
        for (int c = 0; c < KeyTableCache.Chunks; c++)
        {
            if (c > 0)
                DoubleTimes(ref a, 64);
            int at = c * multiples;
            pts[at] = a;
            ToCached(out Cached ac, in a);
            Double(out t, in a);
            ToP3(out pts[at + 1], in t);
            for (int k = 2; k < multiples; k++)
            {
                AddCached(out t, in pts[at + k - 1], in ac);
                ToP3(out pts[at + k], in t);
            }
        }
        // A lane whose key did not decompress may hold a Z of 0; that spoils only its own lane,
        // whose table is not written.
        Fe* zis = (Fe*)Unsafe.AsPointer(ref s->Products);
        InvertZ((P3*)Unsafe.AsPointer(ref pts), zis, n);
        int w = Width;
        long* okl = (long*)&ok;
        for (int i = 0; i < n; i++)
        {
            ToPrecomp(out Precomp e, in pts[i], in zis[i]);
            long* limbs = (long*)&e;
            for (int j = 0; j < w; j++)
            {
                if (okl[j] == 0)
                    continue;
                int* dst = (int*)kb->Dest[j] + i * KeyTableCache.EntryInts;
                for (int l = 0; l < PrecompLimbs; l++)
                    dst[l] = (int)limbs[l * w + j];
            }
        }
        for (int j = 0; j < w; j++)
            kb->Ok[j] = okl[j] != 0 ? (byte)1 : (byte)0;
    }

    /// <summary>Verifies the batch's lanes: b->Valid[j] = 1 where lane j's signature holds, else 0.</summary>
    public static void Run(Batch* b)
    {
        Compute(b);
        Complete(b);
    }

    /// <summary>The verdicts of a batch whose <see cref="Compute"/> is done.</summary>
    public static void Complete(Batch* b)
    {
        Invert(out Fe zi, in b->Z);
        Finish(b, in zi);
    }

    /// <summary>
    /// <see cref="Run"/> for two batches whose <see cref="Compute"/> is done, sharing one inversion
    /// (1/Z1 = Z2 / (Z1 Z2)). A lane whose Z is 0 mod p (only where A was off the curve) takes the
    /// inverse 0, as a lone inversion gives, and a factor 1 in the product, so that no lane's
    /// verdict depends on the other batch.
    /// </summary>
    public static void Run2(Batch* b1, Batch* b2)
    {
        ref readonly Fe one = ref C->One;
        V z1 = IsZero(in b1->Z), z2 = IsZero(in b2->Z);
        Select(out Fe f1, z1, in one, in b1->Z);
        Select(out Fe f2, z2, in one, in b2->Z);
        Mul(out Fe t, in f1, in f2);
        Invert(out Fe ti, in t);
        Mul(out Fe i1, in ti, in f2);
        Mul(out Fe i2, in ti, in f1);
        Fe zero = default;
        Select(out i1, z1, in zero, in i1);
        Select(out i2, z2, in zero, in i2);
        Finish(b1, in i1);
        Finish(b2, in i2);
    }

    /// <summary>Everything but the final inversion: b->X, Y, Z, Ok.</summary>
    public static void Compute(Batch* b)
    {
        Unsafe.SkipInit(out P3 negA);
        negA.Y = b->YA;
        DecodeNegated(ref negA, b->SignA, out V ok);

        ref CachedTable table = ref b->Table;
        ToCached(out table[0], in negA);
        Double(out P1P1 t, in negA);
        ToP3(out P3 acc, in t);
        ToCached(out table[1], in acc);
        for (int k = 2; k < 8; k++)
        {
            AddCached(out t, in acc, in table[0]);
            ToP3(out acc, in t);
            ToCached(out table[k], in acc);
        }

        Identity(out P3 r);
        for (int i = 63; i >= 0; i--)
        {
            if (i != 63)
            {
                DoubleTimes(ref r, 4);
            }
            SelectCached(out Cached c, ref table, b->HAbs[i], b->HNeg[i]);
            AddCached(out t, in r, in c);
            // S has a radix-256 digit at every other radix-16 position of h. Whatever comes next
            // here, a doubling or the encoding, reads no T.
            if ((i & 1) != 0)
            {
                ToP2(ref r, in t);
                continue;
            }
            ToP3(out r, in t);
            LookupBase(out Precomp pc, 0, ref b->SAbs[i >> 1], b->SNeg[i >> 1]);
            AddPrecomp(out t, in r, in pc);
            ToP2(ref r, in t);
        }
        b->X = r.X;
        b->Y = r.Y;
        b->Z = r.Z;
        b->Ok = ok;
    }

    /// <summary>b->Valid from the computed point and <paramref name="zi"/> = 1 / b->Z.</summary>
    private static void Finish(Batch* b, in Fe zi)
    {
        Mul(out Fe x, in b->X, in zi);
        Mul(out Fe y, in b->Y, in zi);
        // encode(R') == R bytes: canonical y' against R's 255 low bits split alike (a y >= p in R
        // matches no canonical y'), and the parity of x' against R's bit 255.
        Canonical(out Fe cy, in y);
        Canonical(out Fe cx, in x);
        V valid = b->Ok & CanonicalEquals(in cy, in b->YR) & Vector512.Equals(cx.L0 & Vector512.Create(1L), b->SignR);
        long* vp = (long*)&valid;
        for (int j = 0; j < Width; j++)
            b->Valid[j] = vp[j] != 0 ? (byte)1 : (byte)0;
    }
}
