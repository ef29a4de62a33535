using System.Security.Cryptography;
using GpuExec.Commitments;
using GpuExec.Crypto;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Execution;

/// <summary>
/// The reference executor: SPEC section 4 applied one transaction at a time, in block order, on
/// one thread, with libsodium verifying each signature. It is the oracle every other executor is
/// tested against and the baseline every speed-up is measured from, so it is kept honest and fast:
/// no allocation per transaction, struct keys, the rules inlined through a struct state.
/// </summary>
public static class SequentialExecutor
{
    /// <summary>
    /// Checks the block against the state (SPEC section 3) and applies it in place.
    /// A refused block throws <see cref="BlockRejectedException"/> before anything changes.
    /// </summary>
    /// <param name="verifySignatures">False only for benchmarks that measure execution alone:
    /// every signature is then taken as valid, which breaks SPEC section 5.</param>
    public static BlockResult Execute(WorldState state, Block block, bool verifySignatures = true)
    {
        var (statuses, txids, changes, effects) = Run(state, block, verifySignatures);
        var root = state.Apply(changes, block.Header.Height);
        return new BlockResult(statuses, txids, root) { Changes = changes, Effects = effects };
    }

    /// <summary>
    /// Executes <paramref name="block"/> on <paramref name="parent"/> (a live state, or a pending one)
    /// without changing it: the result, and the state after the block as a <see cref="PendingState"/>
    /// that <see cref="WorldState.Commit(PendingState)"/> makes the committed one.
    /// </summary>
    /// <exception cref="BlockRejectedException">SPEC section 3 refuses the block.</exception>
    public static (BlockResult Result, PendingState State) Propose(IStateReader parent, Block block)
    {
        var (statuses, txids, changes, effects) = Run(parent, block, verifySignatures: true);
        var pending = PendingState.Create(parent, changes, block.Header.Height, runner: null);
        return (new BlockResult(statuses, txids, pending.StateRoot) { Changes = changes, Effects = effects }, pending);
    }

    private static (TxStatus[] Statuses, byte[] TxIds, ChangeSet Changes, TxEffect[] Effects) Run(IStateReader state, Block block, bool verifySignatures)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(block);
        BlockChecks.Check(state, block);

        // Rules 1-3 and the txids, then rules 4-7 in block order: one transaction at a time throughout.
        int n = block.Count;
        var statuses = new TxStatus[n];
        var txids = new byte[n * 32];
        uint chainId = state.ChainId;
        for (int i = 0; i < n; i++)
        {
            var record = block.Record(i);
            SHA256.HashData(record, txids.AsSpan(i * 32, 32));
            statuses[i] = TxRules.Precheck(record, chainId);
            if (statuses[i] == TxStatus.Ok && verifySignatures)
            {
                var tx = new TransactionView(record);
                if (!Libsodium.Ed25519Verify(tx.SenderBytes, tx.Body, tx.Signature)) statuses[i] = TxStatus.BadSignature;
            }
        }
        var effects = new TxEffect[n];
        var (changes, _) = ApplyInOrder(state, block, statuses, effects);
        return (statuses, txids, changes, effects);
    }

    /// <summary>
    /// Rules 4-7 in block order for the transactions whose status is still <see cref="TxStatus.Ok"/>
    /// after rules 1-3 (precheck and signatures, done elsewhere); fills in their statuses. The block
    /// must already have passed <see cref="BlockChecks"/>. The state is only read: the rules run on
    /// a <see cref="WorkingSet"/> of copies, and what changed comes back as the block's change set.
    /// </summary>
    /// <param name="effects">One per transaction, filled for those the rules run on (the others are left as they are); null records none.</param>
    /// <returns>The block's changes, and how many transactions the rules were applied to.</returns>
    internal static (ChangeSet Changes, int Applied) ApplyInOrder(IStateReader state, Block block, TxStatus[] statuses, TxEffect[]? effects = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(block);
        ArgumentNullException.ThrowIfNull(statuses);
        if (statuses.Length != block.Count) throw new ArgumentException("one status per transaction", nameof(statuses));
        if (effects is not null && effects.Length != block.Count) throw new ArgumentException("one effect per transaction", nameof(effects));
        TxEffect scratch = default;
        var set = new WorkingSet(state, Math.Min(2 * block.Count + 1, 1 << 20));
        var access = new WorkingSetTxState(set, set.Account(block.Header.FeeCollector));
        int applied = 0;
        for (int i = 0; i < statuses.Length; i++)
        {
            if (statuses[i] != TxStatus.Ok) continue;
            var record = block.Record(i);
            access.Sender = set.Account(new TransactionView(record).Sender);
            statuses[i] = TxRules.Apply(ref access, record, ref effects is null ? ref scratch : ref effects[i]);
            applied++;
        }
        return (set.ToChangeSet(), applied);
    }
}
