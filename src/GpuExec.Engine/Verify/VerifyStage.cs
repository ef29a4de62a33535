using GpuExec.Engine.Devices;
using GpuExec.Execution;
using GpuExec.Model;
using GpuExec.Wire;

namespace GpuExec.Engine.Verify;

/// <summary>
/// A block after the stages that need only its bytes: its computed tx_root, every txid, and each
/// transaction's status after rules 1-3 (<see cref="TxStatus.Ok"/> where the stateful rules still
/// have to run). Nothing in it depends on the state, so the next block of a stream can be verified
/// while this one executes.
/// </summary>
internal sealed class VerifiedBlock(Block block, Hash32 txRoot, byte[] txIds, TxStatus[] statuses, StageClock clock, VerifyStats stats)
{
    public VerifyStats Stats { get; } = stats;
    public Block Block { get; } = block;
    public Hash32 TxRoot { get; } = txRoot;
    public byte[] TxIds { get; } = txIds;
    public TxStatus[] Statuses { get; } = statuses;
    /// <summary>The block's stage clock: the verify stages' times, then the rest.</summary>
    public StageClock Clock { get; } = clock;
}

/// <summary>
/// The verify stages of the pipeline, on the device's verifier and hasher:
/// <code>
/// tx_root    IHasher.MerkleRoot over the raw records (on an accelerator, after one upload of the
///            block's bytes that txids and sigverify then read in place)
/// txids      IHasher.Sha256 of every record
/// sigverify  rules 1-2 (malformed, wrong chain), then rule 3: verdicts remembered by txid in the
///            signature cache, ISignatureVerifier over the records in place for the rest
/// </code>
/// Thread-safe as long as the verifier and hasher are: the CPU ones are; ILGPU ones are guarded by
/// the pipeline's device lock.
/// </summary>
internal sealed class VerifyStage : IDisposable
{
    private readonly ISignatureVerifier _verifier;
    private readonly IHasher _hasher;

    private readonly bool _ownsVerifier;
    private readonly SignatureCacheVerifier _cached;
    // On an accelerator: the block's bytes go up once, and the tx_root, txid and signature kernels read that copy.
    private readonly DeviceArena? _resident;

    private VerifyStage(ISignatureVerifier verifier, IHasher hasher, bool ownsVerifier, SignatureCache cache, DeviceArena? resident = null)
    {
        _verifier = verifier;
        _hasher = hasher;
        _ownsVerifier = ownsVerifier;
        _cached = new SignatureCacheVerifier(cache, verifier, hasher);
        _resident = resident;
    }

    /// <summary>The host verifier chosen (<see cref="GpuExecOptions.Verifier"/> resolved), or null for the device's kernels or a verifier given.</summary>
    public VerifierKind? VerifierKind { get; private init; }

    /// <summary>Why <see cref="VerifierKind"/> was chosen, in words.</summary>
    public string? VerifierReason { get; private init; }

    /// <summary>The verdicts remembered for transactions seen before their block (see <see cref="PreVerify(IReadOnlyList{ReadOnlyMemory{byte}}, uint?)"/>).</summary>
    public SignatureCache Cache => _cached.Cache;

    /// <summary>Keys whose tables the verifier keeps at most: 0 but for the SIMD verifier.</summary>
    public int KeyTables => _verifier is SimdSignatureVerifier simd ? simd.KeyTableCapacity : 0;

    /// <summary>Drops the SIMD verifier's key tables, if it has any: the next block verifies as on a fresh node.</summary>
    public void ForgetKeyTables()
    {
        if (_verifier is SimdSignatureVerifier simd)
            simd.ForgetKeyTables();
    }

    /// <summary>Verifies records ahead of their block (a mempool) and remembers the verdicts by txid.</summary>
    public PreVerifyResult PreVerify(IReadOnlyList<ReadOnlyMemory<byte>> records, uint? chainId) => _cached.PreVerify(records, chainId);

    /// <summary>As <see cref="PreVerify(IReadOnlyList{ReadOnlyMemory{byte}}, uint?)"/>, writing each record's status, txid and whether the cache held its verdict.</summary>
    public PreVerifyResult PreVerify(IReadOnlyList<ReadOnlyMemory<byte>> records, Span<TxStatus> statuses, Span<byte> txids, Span<bool> cached, uint? chainId) =>
        _cached.PreVerify(records, statuses, txids, cached, chainId);

    /// <summary>As <see cref="PreVerify(IReadOnlyList{ReadOnlyMemory{byte}}, uint?)"/> for a whole block's records.</summary>
    public PreVerifyResult PreVerify(Block block, uint? chainId) => _cached.PreVerify(block, chainId);

