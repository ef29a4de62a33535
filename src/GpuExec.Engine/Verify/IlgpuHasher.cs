using GpuExec.Engine.Devices;
using GpuExec.Kernels.Verify;
using ILGPU;
using ILGPU.Runtime;

namespace GpuExec.Engine.Verify;

/// <summary>
/// Hashing on an ILGPU accelerator with the kernels of <see cref="VerifyKernelSet"/> (loaded once
/// per accelerator); device buffers are reused and grown. Inputs and digests travel through
/// page-locked staging buffers (a pageable copy is staged by the driver, slower and synchronous).
/// Every entry point binds the accelerator to the calling thread first. Not thread-safe.
/// </summary>
internal sealed class IlgpuHasher : IHasher, IDisposable
{
    private readonly VerifyKernelSet _kernels;
    private readonly GrowableBuffer<byte> _arena;
    private readonly GrowableBuffer<HashJob> _jobs;
    private readonly GrowableBuffer<byte> _out;
    private readonly GrowableBuffer<byte> _out2;
    private readonly GrowablePinned<byte> _hostArena;
    private readonly GrowablePinned<HashJob> _hostJobs;
    private readonly GrowablePinned<byte> _hostOut;

    public IlgpuHasher(Accelerator accelerator)
    {
        accelerator.Bind();
        _kernels = VerifyKernelSet.For(accelerator);
        _arena = new(accelerator);
        _jobs = new(accelerator);
        _out = new(accelerator);
        _out2 = new(accelerator);
        _hostArena = new(accelerator);
        _hostJobs = new(accelerator);
        _hostOut = new(accelerator);
    }

    private AcceleratorStream Stream => _kernels.Accelerator.DefaultStream;

    private void Bind() => _kernels.Accelerator.Bind();

    private (ArrayView<byte> Arena, ArrayView<HashJob> Jobs) Upload(ReadOnlySpan<byte> arena, ReadOnlySpan<HashJob> jobs)
    {
        var a = _arena.Get(arena.Length);
        if (arena.Length > 0)
        {
            var host = _hostArena.Get(arena.Length);
            HostCopy.Copy(arena, host.Span);
            HostTransfers.Upload(a.SubView(0, arena.Length), Stream, host, 0);
        }
        return (a, UploadJobs(jobs));
    }

    private ArrayView<HashJob> UploadJobs(ReadOnlySpan<HashJob> jobs)
    {
        var j = _jobs.Get(jobs.Length).SubView(0, jobs.Length);
        if (jobs.Length > 0)
        {
            var host = _hostJobs.Get(jobs.Length);
            HostCopy.Copy(jobs, host.Span);
            HostTransfers.Upload(j, Stream, host, 0);
        }
        return j;
    }

    /// <summary>Copies <paramref name="bytes"/> from the device to <paramref name="destination"/> through page-locked memory; waits for the stream.</summary>
    private void Download(ArrayView<byte> bytes, Span<byte> destination)
    {
        int n = bytes.IntLength;
        var host = _hostOut.Get(n);
        HostTransfers.Download(bytes, Stream, host, 0);
        Stream.Synchronize();
        HostCopy.Copy(host.Span[..n], destination);
    }

    public void Sha256(ReadOnlySpan<byte> arena, ReadOnlySpan<HashJob> jobs, Span<byte> digests) =>
        Run(arena, jobs, digests, 32, (a, j, o) => _kernels.Sha256(j.IntLength, a, j, _kernels.Sha256K.View, o));

    /// <summary>SHA-256 of messages in an arena already on the device (a block uploaded once for all its hashes and signatures).</summary>
    internal void Sha256(DeviceArena arena, ReadOnlySpan<HashJob> jobs, Span<byte> digests)
    {
        Bind();
        HashJobs.Check(jobs, arena.Length, digests.Length, 32);
        if (jobs.Length == 0)
            return;
        Launch(arena.View, UploadJobs(jobs), digests, 32, (a, j, o) => _kernels.Sha256(j.IntLength, a, j, _kernels.Sha256K.View, o));
    }

