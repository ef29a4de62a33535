using GpuExec.Engine.Devices;
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
    /// <summary>
    /// Bytes staged and sent per step: the staging copy of a segment (on all cores) overlaps the
    /// transfer of the one before it.
    /// </summary>
    private const int Segment = 32 << 20;

    private readonly GrowableBuffer<byte> _device = new(accelerator);
    private readonly GrowablePinned<byte> _host = new(accelerator);

    /// <summary>The uploaded bytes (<see cref="Length"/> of them; the view is at least one byte long).</summary>
    public ArrayView<byte> View { get; private set; }
    public int Length { get; private set; }

    public void Upload(ReadOnlySpan<byte> bytes)
    {
        accelerator.Bind();
        Length = bytes.Length;
        View = _device.Get(Math.Max(1, bytes.Length));
        if (bytes.Length == 0) return;
        var host = _host.Get(bytes.Length);
        var stream = accelerator.DefaultStream;
        for (int at = 0; at < bytes.Length; at += Segment)
        {
            int n = Math.Min(Segment, bytes.Length - at);
            HostCopy.Copy(bytes.Slice(at, n), host.Span.Slice(at, n));
            HostTransfers.Upload(View.SubView(at, n), stream, host, at);
        }
        stream.Synchronize();
    }

    public void Dispose()
    {
        _device.Dispose();
        _host.Dispose();
    }
}
