using System.Buffers.Binary;
using System.Numerics;

namespace GpuExec.Engine.Verify;

/// <summary>
/// Keccak-256 as Ethereum uses it (the original Keccak padding 0x01, not SHA3-256's 0x06), a
/// plain host implementation: the CPU path and the oracle of the Keccak kernel.
/// </summary>
internal static class KeccakReference
{
    private const int Rate = 136;

    private static readonly ulong[] RoundConstants = Kernels.Verify.KeccakState.RoundConstants();

    // rho offsets by lane index x + 5y, and pi: lane x + 5y moves to y + 5((2x + 3y) mod 5)
    private static readonly int[] Rho = ComputeRho();

    private static int[] ComputeRho()
    {
        var r = new int[25];
        int x = 1, y = 0;
        for (int t = 0; t < 24; t++)
        {
            r[x + 5 * y] = (t + 1) * (t + 2) / 2 % 64;
            (x, y) = (y, (2 * x + 3 * y) % 5);
        }
        return r;
    }

    public static void Hash(ReadOnlySpan<byte> data, Span<byte> digest)
    {
        if (digest.Length < 32)
            throw new ArgumentException("Keccak-256 digests are 32 bytes", nameof(digest));
        Span<ulong> a = stackalloc ulong[25];
        a.Clear();
        Span<byte> last = stackalloc byte[Rate];
        while (data.Length >= Rate)
        {
            Absorb(a, data[..Rate]);
            data = data[Rate..];
        }
        last.Clear();
        data.CopyTo(last);
        last[data.Length] ^= 0x01;
        last[Rate - 1] ^= 0x80;
        Absorb(a, last);
        for (int i = 0; i < 4; i++)
            BinaryPrimitives.WriteUInt64LittleEndian(digest[(8 * i)..], a[i]);
    }

    private static void Absorb(Span<ulong> a, ReadOnlySpan<byte> block)
    {
        for (int i = 0; i < Rate / 8; i++)
            a[i] ^= BinaryPrimitives.ReadUInt64LittleEndian(block[(8 * i)..]);
        Permute(a);
    }

    private static void Permute(Span<ulong> a)
    {
        Span<ulong> c = stackalloc ulong[5];
        Span<ulong> b = stackalloc ulong[25];
        for (int round = 0; round < 24; round++)
        {
            for (int x = 0; x < 5; x++)
                c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
            for (int x = 0; x < 5; x++)
            {
                ulong d = c[(x + 4) % 5] ^ BitOperations.RotateLeft(c[(x + 1) % 5], 1);
                for (int y = 0; y < 25; y += 5)
                    a[x + y] ^= d;
            }
            for (int x = 0; x < 5; x++)
                for (int y = 0; y < 5; y++)
                    b[y + 5 * ((2 * x + 3 * y) % 5)] = BitOperations.RotateLeft(a[x + 5 * y], Rho[x + 5 * y]);
            for (int y = 0; y < 25; y += 5)
                for (int x = 0; x < 5; x++)
                    a[x + y] = b[x + y] ^ (~b[(x + 1) % 5 + y] & b[(x + 2) % 5 + y]);
            a[0] ^= RoundConstants[round];
        }
    }
}
