using System.Numerics;
using GpuExec.Kernels.Verify;

namespace GpuExec.Kernels.Tests;

/// <summary>The kernel arithmetic is plain C# over structs: checked here on the host against BigInteger.</summary>
public class FieldHostTests
{
    private static readonly BigInteger P = BigInteger.Pow(2, 255) - 19;
    private static readonly BigInteger L = BigInteger.Pow(2, 252) + BigInteger.Parse("27742317777372353535851937790883648493");

    internal static U256 ToU256(BigInteger v)
    {
        var b = new byte[32];
        v.TryWriteBytes(b, out _, isUnsigned: true);
        return new U256(BitConverter.ToUInt32(b, 0), BitConverter.ToUInt32(b, 4), BitConverter.ToUInt32(b, 8), BitConverter.ToUInt32(b, 12),
            BitConverter.ToUInt32(b, 16), BitConverter.ToUInt32(b, 20), BitConverter.ToUInt32(b, 24), BitConverter.ToUInt32(b, 28));
    }

    internal static BigInteger ToBig(U256 u)
    {
        var b = new byte[32];
        for (int i = 0; i < 8; i++)
            BitConverter.TryWriteBytes(b.AsSpan(4 * i), u.Word(i));
        return new BigInteger(b, isUnsigned: true);
    }

    private static BigInteger Val(Fe f) => ToBig(Fe.ToBytes(f));

    private static BigInteger Rand(Random r, int bytes)
    {
        var b = new byte[bytes];
        r.NextBytes(b);
        return new BigInteger(b, isUnsigned: true);
    }

    [Fact]
    public void Mul_sq_invert_and_encoding_agree_with_BigInteger()
    {
        var r = new Random(1);
        var special = new[] { BigInteger.Zero, BigInteger.One, P - 1, P - 2, BigInteger.Pow(2, 255) - 1, P, P + 1, BigInteger.Pow(2, 254) };
        for (int t = 0; t < 500; t++)
        {
            BigInteger a = t < special.Length ? special[t] : Rand(r, 32) & (BigInteger.Pow(2, 255) - 1);
            BigInteger b = Rand(r, 32) & (BigInteger.Pow(2, 255) - 1);
            Fe fa = Fe.FromBytes(ToU256(a)), fb = Fe.FromBytes(ToU256(b));
            Assert.Equal(a % P, Val(fa));
            Assert.Equal(a * b % P, Val(Fe.Mul(fa, fb)));
            Assert.Equal(a * a % P, Val(Fe.Sq(fa)));
            Assert.Equal(2 * a * a % P, Val(Fe.Sq2(fa)));
            Assert.Equal(((a - b) % P + P) % P, Val(Fe.Sub(fa, fb)));
            Assert.Equal((a + b) % P, Val(Fe.Add(fa, fb)));
            // sums of three carried elements must still multiply correctly (point formulas)
            Fe s3 = Fe.Add(Fe.Add(Fe.Mul(fa, fb), Fe.Mul(fa, fb)), Fe.Neg(Fe.Sq(fb)));
            BigInteger v3 = ((2 * a * b - b * b) % P + P) % P;
            Assert.Equal(v3 * v3 % P, Val(Fe.Sq(s3)));
            Assert.Equal(v3 * a % P, Val(Fe.Mul(s3, fa)));
            if (a % P != 0)
                Assert.Equal(BigInteger.ModPow(a, P - 2, P), Val(Fe.Invert(fa)));
            Assert.Equal(BigInteger.ModPow(a, (P - 5) / 8, P), Val(Fe.Pow22523(fa)));
        }
        Assert.Equal(BigInteger.ModPow(2, (P - 1) / 4, P), Val(Fe.SqrtM1));
        Assert.Equal((P - 121665 * BigInteger.ModPow(121666, P - 2, P) % P) % P, Val(Fe.D));
    }

    [Fact]
    public void Digest_reduction_mod_L_agrees_with_BigInteger()
    {
        var r = new Random(2);
        for (int t = 0; t < 2000; t++)
        {
            var bytes = new byte[64];
            if (t == 0) Array.Fill(bytes, (byte)0xFF);
            else if (t == 1) Array.Fill(bytes, (byte)0);
            else if (t < 40) { r.NextBytes(bytes); for (int k = t; k < 64; k++) bytes[k] = 0; }
            else r.NextBytes(bytes);
            var h = new Sha512State();
            ulong W(int k) => System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(8 * k));
            h.H0 = W(0); h.H1 = W(1); h.H2 = W(2); h.H3 = W(3); h.H4 = W(4); h.H5 = W(5); h.H6 = W(6); h.H7 = W(7);
            var x = new BigInteger(bytes, isUnsigned: true);
            Assert.Equal(x % L, ToBig(Scalar25519.ReduceDigest(h)));
        }
    }

    [Theory]
    [InlineData(5)]
    [InlineData(8)]
    public void Wnaf_digits_recompose_the_scalar_and_are_sparse(int w)
    {
        var r = new Random(3);
        for (int t = 0; t < 300; t++)
        {
            BigInteger s = t switch
            {
                0 => L - 1,
                1 => 0,
                2 => BigInteger.Pow(2, 253) - 1,                                 // runs of ones across words
                3 => BigInteger.Pow(2, 252) + (BigInteger.Pow(2, 128) - 1) * BigInteger.Pow(2, 60),
                _ => Rand(r, 32) % L,
            };
            var naf = Wnaf.From(ToU256(s), w);
            BigInteger back = 0;
            int lastNonzero = int.MaxValue;
            for (int i = 255; i >= 0; i--)
            {
                int d = ((naf.Markers(i >> 6) >> (i & 63)) & 1) != 0 ? naf.DigitAt(i, w) : 0;
                if (d != 0)
                {
                    Assert.True(d % 2 != 0 && Math.Abs(d) < 1 << (w - 1), $"digit {d}");
                    Assert.True(lastNonzero - i >= w, "two nonzero digits closer than w");
                    lastNonzero = i;
                }
                back = back * 2 + d;
            }
            Assert.Equal(s, back);
        }
    }

    [Fact]
    public void Base_table_holds_the_odd_multiples_of_B()
    {
        var table = Ge25519.BaseTable();
        // 1B: y = 4/5, and y+x, y-x consistent
        BigInteger y = 4 * BigInteger.ModPow(5, P - 2, P) % P;
        BigInteger yPlusX = Val(table[0].YPlusX), yMinusX = Val(table[0].YMinusX);
        Assert.Equal(y, (yPlusX + yMinusX) * BigInteger.ModPow(2, P - 2, P) % P);
        Assert.Equal(64, table.Length);
    }
}
