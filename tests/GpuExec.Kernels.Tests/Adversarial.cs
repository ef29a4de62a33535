using System.Numerics;
using GpuExec.Crypto;
using GpuExec.Kernels.Verify;

namespace GpuExec.Kernels.Tests;

/// <summary>
/// Signature cases built to hit each rule of libsodium's verifier. The expected verdict of every
/// case is libsodium's own (called here), never a hand-written guess.
/// </summary>
public static class Adversarial
{
    private static readonly BigInteger P = BigInteger.Pow(2, 255) - 19;
    private static readonly BigInteger L = BigInteger.Pow(2, 252) + BigInteger.Parse("27742317777372353535851937790883648493");

    /// <summary>libsodium's small-order blocklist (sign bit ignored).</summary>
    public static readonly string[] SmallOrderEncodings =
    [
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ];

    public static bool IsSmallOrderEncoding(ReadOnlySpan<byte> s)
    {
        var masked = s.ToArray();
        masked[31] &= 0x7F;
        string hex = Convert.ToHexStringLower(masked);
        return SmallOrderEncodings.Contains(hex);
    }

    public static bool IsCanonicalY(ReadOnlySpan<byte> s)
    {
        var b = s.ToArray();
        b[31] &= 0x7F;
        return new BigInteger(b, isUnsigned: true) < P;
    }

    private static SigVector Judge(string id, byte[] pk, byte[] msg, byte[] sig) =>
        new("adversarial", id, pk, msg, sig, Libsodium.Ed25519Verify(pk, msg, sig));

    private static (byte[] Pk, byte[] Sk) Key(Random r)
    {
        var seed = new byte[32];
        r.NextBytes(seed);
        var pk = new byte[32];
        var sk = new byte[64];
        Libsodium.Ed25519KeyPairFromSeed(seed, pk, sk);
        return (pk, sk);
    }

    private static byte[] Sign(byte[] sk, byte[] msg)
    {
        var sig = new byte[64];
        Libsodium.Ed25519Sign(sk, msg, sig);
        return sig;
    }

    /// <summary>Valid signatures on random messages (lengths around SHA-512 block edges) and one-bit mutations of R, S, A and M.</summary>
    public static IReadOnlyList<SigVector> RandomAndMutated(int seed, int count)
    {
        var r = new Random(seed);
        int[] lengths = [0, 1, 47, 48, 63, 64, 111, 112, 127, 128, 200, 239, 240, 500];
        var list = new List<SigVector>();
        for (int i = 0; i < count; i++)
        {
            var (pk, sk) = Key(r);
            var msg = new byte[lengths[i % lengths.Length] + (i / lengths.Length)];
            r.NextBytes(msg);
            var sig = Sign(sk, msg);
            list.Add(Judge($"random-{i}", pk, msg, sig));
            int bit = r.Next(256);
            var badR = (byte[])sig.Clone(); badR[bit / 8] ^= (byte)(1 << (bit % 8));
            list.Add(Judge($"random-{i}-R-bit{bit}", pk, msg, badR));
            var badS = (byte[])sig.Clone(); badS[32 + bit / 8] ^= (byte)(1 << (bit % 8));
            list.Add(Judge($"random-{i}-S-bit{bit}", pk, msg, badS));
            var badA = (byte[])pk.Clone(); badA[bit / 8] ^= (byte)(1 << (bit % 8));
            list.Add(Judge($"random-{i}-A-bit{bit}", badA, msg, sig));
            if (msg.Length > 0)
            {
                var badM = (byte[])msg.Clone();
                int mb = r.Next(msg.Length * 8);
                badM[mb / 8] ^= (byte)(1 << (mb % 8));
                list.Add(Judge($"random-{i}-M-bit{mb}", pk, badM, sig));
            }
        }
        return list;
    }

    private static byte[] Bytes(BigInteger v, bool sign = false)
    {
        var b = new byte[32];
        v.TryWriteBytes(b, out _, isUnsigned: true);
        if (sign) b[31] |= 0x80;
        return b;
    }

    /// <summary>The encoding of the point with encoding <paramref name="a"/> plus the point with encoding <paramref name="t"/> (host use of the kernel's group code).</summary>
    public static byte[] AddPoints(byte[] a, byte[] t)
    {
        U256 ua = FieldHostTests.ToU256(new BigInteger(a, isUnsigned: true));
        U256 ut = FieldHostTests.ToU256(new BigInteger(t, isUnsigned: true));
        if (!Ge25519.DecodeNegated(ua, out var na) || !Ge25519.DecodeNegated(ut, out var nt))
            throw new ArgumentException("not on the curve");
        var sum = Ge25519.ToP3(Ge25519.Add(na, Ge25519.ToCached(nt), false)); // -(a + t)
        var enc = Ge25519.Encode(Fe.Neg(sum.X), sum.Y, sum.Z);
        return Bytes(FieldHostTests.ToBig(enc));
    }

