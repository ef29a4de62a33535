using System.Buffers;
using GpuExec.Execution;
using GpuExec.Kernels.Verify;
using GpuExec.Model;
using GpuExec.Wire;

namespace GpuExec.Engine.Verify;

/// <summary>
/// Verifies transactions through a <see cref="SignatureCache"/>: <see cref="PreVerify(IReadOnlyList{ReadOnlyMemory{byte}}, uint?)"/>
/// as they arrive (a mempool), remembering each verdict by txid, then <see cref="VerifyBlock"/> for
/// the block that includes them, which takes the remembered verdicts and verifies only the rest.
/// </summary>
/// <remarks>
/// The verifier and hasher are called on the calling thread, at the same time when several threads
/// pre-verify at once. <see cref="CpuSignatureVerifier"/> and <see cref="CpuHasher"/> allow that;
/// the ILGPU ones are not thread-safe, so give each stream of calls its own or serialize the calls.
/// </remarks>
internal sealed class SignatureCacheVerifier
{
    /// <summary>Verifies through <paramref name="cache"/> with <paramref name="verifier"/>; txids by <paramref name="hasher"/> (default <see cref="CpuHasher.Instance"/>).</summary>
    public SignatureCacheVerifier(SignatureCache cache, ISignatureVerifier verifier, IHasher? hasher = null)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(verifier);
        Cache = cache;
        Verifier = verifier;
        Hasher = hasher ?? CpuHasher.Instance;
    }

    /// <summary>Where verdicts are remembered.</summary>
    public SignatureCache Cache { get; }

    /// <summary>What checks the signatures the cache does not know.</summary>
    public ISignatureVerifier Verifier { get; }

    /// <summary>What computes txids (SHA-256 of each record) in <see cref="PreVerify(IReadOnlyList{ReadOnlyMemory{byte}}, uint?)"/>.</summary>
    public IHasher Hasher { get; }

    /// <summary>
    /// Verifies arriving transaction records and remembers their verdicts: each record's txid (the
    /// SHA-256 of all its bytes) is computed, the stateless precheck of the pipeline
    /// (<see cref="TxRules.Precheck"/>) sorts out the ones with no verdict to remember, and those
    /// the cache does not know yet are verified in one batch and added.
    /// </summary>
    /// <param name="records">Whole transaction records (body and signature), as they appear in a block.</param>
    /// <param name="chainId">
    /// The chain the records are meant for, when known: records for another chain are then skipped
    /// (a block of this chain rejects them before their signature is read, so verifying them is
    /// wasted). Null: every well-formed record is verified, whatever its chain; that is sound because
    /// a verdict depends only on the bytes, which the txid covers, chain id included.
    /// </param>
    /// <exception cref="ArgumentException">The records add up to more than 2 GiB.</exception>
    public PreVerifyResult PreVerify(IReadOnlyList<ReadOnlyMemory<byte>> records, uint? chainId = null)
    {
        ArgumentNullException.ThrowIfNull(records);
        return PreVerify(records, new TxStatus[records.Count], chainId);
    }

    /// <summary>
    /// <see cref="PreVerify(IReadOnlyList{ReadOnlyMemory{byte}}, uint?)"/>, also telling what each record is:
    /// <see cref="TxStatus.Malformed"/>, <see cref="TxStatus.WrongChain"/> (only when
    /// <paramref name="chainId"/> is given), <see cref="TxStatus.BadSignature"/>, or
    /// <see cref="TxStatus.Ok"/> (well-formed, correctly signed; its state rules are not checked).
    /// </summary>
    /// <param name="records">Whole transaction records (body and signature).</param>
    /// <param name="statuses">One status per record, written.</param>
    /// <param name="chainId">As in the overload without statuses.</param>
    /// <exception cref="ArgumentException">A status per record is not given, or the records add up to more than 2 GiB.</exception>
    public PreVerifyResult PreVerify(IReadOnlyList<ReadOnlyMemory<byte>> records, Span<TxStatus> statuses, uint? chainId = null) =>
        PreVerify(records, statuses, default, default, chainId);

    /// <summary>
    /// <see cref="PreVerify(IReadOnlyList{ReadOnlyMemory{byte}}, Span{TxStatus}, uint?)"/>, also
    /// writing each record's txid and whether its verdict came from the cache (empty spans: not wanted).
    /// </summary>
    /// <param name="txids">Empty, or 32 bytes per record, written.</param>
    /// <param name="cached">Empty, or one flag per record, written: true where the cache held the verdict.</param>
    public PreVerifyResult PreVerify(IReadOnlyList<ReadOnlyMemory<byte>> records, Span<TxStatus> statuses, Span<byte> txids, Span<bool> cached, uint? chainId)
    {
        ArgumentNullException.ThrowIfNull(records);
        int n = records.Count;
        if (statuses.Length != n) throw new ArgumentException($"{statuses.Length} statuses for {n} records", nameof(statuses));
        if (!txids.IsEmpty && txids.Length != 32L * n) throw new ArgumentException($"{txids.Length} bytes of txids for {n} records", nameof(txids));
        if (!cached.IsEmpty && cached.Length != n) throw new ArgumentException($"{cached.Length} flags for {n} records", nameof(cached));
        long total = 0;
        for (int i = 0; i < n; i++) total += records[i].Length;
        if (total > Array.MaxLength) throw new ArgumentException($"{total} bytes of records in one batch; split it", nameof(records));

        // One arena for the hasher and the verifier, which read jobs over a single buffer. Not pooled:
        // a large batch would otherwise stay held by the pool, and verifying costs far more than allocating.
        var arena = GC.AllocateUninitializedArray<byte>((int)total);
        var jobs = new HashJob[n];
        int at = 0;
        for (int i = 0; i < n; i++)
        {
            var r = records[i].Span;
            r.CopyTo(arena.AsSpan(at));
            jobs[i] = new HashJob(at, r.Length);
            at += r.Length;
        }
        return Run(arena, jobs, statuses, chainId, txids, cached);
    }

    /// <summary><see cref="PreVerify(IReadOnlyList{ReadOnlyMemory{byte}}, uint?)"/> of a decoded block's records, read in place.</summary>
    /// <param name="block">The block whose transactions to pre-verify.</param>
    /// <param name="chainId">As for records; <c>block.Header.ChainId</c> skips the records a pipeline would reject for their chain.</param>
    public PreVerifyResult PreVerify(Block block, uint? chainId = null)
    {
        ArgumentNullException.ThrowIfNull(block);
        var statuses = new TxStatus[block.Count];
        return PreVerify(block, statuses, chainId);
    }

    /// <summary><see cref="PreVerify(IReadOnlyList{ReadOnlyMemory{byte}}, Span{TxStatus}, uint?)"/> of a decoded block's records, read in place.</summary>
    /// <param name="block">The block whose transactions to pre-verify.</param>
    /// <param name="statuses">One status per transaction, written.</param>
    /// <param name="chainId">As for records.</param>
    public PreVerifyResult PreVerify(Block block, Span<TxStatus> statuses, uint? chainId = null)
    {
        ArgumentNullException.ThrowIfNull(block);
        if (statuses.Length != block.Count) throw new ArgumentException($"{statuses.Length} statuses for {block.Count} transactions", nameof(statuses));
        return Run(block.Data, HashJobs.ForRecords(block), statuses, chainId);
    }

    /// <summary>
    /// The verify stage of a block through the cache: verdicts of the transactions the cache knows
    /// are taken from it (hits), the others are verified in one batch by <see cref="Verifier"/>
    /// (misses). <paramref name="verdicts"/> ends as <see cref="ISignatureVerifier.Verify"/> over
    /// <see cref="SignatureJobs.ForBlock"/> would leave it: libsodium's verdict for every
    /// <see cref="TxStatus.Ok"/> transaction, false (not to be read) for the others.
    /// </summary>
    /// <param name="block">The block being executed.</param>
    /// <param name="txids">n × 32 bytes: the SHA-256 of each record of <paramref name="block"/>, in order. They are trusted: wrong txids give wrong verdicts.</param>
    /// <param name="statuses">The statuses after the precheck; only <see cref="TxStatus.Ok"/> transactions are verified.</param>
    /// <param name="verdicts">n verdicts, written.</param>
    /// <param name="remember">
    /// Whether to add the verdicts of the misses to the cache. Off by default: once a block is
    /// applied its transactions do not come again, and their verdicts would only push out those of
    /// transactions still waiting for a block.
    /// </param>
    /// <returns>Hits and misses for the block's log (the cache's counters count them too).</returns>
    /// <exception cref="ArgumentException">The lengths do not agree with the block.</exception>
    public SignatureCacheLookup VerifyBlock(Block block, ReadOnlySpan<byte> txids, ReadOnlySpan<TxStatus> statuses, Span<bool> verdicts, bool remember = false)
    {
        ArgumentNullException.ThrowIfNull(block);
        if (statuses.Length != block.Count) throw new ArgumentException($"{statuses.Length} statuses for {block.Count} transactions", nameof(statuses));
        var lookup = Cache.Lookup(txids, statuses, verdicts);
        VerifyMisses(block.Data, HashJobsOf(block, lookup.Misses), lookup.Misses, verdicts);
        if (remember) Cache.AddRange(txids, lookup.Misses, verdicts);
        return lookup;
    }

    private static HashJob[] HashJobsOf(Block block, int[] indices)
    {
        var jobs = new HashJob[indices.Length];
        for (int k = 0; k < indices.Length; k++)
            jobs[k] = new HashJob(block.RecordOffsets[indices[k]], block.RecordLengths[indices[k]]);
        return jobs;
    }

    private PreVerifyResult Run(ReadOnlySpan<byte> arena, ReadOnlySpan<HashJob> records, Span<TxStatus> statuses, uint? chainId,
        Span<byte> txidsOut = default, Span<bool> cachedOut = default)
    {
        int n = records.Length, skipped = 0;
        for (int i = 0; i < n; i++)
        {
            var s = TxRules.Precheck(arena.Slice(records[i].Offset, records[i].Length), chainId ?? 0);
            if (s == TxStatus.WrongChain && chainId is null) s = TxStatus.Ok;
            statuses[i] = s;
            if (s != TxStatus.Ok) skipped++;
        }
        var txids = new byte[32 * n];
        Hasher.Sha256(arena, records, txids);
        var verdicts = new bool[n];
        var known = Cache.Probe(txids, statuses, verdicts);
        if (!txidsOut.IsEmpty) txids.CopyTo(txidsOut);
        if (!cachedOut.IsEmpty)
        {
            for (int i = 0; i < n; i++) cachedOut[i] = statuses[i] == TxStatus.Ok;
            foreach (int i in known.Misses) cachedOut[i] = false;
        }

        var missJobs = new HashJob[known.MissCount];
        for (int k = 0; k < missJobs.Length; k++) missJobs[k] = records[known.Misses[k]];
        VerifyMisses(arena, missJobs, known.Misses, verdicts);
        Cache.AddRange(txids, known.Misses, verdicts);

        int bad = 0;
        for (int i = 0; i < n; i++)
        {
            if (statuses[i] == TxStatus.Ok && !verdicts[i])
            {
                statuses[i] = TxStatus.BadSignature;
                bad++;
            }
        }
        return new PreVerifyResult(n, skipped, known.Hits, known.MissCount, bad);
    }

    /// <summary>verdicts[indices[k]] = the verdict of well-formed record k of <paramref name="records"/>, in one batch.</summary>
    private void VerifyMisses(ReadOnlySpan<byte> arena, ReadOnlySpan<HashJob> records, ReadOnlySpan<int> indices, Span<bool> verdicts)
    {
        int m = indices.Length;
        if (m == 0) return;
        var jobs = new SignatureJob[m];
        for (int k = 0; k < m; k++)
        {
            int off = records[k].Offset, len = records[k].Length;
            jobs[k] = new SignatureJob(off, len - TransactionView.SignatureSize, off + TransactionView.SenderOffset, off + len - TransactionView.SignatureSize);
        }
        var valid = ArrayPool<bool>.Shared.Rent(m);
        try
        {
            Verifier.Verify(arena, jobs, valid.AsSpan(0, m));
            for (int k = 0; k < m; k++) verdicts[indices[k]] = valid[k];
        }
        finally
        {
            ArrayPool<bool>.Shared.Return(valid);
        }
    }
}
