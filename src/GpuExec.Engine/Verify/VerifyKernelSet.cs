using System.Runtime.CompilerServices;
using GpuExec.Kernels.Verify;
using ILGPU;
using ILGPU.Runtime;

namespace GpuExec.Engine.Verify;

/// <summary>
/// The verify and hash kernels of one accelerator, loaded (compiled) once and shared by every
/// launcher on it, with their constant tables (round constants, multiples of the base point).
/// </summary>
public sealed class VerifyKernelSet : IDisposable
{
    private static readonly ConditionalWeakTable<Accelerator, VerifyKernelSet> Cache = new();
    private static readonly Lock CacheLock = new();

    private readonly Lazy<Action<Index1D, ArrayView<byte>, ArrayView<SignatureJob>, ArrayView<GePrecomp>, ArrayView<ulong>, ArrayView<GeCached>, ArrayView<int>>> _ed25519;
    private readonly Lazy<Action<Index1D, ArrayView<byte>, ArrayView<HashJob>, ArrayView<uint>, ArrayView<byte>>> _sha256;
    private readonly Lazy<Action<Index1D, ArrayView<byte>, ArrayView<HashJob>, ArrayView<ulong>, ArrayView<byte>>> _sha512;
    private readonly Lazy<Action<Index1D, ArrayView<byte>, ArrayView<HashJob>, ArrayView<ulong>, ArrayView<byte>>> _keccak;
    private readonly Lazy<Action<Index1D, ArrayView<byte>, ArrayView<HashJob>, ArrayView<uint>, ArrayView<byte>>> _merkleLeaves;
    private readonly Lazy<Action<Index1D, ArrayView<byte>, int, ArrayView<uint>, ArrayView<byte>>> _merkleLevel;

    public Accelerator Accelerator { get; }
    public MemoryBuffer1D<GePrecomp, Stride1D.Dense> BaseTable { get; }
    public MemoryBuffer1D<ulong, Stride1D.Dense> Sha512K { get; }
    public MemoryBuffer1D<uint, Stride1D.Dense> Sha256K { get; }
    public MemoryBuffer1D<ulong, Stride1D.Dense> KeccakRc { get; }

    private VerifyKernelSet(Accelerator accelerator)
    {
        Accelerator = accelerator;
        BaseTable = accelerator.Allocate1D(Ge25519.BaseTable());
        Sha512K = accelerator.Allocate1D(Sha512State.RoundConstants());
        Sha256K = accelerator.Allocate1D(Sha256State.RoundConstants());
        KeccakRc = accelerator.Allocate1D(KeccakState.RoundConstants());
        _ed25519 = new(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<SignatureJob>, ArrayView<GePrecomp>, ArrayView<ulong>, ArrayView<GeCached>, ArrayView<int>>(Ed25519Kernels.Verify));
        _sha256 = new(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<HashJob>, ArrayView<uint>, ArrayView<byte>>(HashKernels.Sha256));
        _sha512 = new(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<HashJob>, ArrayView<ulong>, ArrayView<byte>>(HashKernels.Sha512));
        _keccak = new(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<HashJob>, ArrayView<ulong>, ArrayView<byte>>(HashKernels.Keccak256));
        _merkleLeaves = new(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, ArrayView<HashJob>, ArrayView<uint>, ArrayView<byte>>(HashKernels.MerkleLeaves));
        _merkleLevel = new(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<byte>, int, ArrayView<uint>, ArrayView<byte>>(HashKernels.MerkleLevel));
    }

    /// <summary>The kernel set of <paramref name="accelerator"/>, created on first use.</summary>
    public static VerifyKernelSet For(Accelerator accelerator)
    {
        lock (CacheLock)
        {
            if (!Cache.TryGetValue(accelerator, out var set))
            {
                set = new VerifyKernelSet(accelerator);
                Cache.Add(accelerator, set);
                accelerator.Disposed += (_, _) => set.Dispose();
            }
            return set;
        }
    }

    public Action<Index1D, ArrayView<byte>, ArrayView<SignatureJob>, ArrayView<GePrecomp>, ArrayView<ulong>, ArrayView<GeCached>, ArrayView<int>> Ed25519 => _ed25519.Value;
    public Action<Index1D, ArrayView<byte>, ArrayView<HashJob>, ArrayView<uint>, ArrayView<byte>> Sha256 => _sha256.Value;
    public Action<Index1D, ArrayView<byte>, ArrayView<HashJob>, ArrayView<ulong>, ArrayView<byte>> Sha512 => _sha512.Value;
    public Action<Index1D, ArrayView<byte>, ArrayView<HashJob>, ArrayView<ulong>, ArrayView<byte>> Keccak256 => _keccak.Value;
    public Action<Index1D, ArrayView<byte>, ArrayView<HashJob>, ArrayView<uint>, ArrayView<byte>> MerkleLeaves => _merkleLeaves.Value;
    public Action<Index1D, ArrayView<byte>, int, ArrayView<uint>, ArrayView<byte>> MerkleLevel => _merkleLevel.Value;

    public void Dispose()
    {
        BaseTable.Dispose();
        Sha512K.Dispose();
        Sha256K.Dispose();
        KeccakRc.Dispose();
    }
}

/// <summary>A device buffer that grows (never shrinks) to the largest size asked for.</summary>
internal sealed class GrowableBuffer<T>(Accelerator accelerator) : IDisposable where T : unmanaged
{
    private MemoryBuffer1D<T, Stride1D.Dense>? _buffer;

    /// <summary>A view of at least <paramref name="length"/> elements (exactly that many).</summary>
    public ArrayView<T> Get(long length)
    {
        if (_buffer is null || _buffer.Length < Math.Max(1, length))
        {
            _buffer?.Dispose();
            long size = Math.Max(64, length + length / 4);
            _buffer = accelerator.Allocate1D<T>(size);
        }
        return _buffer.View.AsContiguous().SubView(0, Math.Max(1, length));
    }

    public void Dispose() => _buffer?.Dispose();
}
