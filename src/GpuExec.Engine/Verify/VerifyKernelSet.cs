using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using GpuExec.Kernels.Ptx;
using GpuExec.Kernels.Verify;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GpuExec.Engine.Verify;

/// <summary>
/// The verify and hash kernels of one accelerator with their constant tables (round constants,
/// multiples of the base point), shared by every launcher on it. Every kernel is loaded when the
/// set is built (<see cref="For"/>), so the ILGPU compile and the driver's JIT are paid once, at
/// start-up, not by the first block. On CUDA the PTX goes through <see cref="PtxRewrite"/> first.
/// Launchers take the stream to run on; the plain ones use the default stream. Callers bind the
/// accelerator to their thread first (<see cref="Accelerator.Bind"/>).
/// </summary>
internal sealed partial class VerifyKernelSet : IDisposable
{
    private static readonly ConditionalWeakTable<Accelerator, VerifyKernelSet> Cache = new();
    private static readonly Lock CacheLock = new();

    public Accelerator Accelerator { get; }
    public MemoryBuffer1D<GePrecomp, Stride1D.Dense> BaseTable { get; }
    public MemoryBuffer1D<ulong, Stride1D.Dense> Sha512K { get; }
    public MemoryBuffer1D<uint, Stride1D.Dense> Sha256K { get; }
    public MemoryBuffer1D<ulong, Stride1D.Dense> KeccakRc { get; }

    /// <summary>How long loading every kernel took (ILGPU's compile plus, on a GPU, the driver's JIT).</summary>
    public TimeSpan LoadTime { get; }

    /// <summary>Products <see cref="PtxRewrite"/> widened in the loaded PTX (0 off CUDA).</summary>
    public int RewrittenProducts { get; }

    public Action<AcceleratorStream, Index1D, ArrayView<byte>, ArrayView<SignatureJob>, ArrayView<GePrecomp>, ArrayView<ulong>, ArrayView<GeCached>, ArrayView<int>> Ed25519On { get; }
    public Action<AcceleratorStream, Index1D, ArrayView<byte>, ArrayView<HashJob>, ArrayView<uint>, ArrayView<byte>> Sha256On { get; }
    public Action<AcceleratorStream, Index1D, ArrayView<byte>, ArrayView<HashJob>, ArrayView<ulong>, ArrayView<byte>> Sha512On { get; }
    public Action<AcceleratorStream, Index1D, ArrayView<byte>, ArrayView<HashJob>, ArrayView<ulong>, ArrayView<byte>> Keccak256On { get; }
    public Action<AcceleratorStream, Index1D, ArrayView<byte>, ArrayView<HashJob>, ArrayView<uint>, ArrayView<byte>> MerkleLeavesOn { get; }
    public Action<AcceleratorStream, Index1D, ArrayView<byte>, int, ArrayView<uint>, ArrayView<byte>> MerkleLevelOn { get; }

