using System.Numerics;
using System.Runtime.CompilerServices;

namespace GpuExec.Generation;

/// <summary>
/// xoshiro256** seeded through SplitMix64: the same seed gives the same stream on every
/// platform and runtime (System.Random makes no such promise across versions).
/// </summary>
public sealed class DeterministicRandom
{
    private ulong _s0, _s1, _s2, _s3;

    public DeterministicRandom(ulong seed)
    {
        _s0 = SplitMix(ref seed); _s1 = SplitMix(ref seed); _s2 = SplitMix(ref seed); _s3 = SplitMix(ref seed);
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextU64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3; _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, bound), bound &gt; 0 (Lemire's method, unbiased).</summary>
    public ulong Below(ulong bound)
    {
        if (bound == 0) throw new ArgumentOutOfRangeException(nameof(bound));
        UInt128 m = (UInt128)NextU64() * bound;
        ulong low = (ulong)m;
        if (low < bound)
        {
            ulong threshold = (0 - bound) % bound;
            while (low < threshold)
            {
                m = (UInt128)NextU64() * bound;
                low = (ulong)m;
            }
        }
        return (ulong)(m >> 64);
    }

    public int Below(int bound) => (int)Below((ulong)bound);

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextU64() >> 11) * (1.0 / (1UL << 53));

    public bool Chance(double p) => NextDouble() < p;

    public void Fill(Span<byte> dest)
    {
        while (dest.Length >= 8) { System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(dest, NextU64()); dest = dest[8..]; }
        if (dest.Length > 0) { Span<byte> b = stackalloc byte[8]; System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(b, NextU64()); b[..dest.Length].CopyTo(dest); }
    }
}

/// <summary>Zipf-distributed ranks 0..n-1 with exponent <c>s</c> (s = 0 is uniform), by inverse CDF.</summary>
public sealed class ZipfSampler
{
    private readonly double[]? _cdf;
    private readonly int _n;

    public ZipfSampler(int n, double s)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n));
        if (s < 0 || double.IsNaN(s)) throw new ArgumentOutOfRangeException(nameof(s), "skew must be >= 0");
        _n = n;
        if (s == 0) return;
        _cdf = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) { sum += 1.0 / Math.Pow(i + 1, s); _cdf[i] = sum; }
        for (int i = 0; i < n; i++) _cdf[i] /= sum;
    }

    public int Next(DeterministicRandom rng)
    {
        if (_cdf is null) return rng.Below(_n);
        double u = rng.NextDouble();
        int i = Array.BinarySearch(_cdf, u);
        if (i < 0) i = ~i;
        return Math.Min(i, _n - 1);
    }
}
