using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using V = System.Runtime.Intrinsics.Vector512<long>;

namespace GpuExec.Engine.Verify.Simd;

/// <summary>
/// SHA-512 of one message per 64-bit lane (the R || A || M of each signature of a batch), so that
/// hashing costs a fraction of a one-message call. Messages of different lengths share the
/// rounds; a lane whose message has ended keeps its state. Sha512Lanes256.Generated.cs is this file
/// for Vector256 (tools/gen-simd-verifier.py).
/// </summary>
internal static unsafe partial class Lanes512
{
    private static readonly ulong[] K512 = Sha512Constants(80, 3);
    private static readonly ulong[] H512 = Sha512Constants(8, 2);

    /// <summary>The first 64 fractional bits of the square (root 2) or cube (root 3) roots of the first primes.</summary>
    private static ulong[] Sha512Constants(int count, int root)
    {
        var r = new ulong[count];
        int found = 0;
        for (int n = 2; found < count; n++)
        {
            bool prime = true;
            for (int d = 2; d * d <= n; d++)
                prime &= n % d != 0;
            if (!prime)
                continue;
            // floor(n^(1/root) * 2^64) mod 2^64 = the integer root of n * 2^(64 root), low 64 bits.
            var x = new BigInteger(n) << (64 * root);
            var y = BigInteger.One << (int)((x.GetBitLength() + root - 1) / root);
            while (true)
            {
                var next = ((root - 1) * y + x / BigInteger.Pow(y, root - 1)) / root;
                if (next >= y)
                    break;
                y = next;
            }
            r[found++] = (ulong)(y & ulong.MaxValue);
        }
        return r;
    }

    /// <summary>
    /// digests[64 j ..] = SHA-512 of lane j's padded message at <paramref name="msgs"/> + j * <paramref name="stride"/>
    /// (<paramref name="blocks"/>[j] blocks; every lane's buffer holds at least the largest count of blocks).
    /// </summary>
    public static void Sha512(byte* msgs, int stride, int* blocks, byte* digests)
    {
        int w = Width;
        int max = 0;
        V count;
        long* cp = (long*)&count;
        for (int j = 0; j < w; j++)
        {
            max = Math.Max(max, blocks[j]);
            cp[j] = blocks[j];
        }
        V a = Vector512.Create((long)H512[0]), b = Vector512.Create((long)H512[1]);
        V c = Vector512.Create((long)H512[2]), d = Vector512.Create((long)H512[3]);
        V e = Vector512.Create((long)H512[4]), f = Vector512.Create((long)H512[5]);
        V g = Vector512.Create((long)H512[6]), h = Vector512.Create((long)H512[7]);
        V* m = stackalloc V[16];
        long* mw = (long*)m;
        ref ulong k = ref K512[0];
        for (int blk = 0; blk < max; blk++)
        {
            for (int j = 0; j < w; j++)
            {
                ulong* src = (ulong*)(msgs + j * stride + blk * 128);
                for (int t = 0; t < 16; t++)
                    mw[t * w + j] = (long)BinaryPrimitives.ReverseEndianness(src[t]);
            }
            V a0 = a, b0 = b, c0 = c, d0 = d, e0 = e, f0 = f, g0 = g, h0 = h;
            for (int t = 0; t < 80; t++)
            {
                V wt;
                if (t < 16)
                {
                    wt = m[t];
                }
                else
                {
                    V w2 = m[(t - 2) & 15], w15 = m[(t - 15) & 15];
                    V s0 = Rotr(w15, 1) ^ Rotr(w15, 8) ^ (w15 >>> 7);
                    V s1 = Rotr(w2, 19) ^ Rotr(w2, 61) ^ (w2 >>> 6);
                    wt = m[t & 15] = m[t & 15] + s0 + m[(t - 7) & 15] + s1;
                }
                V t1 = h + (Rotr(e, 14) ^ Rotr(e, 18) ^ Rotr(e, 41)) + Vector512.ConditionalSelect(e, f, g)
                    + Vector512.Create((long)Unsafe.Add(ref k, t)) + wt;
                V t2 = (Rotr(a, 28) ^ Rotr(a, 34) ^ Rotr(a, 39)) + Vector512.ConditionalSelect(a ^ b, c, a);
                h = g; g = f; f = e; e = d + t1;
                d = c; c = b; b = a; a = t1 + t2;
            }
            // Lanes whose message has ended keep their state.
            V live = Vector512.GreaterThan(count, Vector512.Create((long)blk));
            a = Vector512.ConditionalSelect(live, a + a0, a0); b = Vector512.ConditionalSelect(live, b + b0, b0);
            c = Vector512.ConditionalSelect(live, c + c0, c0); d = Vector512.ConditionalSelect(live, d + d0, d0);
            e = Vector512.ConditionalSelect(live, e + e0, e0); f = Vector512.ConditionalSelect(live, f + f0, f0);
            g = Vector512.ConditionalSelect(live, g + g0, g0); h = Vector512.ConditionalSelect(live, h + h0, h0);
        }
        V* st = stackalloc V[8];
        st[0] = a; st[1] = b; st[2] = c; st[3] = d; st[4] = e; st[5] = f; st[6] = g; st[7] = h;
        long* sw = (long*)st;
        for (int j = 0; j < w; j++)
        {
            ulong* dst = (ulong*)(digests + 64 * j);
            for (int i = 0; i < 8; i++)
                dst[i] = BinaryPrimitives.ReverseEndianness((ulong)sw[i * w + j]);
        }
    }
}