    private VerifyKernelSet(Accelerator accelerator, ILogger logger)
    {
        Accelerator = accelerator;
        var sw = Stopwatch.StartNew();
        BaseTable = accelerator.Allocate1D(Ge25519.BaseTable());
        Sha512K = accelerator.Allocate1D(Sha512State.RoundConstants());
        Sha256K = accelerator.Allocate1D(Sha256State.RoundConstants());
        KeccakRc = accelerator.Allocate1D(KeccakState.RoundConstants());
        int rewritten = 0;
        int? maxRegisters = accelerator is CudaAccelerator ? PtxRewrite.MaxRegistersSetting() : null;
        TDelegate Load<TDelegate>(Type type, string name) where TDelegate : Delegate
        {
            var method = type.GetMethod(name, BindingFlags.Public | BindingFlags.Static)
                ?? throw new MissingMethodException(type.Name, name);
            Kernel kernel;
            if (accelerator is CudaAccelerator cuda && (PtxRewrite.Enabled || maxRegisters is not null))
            {
                var compiled = cuda.Backend.Compile(EntryPointDescription.FromImplicitlyGroupedKernel(method), KernelSpecialization.Empty);
                kernel = accelerator.LoadAutoGroupedKernel(PtxRewrite.Rewrite(compiled, PtxRewrite.Enabled, maxRegisters, out int n, out _));
                rewritten += n;
            }
            else
            {
                kernel = accelerator.LoadAutoGroupedKernel(method);
            }
            return kernel.CreateLauncherDelegate<TDelegate>();
        }
        Ed25519On = Load<Action<AcceleratorStream, Index1D, ArrayView<byte>, ArrayView<SignatureJob>, ArrayView<GePrecomp>, ArrayView<ulong>, ArrayView<GeCached>, ArrayView<int>>>(typeof(Ed25519Kernels), nameof(Ed25519Kernels.Verify));
        Sha256On = Load<Action<AcceleratorStream, Index1D, ArrayView<byte>, ArrayView<HashJob>, ArrayView<uint>, ArrayView<byte>>>(typeof(HashKernels), nameof(HashKernels.Sha256));
        Sha512On = Load<Action<AcceleratorStream, Index1D, ArrayView<byte>, ArrayView<HashJob>, ArrayView<ulong>, ArrayView<byte>>>(typeof(HashKernels), nameof(HashKernels.Sha512));
        Keccak256On = Load<Action<AcceleratorStream, Index1D, ArrayView<byte>, ArrayView<HashJob>, ArrayView<ulong>, ArrayView<byte>>>(typeof(HashKernels), nameof(HashKernels.Keccak256));
        MerkleLeavesOn = Load<Action<AcceleratorStream, Index1D, ArrayView<byte>, ArrayView<HashJob>, ArrayView<uint>, ArrayView<byte>>>(typeof(HashKernels), nameof(HashKernels.MerkleLeaves));
        MerkleLevelOn = Load<Action<AcceleratorStream, Index1D, ArrayView<byte>, int, ArrayView<uint>, ArrayView<byte>>>(typeof(HashKernels), nameof(HashKernels.MerkleLevel));
        accelerator.Synchronize();
        LoadTime = sw.Elapsed;
        RewrittenProducts = rewritten;
        MaxRegisters = maxRegisters;
        LogLoaded(logger, accelerator.Name, LoadTime.TotalSeconds, rewritten, maxRegisters?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none");
    }

    /// <summary>The register cap put on the CUDA kernels (<see cref="PtxRewrite.MaxRegistersVariable"/>), or null.</summary>
    public int? MaxRegisters { get; }

    [LoggerMessage(Level = LogLevel.Information, Message = "loaded the verify and hash kernels on {Device} in {Seconds:F2} s (ILGPU compile and driver JIT, once per device; {Rewritten} products widened in the PTX; register cap {MaxRegisters})")]
    private static partial void LogLoaded(ILogger logger, string device, double seconds, int rewritten, string maxRegisters);

    /// <summary>The kernel set of <paramref name="accelerator"/>, built (every kernel loaded) on first use.</summary>
    public static VerifyKernelSet For(Accelerator accelerator, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        accelerator.Bind();
        lock (CacheLock)
        {
            if (!Cache.TryGetValue(accelerator, out var set))
            {
                set = new VerifyKernelSet(accelerator, logger ?? NullLogger.Instance);
                Cache.Add(accelerator, set);
                accelerator.Disposed += (_, _) => set.Dispose();
            }
            return set;
        }
    }

    public void Ed25519(Index1D n, ArrayView<byte> arena, ArrayView<SignatureJob> jobs, ArrayView<GePrecomp> baseTable, ArrayView<ulong> k, ArrayView<GeCached> scratch, ArrayView<int> valid) =>
        Ed25519On(Accelerator.DefaultStream, n, arena, jobs, baseTable, k, scratch, valid);

    public void Sha256(Index1D n, ArrayView<byte> arena, ArrayView<HashJob> jobs, ArrayView<uint> k, ArrayView<byte> digests) =>
        Sha256On(Accelerator.DefaultStream, n, arena, jobs, k, digests);

    public void Sha512(Index1D n, ArrayView<byte> arena, ArrayView<HashJob> jobs, ArrayView<ulong> k, ArrayView<byte> digests) =>
        Sha512On(Accelerator.DefaultStream, n, arena, jobs, k, digests);

    public void Keccak256(Index1D n, ArrayView<byte> arena, ArrayView<HashJob> jobs, ArrayView<ulong> rc, ArrayView<byte> digests) =>
        Keccak256On(Accelerator.DefaultStream, n, arena, jobs, rc, digests);

    public void MerkleLeaves(Index1D n, ArrayView<byte> arena, ArrayView<HashJob> jobs, ArrayView<uint> k, ArrayView<byte> level) =>
        MerkleLeavesOn(Accelerator.DefaultStream, n, arena, jobs, k, level);

    public void MerkleLevel(Index1D n, ArrayView<byte> level, int count, ArrayView<uint> k, ArrayView<byte> next) =>
        MerkleLevelOn(Accelerator.DefaultStream, n, level, count, k, next);

    public void Dispose()
    {
        BaseTable.Dispose();
        Sha512K.Dispose();
        Sha256K.Dispose();
        KeccakRc.Dispose();
    }
}
