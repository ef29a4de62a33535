namespace GpuExec.Engine.Devices;

/// <summary>
/// Copies between host buffers on several cores: staging a block into page-locked memory on one
/// thread costs more than its transfer over PCIe (memcpy runs at about 10 GB/s a core, a PCIe 5
/// x16 link near 50 GB/s).
/// </summary>
internal static unsafe class HostCopy
{
    /// <summary>Below this many bytes one thread copies: starting the others costs more than it saves.</summary>
    private const long ParallelBytes = 4 << 20;

    /// <summary>Copies <paramref name="source"/> to the start of <paramref name="destination"/> (which must be at least as long).</summary>
    public static void Copy<T>(ReadOnlySpan<T> source, Span<T> destination) where T : unmanaged
    {
        if (destination.Length < source.Length)
            throw new ArgumentException($"the destination holds {destination.Length} elements, fewer than the {source.Length} to copy", nameof(destination));
        long bytes = (long)source.Length * sizeof(T);
        int parts = (int)Math.Min(Environment.ProcessorCount, bytes / (1 << 20));
        if (bytes < ParallelBytes || parts < 2)
        {
            source.CopyTo(destination);
            return;
        }
        fixed (T* s = source)
        fixed (T* d = destination)
        {
            nint from = (nint)s, to = (nint)d;
            long per = (bytes + parts - 1) / parts;
            Parallel.For(0, parts, i =>
            {
                long at = i * per, n = Math.Min(per, bytes - at);
                if (n > 0)
                    Buffer.MemoryCopy((byte*)from + at, (byte*)to + at, n, n);
            });
        }
    }
}
