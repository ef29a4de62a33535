using GpuExec.Engine.Devices;
using ILGPU;
using ILGPU.Runtime;

namespace GpuExec.Kernels.Tests;

/// <summary>
/// Growable device and page-locked buffers: capped below ILGPU's 32-bit limit (past it ILGPU's
/// <c>Trace.Assert</c> ends the process), refused up front above it, and never left pointing at a
/// released buffer when an allocation fails.
/// </summary>
[Collection("ilgpu-cpu")]
public class DeviceBufferTests(IlgpuCpuFixture fixture)
{
    private sealed class Refused : Exception;

    [Fact]
    public void Growth_stays_within_the_largest_array()
    {
        // A block of about 10.5M transfers: its 1.25x growth (2.15e9) passed int.MaxValue.
        long arena = 1_720_000_000;
        long cap = BufferGrowth.Capacity(arena);
        Assert.InRange(cap, arena, Array.MaxLength);
        Assert.Equal(Array.MaxLength, BufferGrowth.Capacity(Array.MaxLength));
        Assert.Equal(125, BufferGrowth.Capacity(100));
        Assert.Equal(64, BufferGrowth.Capacity(0));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => BufferGrowth.Capacity(Array.MaxLength + 1L));
        Assert.Contains($"over the limit of {Array.MaxLength}", ex.Message);
    }

    [Fact]
    public void A_page_locked_arena_near_the_limit_asks_for_at_most_the_limit()
    {
        var sizes = new List<long>();
        using var pinned = new GrowablePinned<byte>(fixture.Accelerator, n => { sizes.Add(n); throw new Refused(); });
        Assert.Throws<Refused>(() => pinned.Get(1_720_000_000));
        Assert.Equal([Array.MaxLength], sizes);
        // Above the limit nothing is asked of ILGPU at all.
        Assert.Throws<ArgumentOutOfRangeException>(() => pinned.Get(Array.MaxLength + 1L));
        using var device = new GrowableBuffer<byte>(fixture.Accelerator, n => { sizes.Add(n); throw new Refused(); });
        Assert.Throws<ArgumentOutOfRangeException>(() => device.Get(Array.MaxLength + 1L));
        Assert.Single(sizes);
    }

    [Fact]
    public void A_failed_device_allocation_keeps_the_old_buffer()
    {
        var acc = fixture.Accelerator;
        var allocated = new List<MemoryBuffer1D<int, Stride1D.Dense>>();
        bool fail = false;
        using var growable = new GrowableBuffer<int>(acc, n =>
        {
            if (fail) throw new Refused(); // as the device out of memory
            var b = acc.Allocate1D<int>(n);
            allocated.Add(b);
            return b;
        });
        var first = growable.Get(100);
        first.CopyFromCPU(Enumerable.Range(0, 100).ToArray());
        long capacity = growable.Capacity;

        fail = true;
        Assert.Throws<Refused>(() => growable.Get(10_000));
        Assert.Single(allocated);
        Assert.False(allocated[0].IsDisposed);
        Assert.Equal(capacity, growable.Capacity);

        // The next call that fits is served by the old buffer, contents intact.
        var again = growable.Get(50);
        var back = new int[50];
        again.CopyToCPU(back);
        Assert.Equal(Enumerable.Range(0, 50), back);

        // A later growth that succeeds releases the old buffer only after the new one exists.
        fail = false;
        growable.Get(10_000);
        Assert.Equal(2, allocated.Count);
        Assert.True(allocated[0].IsDisposed);
        Assert.False(allocated[1].IsDisposed);
    }

    [Fact]
    public void A_failed_page_locked_allocation_keeps_the_old_array()
    {
        var acc = fixture.Accelerator;
        var allocated = new List<PageLockedArray1D<long>>();
        bool fail = false;
        using var growable = new GrowablePinned<long>(acc, n =>
        {
            if (fail) throw new Refused();
            var a = acc.AllocatePageLocked1D<long>(n);
            allocated.Add(a);
            return a;
        });
        var first = growable.Get(10);
        first.Span[3] = 42;
        fail = true;
        Assert.Throws<Refused>(() => growable.Get(1_000));
        Assert.False(allocated[0].IsDisposed);
        Assert.Same(first, growable.Get(5));
        Assert.Equal(42, growable.Get(5).Span[3]);
    }
}
