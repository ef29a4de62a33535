using ILGPU;
using ILGPU.Runtime;

namespace GpuExec.Engine.Verify;

/// <summary>
/// A block's bytes on the accelerator, uploaded once (staged in page-locked memory, so the copy is
/// DMA) and then read in place by the tx_root, txids and signature kernels. The buffer is reused
/// and grown from block to block. Valid until the next <see cref="Upload"/>; not thread-safe.
/// </summary>
internal sealed class DeviceArena(Accelerator accelerator) : IDisposable
{
    private readonly GrowableBuffer<byte> _device = new(accelerator);
    private readonly GrowablePinned<byte> _host = new(accelerator);

    /// <summary>The uploaded bytes (<see cref="Length"/> of them; the view is at least one byte long).</summary>
    public ArrayView<byte> View { get; private set; }
    public int Length { get; private set; }

    public void Upload(ReadOnlySpan<byte> bytes)
    {
        Length = bytes.Length;
        View = _device.Get(Math.Max(1, bytes.Length));
        if (bytes.Length == 0) return;
        var host = _host.Get(bytes.Length);
        bytes.CopyTo(host.Span);
        var stream = accelerator.DefaultStream;
        View.SubView(0, bytes.Length).CopyFrom(stream, host.ArrayView.SubView(0, bytes.Length));
        stream.Synchronize();
    }

    public void Dispose()
    {
        _device.Dispose();
        _host.Dispose();
    }
}
