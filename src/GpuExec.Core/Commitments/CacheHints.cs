using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace GpuExec.Commitments;

/// <summary>
/// Prefetches for the state tree's loops over nodes and buckets scattered over memory the size of
/// the state: each starts a load into the processor's cache and returns at once. A hint never
/// fails; one at an address the collector has since moved only wastes itself.
/// </summary>
internal static unsafe class CacheHints
{
    /// <summary>Byte <paramref name="at"/> of <paramref name="array"/> (ignored outside it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Byte(byte[] array, long at)
    {
        if (Sse.IsSupported && (ulong)at < (ulong)array.Length) Sse.Prefetch0(Unsafe.AsPointer(ref array[at]));
    }

    /// <summary>The slot <paramref name="slot"/> refers to (an element of an array of references, say), not what it refers to.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void At<T>(ref T slot)
    {
        if (Sse.IsSupported) Sse.Prefetch0(Unsafe.AsPointer(ref slot));
    }

    /// <summary>The first 256 bytes of the array <paramref name="leaves"/> (its header and first leaves); nothing for null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Leaves(TreeLeaf[]? leaves)
    {
        if (!Sse.IsSupported || leaves is null) return;
        // The array's address, not its length: reading the length would wait for the very load the hint starts.
        byte* p = (byte*)Unsafe.As<TreeLeaf[], nint>(ref leaves);
        for (int o = 0; o < 256; o += 64) Sse.Prefetch0(p + o);
    }
}