    /// <summary>Small-order and mixed-order A and R, S + L, high S bits, y &gt;= p encodings, keys off the curve.</summary>
    public static IReadOnlyList<SigVector> Constructed()
    {
        var r = new Random(11);
        var list = new List<SigVector>();
        var (pk, sk) = Key(r);
        var msg = "adversarial"u8.ToArray();
        var sig = Sign(sk, msg);
        list.Add(Judge("baseline", pk, msg, sig));

        // small-order A and R (both sign bits)
        foreach (var hex in SmallOrderEncodings)
            foreach (bool sign in new[] { false, true })
            {
                var e = Convert.FromHexString(hex);
                if (sign) e[31] |= 0x80;
                list.Add(Judge($"small-A-{hex[..8]}-{sign}", e, msg, sig));
                var s2 = (byte[])sig.Clone();
                e.CopyTo(s2, 0);
                list.Add(Judge($"small-R-{hex[..8]}-{sign}", pk, msg, s2));
            }

        // S + L and S with the top nibble set
        var sBig = new BigInteger(sig.AsSpan(32, 32), isUnsigned: true);
        var sPlusL = (byte[])sig.Clone();
        Bytes(sBig + L).CopyTo(sPlusL, 32);
        list.Add(Judge("S+L", pk, msg, sPlusL));
        var sHigh = (byte[])sig.Clone();
        sHigh[63] |= 0xF0;
        list.Add(Judge("S-high-nibble", pk, msg, sHigh));
        var sIsL = (byte[])sig.Clone();
        Bytes(L).CopyTo(sIsL, 32);
        list.Add(Judge("S=L", pk, msg, sIsL));
        var sLm1 = (byte[])sig.Clone();
        Bytes(L - 1).CopyTo(sLm1, 32);
        list.Add(Judge("S=L-1", pk, msg, sLm1));

        // y >= p encodings (non-canonical) for A and R, both signs
        for (int k = 0; k < 19; k++)
            foreach (bool sign in new[] { false, true })
            {
                var e = Bytes(P + k, sign);
                list.Add(Judge($"A=p+{k}-{sign}", e, msg, sig));
                var s2 = (byte[])sig.Clone();
                e.CopyTo(s2, 0);
                list.Add(Judge($"R=p+{k}-{sign}", pk, msg, s2));
            }
        // the canonical twin of a valid R with the sign bit on x = 0 (y = 1 / y = -1 are blocklisted already)

        // keys off the curve (random y without a square root), and random keys on it
        int off = 0;
        for (int i = 0; i < 200 && off < 6; i++)
        {
            var e = new byte[32];
            r.NextBytes(e);
            e[31] &= 0x7F;
            if (!IsCanonicalY(e) || IsSmallOrderEncoding(e))
                continue;
            var v = Judge($"random-key-{i}", e, msg, sig);
            if (!OnCurve(e)) { off++; list.Add(v with { Id = $"off-curve-{i}" }); }
        }

        // mixed-order A = A + T (T of order 8 or 4 or 2): libsodium accepts iff h(T) = 0, i.e. for
        // about 1 in 8 messages; R + T (mixed-order R) is always rejected.
        string[] torsion = [SmallOrderEncodings[2], SmallOrderEncodings[3], SmallOrderEncodings[4], SmallOrderEncodings[0]];
        int accepted = 0;
        for (int i = 0; i < 40; i++)
        {
            var t = Convert.FromHexString(torsion[i % torsion.Length]);
            var (pk2, sk2) = Key(r);
            var m2 = new byte[i + 3];
            r.NextBytes(m2);
            var mixedA = AddPoints(pk2, t);
            // sign for the mixed-order key: S = r + H(R || A' || M) a, with A' = aB + T in the hash
            var sig2 = SignFor(sk2, mixedA, m2, r);
            var v = Judge($"mixed-A-{i}", mixedA, m2, sig2);
            if (v.Valid) accepted++;
            list.Add(v);
            var mixedR = (byte[])sig2.Clone();
            AddPoints(sig2[..32], t).CopyTo(mixedR, 0);
            list.Add(Judge($"mixed-R-{i}", pk2, m2, mixedR));
        }
        _ = accepted;
        return list;
    }

    private static byte[] BaseMul(BigInteger k)
    {
        var enc = new U256(0x66666658, 0x66666666, 0x66666666, 0x66666666, 0x66666666, 0x66666666, 0x66666666, 0x66666666);
        Ge25519.DecodeNegated(enc, out var nb);
        var acc = Ge25519.Identity;
        var nbc = Ge25519.ToCached(nb);
        for (int bit = 255; bit >= 0; bit--)
        {
            acc = Ge25519.ToP3(Ge25519.Double(Ge25519.ToP2(acc)));
            if (!(k >> bit).IsEven)
                acc = Ge25519.ToP3(Ge25519.Add(acc, nbc, true)); // minus (-B)
        }
        return Bytes(FieldHostTests.ToBig(Ge25519.Encode(acc.X, acc.Y, acc.Z)));
    }

    /// <summary>An Ed25519 signature by secret key <paramref name="sk"/> whose hash binds <paramref name="publicKey"/> instead of the key's own.</summary>
    public static byte[] SignFor(byte[] sk, byte[] publicKey, byte[] msg, Random rnd)
    {
        var hs = System.Security.Cryptography.SHA512.HashData(sk.AsSpan(0, 32));
        hs[0] &= 248; hs[31] &= 127; hs[31] |= 64;
        var a = new BigInteger(hs.AsSpan(0, 32), isUnsigned: true);
        var rb = new byte[64];
        rnd.NextBytes(rb);
        var rs = new BigInteger(rb, isUnsigned: true) % L;
        var R = BaseMul(rs);
        var h = new BigInteger(System.Security.Cryptography.SHA512.HashData([.. R, .. publicKey, .. msg]), isUnsigned: true) % L;
        var S = (rs + h * a) % L;
        return [.. R, .. Bytes(S)];
    }

    /// <summary>Whether y (sign bit ignored) has an x on the curve.</summary>
    public static bool OnCurve(byte[] enc)
    {
        var b = (byte[])enc.Clone();
        b[31] &= 0x7F;
        var y = new BigInteger(b, isUnsigned: true) % P;
        var d = (P - 121665 * BigInteger.ModPow(121666, P - 2, P) % P) % P;
        var u = ((y * y - 1) % P + P) % P;
        var v = (d * y * y + 1) % P;
        var x2 = u * BigInteger.ModPow(v, P - 2, P) % P;
        return x2 == 0 || BigInteger.ModPow(x2, (P - 1) / 2, P) == 1;
    }
}
