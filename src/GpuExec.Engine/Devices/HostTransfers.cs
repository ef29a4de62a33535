using ILGPU;
using ILGPU.Runtime;

namespace GpuExec.Engine.Devices;

/// <summary>
/// Asynchronous copies between a device view and part of a page-locked host array, on a stream.
/// They go through the host element's address and the element count, never through a view of the
/// page-locked array: ILGPU 1.5.3's OpenCL copy takes the byte length of the host view's whole
/// buffer instead of the view's, so a part of a larger host array fails to copy (or overruns).
/// </summary>
internal static class HostTransfers
{
    /// <summary>Copies <c>host[offset ..]</c> into all of <paramref name="target"/>.</summary>
    public static void Upload<T>(ArrayView<T> target, AcceleratorStream stream, PageLockedArray1D<T> host, long offset) where T : unmanaged
    {
        if (target.Length == 0)
            return;
        CheckRange(host, offset, target.Length);
        target.CopyFromCPUUnsafeAsync(stream, ref host.Span[checked((int)offset)], target.Length);
    }

    /// <summary>Copies all of <paramref name="source"/> into <c>host[offset ..]</c>.</summary>
    public static void Download<T>(ArrayView<T> source, AcceleratorStream stream, PageLockedArray1D<T> host, long offset) where T : unmanaged
    {
        if (source.Length == 0)
            return;
        CheckRange(host, offset, source.Length);
        source.CopyToCPUUnsafeAsync(stream, ref host.Span[checked((int)offset)], source.Length);
    }

    private static void CheckRange<T>(PageLockedArray1D<T> host, long offset, long length) where T : unmanaged
    {
        if (offset < 0 || offset + length > host.Length)
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"{length} elements from {offset} do not fit a host array of {host.Length}");
    }
}
