using ILGPU;
using ILGPU.Runtime;

namespace GpuExec.Engine.Devices;

/// <summary>
/// How growable device and page-locked buffers grow: to a quarter more than asked, capped at
/// <see cref="MaxElements"/>, and a request above the cap is refused before anything is allocated.
/// </summary>
internal static class BufferGrowth
{
    /// <summary>
    /// The most elements a growable buffer holds: the largest .NET array. ILGPU's page-locked arrays
    /// are managed arrays indexed by 32-bit integers, checked by a <c>Trace.Assert</c> that ends the
    /// process (no exception to catch), so a capacity must never grow past it.
    /// </summary>
    public static long MaxElements => Array.MaxLength;

    /// <summary>The capacity to allocate for <paramref name="needed"/> elements (at least one).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="needed"/> is above <paramref name="max"/> (default <see cref="MaxElements"/>).</exception>
    public static long Capacity(long needed, long? max = null)
    {
        long limit = max ?? MaxElements;
        if (needed > limit)
            throw new ArgumentOutOfRangeException(nameof(needed), needed, $"a device buffer of {needed} elements is over the limit of {limit}");
        long n = Math.Max(1, needed);
        return Math.Min(limit, Math.Max(64, n + n / 4));
    }
}

/// <summary>
/// A device buffer that grows (never shrinks) to the largest size asked for. The new buffer is
/// allocated before the old one is released: when the allocation fails (the device is out of
/// memory), the old buffer stays, valid, for the next call.
/// </summary>
internal sealed class GrowableBuffer<T>(Accelerator accelerator, Func<long, MemoryBuffer1D<T, Stride1D.Dense>>? allocate = null) : IDisposable
    where T : unmanaged
{
    private MemoryBuffer1D<T, Stride1D.Dense>? _buffer;

    /// <summary>Elements allocated now (0 before the first call).</summary>
    public long Capacity => _buffer?.Length ?? 0;

    /// <summary>A view of exactly <paramref name="length"/> elements (at least one).</summary>
    public ArrayView<T> Get(long length)
    {
        long n = Math.Max(1, length);
        if (_buffer is null || _buffer.Length < n)
        {
            long size = BufferGrowth.Capacity(n);
            accelerator.Bind();
            var next = allocate is null ? accelerator.Allocate1D<T>(size) : allocate(size);
            _buffer?.Dispose();
            _buffer = next;
        }
        return _buffer.View.AsContiguous().SubView(0, n);
    }

    public void Dispose()
    {
        if (!accelerator.IsDisposed)
            accelerator.Bind();
        _buffer?.Dispose();
        _buffer = null;
    }
}

/// <summary>
/// Page-locked host memory that grows (never shrinks) to the largest size asked for, allocated
/// before the old array is released, as <see cref="GrowableBuffer{T}"/>.
/// </summary>
internal sealed class GrowablePinned<T>(Accelerator accelerator, Func<long, PageLockedArray1D<T>>? allocate = null) : IDisposable
    where T : unmanaged
{
    private PageLockedArray1D<T>? _array;

    /// <summary>Elements allocated now (0 before the first call).</summary>
    public long Capacity => _array?.Length ?? 0;

    /// <summary>An array of at least <paramref name="length"/> elements.</summary>
    public PageLockedArray1D<T> Get(long length)
    {
        long n = Math.Max(1, length);
        if (_array is null || _array.Length < n)
        {
            long size = BufferGrowth.Capacity(n);
            // Registering host memory is a driver call: on CUDA it needs the context on this thread.
            accelerator.Bind();
            var next = allocate is null ? accelerator.AllocatePageLocked1D<T>(size) : allocate(size);
            _array?.Dispose();
            _array = next;
        }
        return _array;
    }

    public void Dispose()
    {
        if (!accelerator.IsDisposed)
            accelerator.Bind();
        _array?.Dispose();
        _array = null;
    }
}
