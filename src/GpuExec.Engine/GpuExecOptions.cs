using GpuExec.Engine.Devices;

namespace GpuExec.Engine;

/// <summary>How <see cref="BlockPipeline"/> runs: device, worker threads, how blocks are applied.</summary>
public sealed class GpuExecOptions
{
    /// <summary>Where verification, hashing and conflict detection run. <see cref="DeviceKind.Auto"/>: CUDA, then OpenCL, else the CPU.</summary>
    public DeviceKind Device { get; set; } = DeviceKind.Auto;

    /// <summary>The signature verifier of the <c>cpu</c> device (ILGPU devices verify in kernels). <see cref="Verify.VerifierKind.Auto"/>: SIMD where AVX-512F or AVX2 is present, else libsodium.</summary>
    public Verify.VerifierKind Verifier { get; set; } = Verify.VerifierKind.Auto;

    /// <summary>Worker threads for verification on the CPU and for execution.</summary>
    public int Threads { get; set; } = Environment.ProcessorCount;

    /// <summary>Signatures per device launch; larger batches stream through reusable buffers in chunks of this size.</summary>
    public int VerifyChunkSize { get; set; } = 1 << 16;

    /// <summary>
    /// How the verified transactions are applied. <see cref="ApplyMode.Auto"/> (default): in block
    /// order on one thread on the <c>cpu</c> device, where finding the conflicts on the host (access
    /// sets, sort, schedule) costs more than applying the block does (see docs/BENCHMARKS.md), and
    /// in parallel lanes on every ILGPU device, where conflict detection runs as kernels.
    /// </summary>
    public ApplyMode Apply { get; set; } = ApplyMode.Auto;

    /// <summary>Parallel mode: how many lanes execute a block (at most <see cref="Threads"/>); 0 (default): chosen by measurement, block after block.</summary>
    public int Lanes { get; set; }

    /// <summary>
    /// Public keys whose precomputed tables the SIMD verifier of the <c>cpu</c> device keeps, so
    /// that a signer met again is verified in about 0.6 of the time (the verdict is the same);
    /// 3,840 bytes each, allocated as signers arrive: 32,768 (default) is 120 MiB at most. A key
    /// gets its table the second time it signs; once every table is taken, the verifier starts
    /// afresh. 0 verifies every signature without tables; at most 1,048,576 (2^20: 3.75 GiB of
    /// tables once a chain's signers took them all).
    /// </summary>
    public int KeyTables { get; set; } = 1 << 15;

    /// <summary>
    /// Bounds of the signature cache (<see cref="BlockPipeline.PreVerify(IReadOnlyList{ReadOnlyMemory{byte}}, uint?)"/>):
    /// entries and bytes, the oldest evicted first; 0 in either disables it.
    /// </summary>
    public Verify.SignatureCacheOptions SignatureCache { get; set; } = new();

    /// <summary>
    /// Bytes of the caches a node's state store keeps (accounts and state tree buckets, the coldest
    /// evicted first): the store's memory is bounded by them whatever the chain's size; 1 GiB by
    /// default, 0 reads every block's accounts from disk. The pipeline itself keeps no state: a node
    /// passes this to the store it opens (<c>RocksDbStateStore.Open(dir, genesis, cacheBytes:
    /// options.StateCacheBytes)</c>, as the example program does; the CLI's <c>--cache-mb</c>), so
    /// that one options section configures both.
    /// </summary>
    public long StateCacheBytes { get; set; } = DefaultStateCacheBytes;

    /// <summary>The default of <see cref="StateCacheBytes"/>: 1 GiB.</summary>
    public const long DefaultStateCacheBytes = 1L << 30;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for a setting out of range; the pipeline calls it before opening the device.</summary>
    public void Validate()
    {
        if (Threads < 1) throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "at least 1 thread");
        if (VerifyChunkSize < 1) throw new ArgumentOutOfRangeException(nameof(VerifyChunkSize), VerifyChunkSize, "must be positive");
        if (Lanes < 0) throw new ArgumentOutOfRangeException(nameof(Lanes), Lanes, "0 (measured) or positive");
        if (KeyTables is < 0 or > Verify.SimdSignatureVerifier.MaxKeyTables)
            throw new ArgumentOutOfRangeException(nameof(KeyTables), KeyTables, $"0 (none) to {Verify.SimdSignatureVerifier.MaxKeyTables} keys");
        if (!Enum.IsDefined(Apply)) throw new ArgumentOutOfRangeException(nameof(Apply), Apply, "unknown apply mode");
        if (!Enum.IsDefined(Verifier)) throw new ArgumentOutOfRangeException(nameof(Verifier), Verifier, "unknown verifier");
        if (!Enum.IsDefined(Device)) throw new ArgumentOutOfRangeException(nameof(Device), Device, "unknown device");
        if (StateCacheBytes < 0) throw new ArgumentOutOfRangeException(nameof(StateCacheBytes), StateCacheBytes, "0 (no cache) or positive");
        ArgumentNullException.ThrowIfNull(SignatureCache);
        SignatureCache.Validate();
    }
}

/// <summary>How <see cref="BlockPipeline"/> applies a block once its signatures are verified: the apply strategy of the execute stage.</summary>
public enum ApplyMode
{
    /// <summary>In order on the <c>cpu</c> device, lanes on ILGPU devices.</summary>
    Auto,
    /// <summary>Conflict detection, then lanes on the worker threads (<see cref="Schedule.LaneScheduler"/>).</summary>
    Lanes,
    /// <summary>The reference rules in block order on one thread (signatures still verified in parallel).</summary>
    InOrder,
}