    /// <summary>The verifier and hasher for <paramref name="device"/>: ILGPU kernels on an accelerator, libsodium and .NET's hashing on all cores without one.</summary>
    /// <param name="signatures">A verifier to use instead of the device's (tests run the ILGPU emulator's hashing and conflicts with signatures checked on the host); not owned.</param>
    public static VerifyStage For(ComputeDevice device, GpuExecOptions options, ISignatureVerifier? signatures = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(options);
        var cache = new SignatureCache(options.SignatureCache);
        if (device.Accelerator is not { } acc)
        {
            if (signatures is not null) return new VerifyStage(signatures, CpuHasher.Instance, ownsVerifier: false, cache);
            var chosen = VerifierSelection.Create(options.Verifier, options.Threads, out var kind, out string reason, options.KeyTables);
            return new VerifyStage(chosen, CpuHasher.Instance, ownsVerifier: true, cache) { VerifierKind = kind, VerifierReason = reason };
        }
        var verifier = signatures ?? new IlgpuSignatureVerifier(acc, options.VerifyChunkSize);
        try { return new VerifyStage(verifier, new IlgpuHasher(acc), ownsVerifier: signatures is null, cache, new DeviceArena(acc)); }
        catch
        {
            if (signatures is null) (verifier as IDisposable)?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs tx_root, then <paramref name="checks"/> (given the computed root; it may refuse the block
    /// before any more work is done), then txids and sigverify.
    /// </summary>
    public VerifiedBlock Run(Block block, uint chainId, StageClock clock, Action<Hash32>? checks = null)
    {
        int n = block.Count;
        clock.Begin(StageTimings.TxRoot);
        var leaves = HashJobs.ForRecords(block);
        Span<byte> root = stackalloc byte[32];
        var resident = _resident is not null && _hasher is IlgpuHasher ? _resident : null;
        if (resident is not null)
        {
            resident.Upload(block.Data);
            ((IlgpuHasher)_hasher).MerkleRoot(resident, leaves, root);
        }
        else _hasher.MerkleRoot(block.Data, leaves, root);
        var txRoot = new Hash32(root);
        checks?.Invoke(txRoot);
        clock.End();

        clock.Begin(StageTimings.TxIds);
        var txids = new byte[n * 32];
        if (resident is not null) ((IlgpuHasher)_hasher).Sha256(resident, leaves, txids);
        else _hasher.Sha256(block.Data, leaves, txids);
        clock.End();

        clock.Begin(StageTimings.SigVerify);
        var statuses = Precheck(block, chainId);
        var verdicts = new bool[n];
        VerifyStats stats;
        if (_cached.Cache.Count == 0)
        {
            // Nothing was seen ahead: every signature is verified, without a lookup each.
            var jobs = SignatureJobs.ForBlock(block, statuses);
            if (resident is not null && _verifier is IlgpuSignatureVerifier onDevice) onDevice.Verify(resident, jobs, verdicts);
            else _verifier.Verify(block.Data, jobs, verdicts);
            int scheduled = 0;
            foreach (var st in statuses) if (st == TxStatus.Ok) scheduled++;
            stats = new VerifyStats(0, scheduled);
        }
        else
        {
            var lookup = _cached.VerifyBlock(block, txids, statuses, verdicts);
            stats = new VerifyStats(lookup.Hits, lookup.MissCount);
        }
        ApplyVerdicts(verdicts, statuses);
        clock.End();
        return new VerifiedBlock(block, txRoot, txids, statuses, clock, stats);
    }

    /// <summary>Rules 1-2 (malformed, wrong chain); <see cref="TxStatus.Ok"/> for the rest.</summary>
    private static TxStatus[] Precheck(Block block, uint chainId)
    {
        var statuses = new TxStatus[block.Count];
        for (int i = 0; i < statuses.Length; i++) statuses[i] = TxRules.Precheck(block.Record(i), chainId);
        return statuses;
    }

    private static void ApplyVerdicts(ReadOnlySpan<bool> verdicts, Span<TxStatus> statuses)
    {
        for (int i = 0; i < statuses.Length; i++)
            if (statuses[i] == TxStatus.Ok && !verdicts[i]) statuses[i] = TxStatus.BadSignature;
    }

    /// <summary>Each transaction's status after rules 1-3: <see cref="TxStatus.Ok"/> where the stateful rules still have to run.</summary>
    public static TxStatus[] Statuses(Block block, uint chainId, ISignatureVerifier verifier)
    {
        var statuses = Precheck(block, chainId);
        var verdicts = new bool[block.Count];
        verifier.Verify(block.Data, SignatureJobs.ForBlock(block, statuses), verdicts);
        ApplyVerdicts(verdicts, statuses);
        return statuses;
    }

    public void Dispose()
    {
        if (_ownsVerifier) (_verifier as IDisposable)?.Dispose();
        (_hasher as IDisposable)?.Dispose();
        _resident?.Dispose();
    }
}