    /// <summary>SHA-512 of each message (64-byte digests): Ed25519's hash, exposed for tests.</summary>
    public void Sha512(ReadOnlySpan<byte> arena, ReadOnlySpan<HashJob> jobs, Span<byte> digests) =>
        Run(arena, jobs, digests, 64, (a, j, o) => _kernels.Sha512(j.IntLength, a, j, _kernels.Sha512K.View, o));

    public void Keccak256(ReadOnlySpan<byte> arena, ReadOnlySpan<HashJob> jobs, Span<byte> digests) =>
        Run(arena, jobs, digests, 32, (a, j, o) => _kernels.Keccak256(j.IntLength, a, j, _kernels.KeccakRc.View, o));

    private void Run(ReadOnlySpan<byte> arena, ReadOnlySpan<HashJob> jobs, Span<byte> digests, int size,
                     Action<ArrayView<byte>, ArrayView<HashJob>, ArrayView<byte>> launch)
    {
        Bind();
        HashJobs.Check(jobs, arena.Length, digests.Length, size);
        if (jobs.Length == 0)
            return;
        var (a, j) = Upload(arena, jobs);
        Launch(a, j, digests, size, launch);
    }

    /// <summary>Runs a digest kernel over jobs and an arena already on the device, and reads the digests back.</summary>
    private void Launch(ArrayView<byte> a, ArrayView<HashJob> j, Span<byte> digests, int size,
                        Action<ArrayView<byte>, ArrayView<HashJob>, ArrayView<byte>> launch)
    {
        var o = _out.Get((long)j.Length * size).SubView(0, (long)j.Length * size);
        launch(a, j, o);
        Download(o, digests[..(j.IntLength * size)]);
    }

    public void MerkleRoot(ReadOnlySpan<byte> arena, ReadOnlySpan<HashJob> leaves, Span<byte> root)
    {
        Bind();
        if (EmptyOrChecked(arena.Length, leaves, root))
            return;
        var (a, j) = Upload(arena, leaves);
        Root(a, j, leaves.Length, root);
    }

    /// <summary>The Merkle root of leaves in an arena already on the device.</summary>
    internal void MerkleRoot(DeviceArena arena, ReadOnlySpan<HashJob> leaves, Span<byte> root)
    {
        Bind();
        if (EmptyOrChecked(arena.Length, leaves, root))
            return;
        Root(arena.View, UploadJobs(leaves), leaves.Length, root);
    }

    /// <summary>Checks a root's arguments; with no leaves writes the empty tree's root and returns true (nothing to launch).</summary>
    private static bool EmptyOrChecked(int arenaLength, ReadOnlySpan<HashJob> leaves, Span<byte> root)
    {
        HashJobs.Check(leaves, arenaLength, int.MaxValue, 0);
        if (root.Length < 32)
            throw new ArgumentException("a root is 32 bytes", nameof(root));
        if (leaves.Length > 0)
            return false;
        System.Security.Cryptography.SHA256.HashData(ReadOnlySpan<byte>.Empty, root);
        return true;
    }

    private void Root(ArrayView<byte> a, ArrayView<HashJob> j, int n, Span<byte> root)
    {
        var level = _out.Get(32L * n);
        var next = _out2.Get(32L * ((n + 1) / 2));
        _kernels.MerkleLeaves(n, a, j, _kernels.Sha256K.View, level);
        while (n > 1)
        {
            int up = (n + 1) / 2;
            _kernels.MerkleLevel(up, level, n, _kernels.Sha256K.View, next);
            (level, next) = (next, level);
            n = up;
        }
        Download(level.SubView(0, 32), root[..32]);
    }

    public void Dispose()
    {
        _arena.Dispose();
        _jobs.Dispose();
        _out.Dispose();
        _out2.Dispose();
        _hostArena.Dispose();
        _hostJobs.Dispose();
        _hostOut.Dispose();
    }
}
