using GpuExec.Crypto;
using GpuExec.Model;
using GpuExec.State;

namespace GpuExec.Execution;

/// <summary>What a transaction would get if it were applied now: its status, and what it would move.</summary>
/// <param name="Status">The receipt status: <see cref="TxStatus.Ok"/>, or the first rule of SPEC section 4 it breaks.</param>
/// <param name="Effect">What it would charge, debit and credit (a swap's or route's amount out on the current reserves).</param>
public readonly record struct TxCheckResult(TxStatus Status, TxEffect Effect);

/// <summary>
/// Checks transactions against a state without changing it, for a mempool's admission: which rule
/// of SPEC section 4 a transaction would fail if a block applied it now. Rules 1-2 (well-formed,
/// chain) statelessly, rule 3 (the signature, with libsodium's verdict) when asked, then rules 4-7
/// (nonce, fee, balance, pool, route, output) by the very rules every executor runs, on a throwaway
/// copy of what the transactions touch: the state is only read.
/// </summary>
public static class TxCheck
{
    /// <summary>The status <paramref name="record"/> would get as the first transaction of a block on <paramref name="state"/>.</summary>
    /// <param name="state">The state to check against (its chain id is the one the record must carry); only read.</param>
    /// <param name="record">A whole transaction record (body and signature).</param>
    /// <param name="verifySignature">False when the signature was verified already (a pre-verification verdict): rule 3 is then skipped.</param>
    /// <param name="feeCollector">The next block's fee collector, when known; it matters only for a transaction the collector sends (its fee comes back to it before the payload). Null: a collector that is not the sender.</param>
    public static TxCheckResult Check(IStateReader state, ReadOnlySpan<byte> record, bool verifySignature = true, Address? feeCollector = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        var set = new WorkingSet(state, 4);
        var access = new WorkingSetTxState(set, Collector(set, feeCollector));
        return Run(ref access, state.ChainId, record, verifySignature);
    }

    /// <summary>
    /// The statuses <paramref name="records"/> would get as consecutive transactions of one block on
    /// <paramref name="state"/>, in this order: a sender's later nonces see its earlier transactions,
    /// swaps see the reserves the ones before them left. The state is only read.
    /// </summary>
    /// <param name="state">The state to check against; only read.</param>
    /// <param name="records">Whole transaction records, in the order a block would hold them.</param>
    /// <param name="verifySignatures">False when the signatures were verified already: rule 3 is then skipped.</param>
    /// <param name="feeCollector">As for <see cref="Check(IStateReader, ReadOnlySpan{byte}, bool, Address?)"/>.</param>
    public static TxCheckResult[] CheckSequence(IStateReader state, IReadOnlyList<ReadOnlyMemory<byte>> records, bool verifySignatures = true, Address? feeCollector = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(records);
        var results = new TxCheckResult[records.Count];
        var set = new WorkingSet(state, Math.Min(2 * records.Count + 1, 1 << 20));
        var access = new WorkingSetTxState(set, Collector(set, feeCollector));
        for (int i = 0; i < results.Length; i++) results[i] = Run(ref access, state.ChainId, records[i].Span, verifySignatures);
        return results;
    }

    // Without a known collector, fees go to an account outside the working set: no sender is it.
    private static Account Collector(WorkingSet set, Address? feeCollector) =>
        feeCollector is { } c ? set.Account(c) : new Account(default);

    private static TxCheckResult Run(ref WorkingSetTxState access, uint chainId, ReadOnlySpan<byte> record, bool verifySignature)
    {
        var status = TxRules.Precheck(record, chainId);
        if (status != TxStatus.Ok) return new TxCheckResult(status, default);
        var tx = new TransactionView(record);
        if (verifySignature && !Libsodium.Ed25519Verify(tx.SenderBytes, tx.Body, tx.Signature))
            return new TxCheckResult(TxStatus.BadSignature, default);
        access.Sender = access.Set.Account(tx.Sender);
        TxEffect effect = default;
        status = TxRules.Apply(ref access, record, ref effect);
        return new TxCheckResult(status, effect);
    }
}
