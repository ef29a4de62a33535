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
internal sealed class VerifiedBlock(Block block, Hash32 txRoot, byte[] txIds, TxStatus[] statuses, StageClock clock)
{
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
/// tx_root    IHasher.MerkleRoot over the raw records
/// txids      IHasher.Sha256 of every record
/// sigverify  rules 1-2 (malformed, wrong chain), then ISignatureVerifier over the records in place (rule 3)
/// </code>
/// Thread-safe as long as the verifier and hasher are: the CPU ones are; ILGPU ones are guarded by
/// the pipeline's device lock.
/// </summary>
internal sealed class VerifyStage : IDisposable
{
    private readonly ISignatureVerifier _verifier;
    private readonly IHasher _hasher;

    private readonly bool _ownsVerifier;

    private VerifyStage(ISignatureVerifier verifier, IHasher hasher, bool ownsVerifier)
    {
        _verifier = verifier;
        _hasher = hasher;
        _ownsVerifier = ownsVerifier;
    }

    /// <summary>The verifier and hasher for <paramref name="device"/>: ILGPU kernels on an accelerator, libsodium and .NET's hashing on all cores without one.</summary>
    /// <param name="signatures">A verifier to use instead of the device's (tests run the ILGPU emulator's hashing and conflicts with signatures checked on the host); not owned.</param>
    public static VerifyStage For(ComputeDevice device, GpuExecOptions options, ISignatureVerifier? signatures = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(options);
        if (device.Accelerator is not { } acc)
            return new VerifyStage(signatures ?? new CpuSignatureVerifier(options.Threads), CpuHasher.Instance, ownsVerifier: signatures is null);
        var verifier = signatures ?? new IlgpuSignatureVerifier(acc, options.VerifyChunkSize);
        try { return new VerifyStage(verifier, new IlgpuHasher(acc), ownsVerifier: signatures is null); }
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
        _hasher.MerkleRoot(block.Data, leaves, root);
        var txRoot = new Hash32(root);
        checks?.Invoke(txRoot);
        clock.End();

        clock.Begin(StageTimings.TxIds);
        var txids = new byte[n * 32];
        _hasher.Sha256(block.Data, leaves, txids);
        clock.End();

        clock.Begin(StageTimings.SigVerify);
        var statuses = Statuses(block, chainId, _verifier);
        clock.End();
        return new VerifiedBlock(block, txRoot, txids, statuses, clock);
    }

    /// <summary>Each transaction's status after rules 1-3: <see cref="TxStatus.Ok"/> where the stateful rules still have to run.</summary>
    public static TxStatus[] Statuses(Block block, uint chainId, ISignatureVerifier verifier)
    {
        int n = block.Count;
        var statuses = new TxStatus[n];
        for (int i = 0; i < n; i++) statuses[i] = TxRules.Precheck(block.Record(i), chainId);
        var verdicts = new bool[n];
        verifier.Verify(block.Data, SignatureJobs.ForBlock(block, statuses), verdicts);
        for (int i = 0; i < n; i++)
            if (statuses[i] == TxStatus.Ok && !verdicts[i]) statuses[i] = TxStatus.BadSignature;
        return statuses;
    }

    public void Dispose()
    {
        if (_ownsVerifier) (_verifier as IDisposable)?.Dispose();
        (_hasher as IDisposable)?.Dispose();
    }
}
