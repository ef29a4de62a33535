using System.Runtime.InteropServices;
using GpuExec.Kernels.Verify;
using ILGPU;

namespace GpuExec.Kernels.StateRoot;

/// <summary>
/// One hash of the state tree's update, 12 bytes: <c>H(prefix || slot A || slot B)</c> into slot
/// <c>Out</c>, each slot 32 bytes of the values buffer.
/// <code>
/// 0    4    8    12
/// | A  | B  | Out|
/// </code>
/// The same layout as the host's plan jobs, so a plan's jobs upload as they are.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal struct TreeJob
{
    public int A, B, Out;
}

/// <summary>
/// The state root's per-block update on a device (SPEC section 6): one launch per wave of the
/// host's plan, one thread per hash, every message 65 bytes: a prefix byte (0x00 for a leaf,
/// <c>key || value_hash</c>; 0x01 for an internal node, <c>left || right</c>) and two 32-byte slots
/// of the values buffer. A wave only reads slots that the host uploaded or an earlier wave wrote,
/// and writes slots no one else in it touches.
/// </summary>
internal static class StateRootKernels
{
    /// <summary>values[Out] = SHA-256(prefix || values[A] || values[B]) for job i of the wave.</summary>
    public static void Wave(Index1D i, ArrayView<byte> values, ArrayView<TreeJob> jobs, int prefix, ArrayView<uint> k)
    {
        TreeJob j = jobs[i];
        var m = new MessageSpec { PrefixLength = 1, Prefix = prefix, Off0 = j.A * 32, Len0 = 32, Off1 = j.B * 32, Len1 = 32 };
        Sha256.Store(Sha256.Hash(values, m, k), values, (long)j.Out * 32);
    }
}
