using System.Numerics;
using GpuExec.Kernels.Verify;

namespace GpuExec.Kernels.Tests;

/// <summary>The two conversions the linked <c>Adversarial.cs</c> takes from the kernel tests' FieldHostTests (whose tests stay there).</summary>
internal static class FieldHostTests
{
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
}
