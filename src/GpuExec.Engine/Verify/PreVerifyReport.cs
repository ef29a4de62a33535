using GpuExec.Model;
using GpuExec.Wire;

namespace GpuExec.Engine.Verify;

/// <summary>The pre-verification verdict of one transaction record.</summary>
/// <param name="Index">The record's position in the list given.</param>
/// <param name="TxId">The record's txid (<see cref="Model.TxId.Of"/>), by which a block's sigverify stage finds the verdict.</param>
/// <param name="Status">
/// <see cref="TxStatus.Ok"/> (well-formed and correctly signed; the state's rules are not checked:
/// see <see cref="Execution.TxCheck"/>), <see cref="TxStatus.Malformed"/>,
/// <see cref="TxStatus.WrongChain"/> (only when a chain id was given) or <see cref="TxStatus.BadSignature"/>.
/// </param>
/// <param name="FromCache">Whether the verdict came from the signature cache instead of being verified now.</param>
public readonly record struct TxVerdict(int Index, Hash32 TxId, TxStatus Status, bool FromCache);

/// <summary>What <see cref="IBlockExecutor.PreVerifyAsync"/> found: a verdict per record, in the order given, and the counts.</summary>
public sealed class PreVerifyReport
{
    private readonly TxVerdict[] _verdicts;

    internal PreVerifyReport(TxVerdict[] verdicts, PreVerifyResult summary)
    {
        _verdicts = verdicts;
        Summary = summary;
    }

    /// <summary>One verdict per record, in the order the records were given (<see cref="TxVerdict.Index"/> is the position).</summary>
    public IReadOnlyList<TxVerdict> Verdicts => _verdicts;

    /// <summary>The counts: records, skipped, already cached, verified now, bad signatures.</summary>
    public PreVerifyResult Summary { get; }

    /// <summary>A report from per-record statuses, txids (32 bytes each) and cache flags.</summary>
    internal static PreVerifyReport From(ReadOnlySpan<TxStatus> statuses, ReadOnlySpan<byte> txids, ReadOnlySpan<bool> cached, PreVerifyResult summary)
    {
        var verdicts = new TxVerdict[statuses.Length];
        for (int i = 0; i < verdicts.Length; i++)
            verdicts[i] = new TxVerdict(i, new Hash32(txids.Slice(32 * i, 32)), statuses[i], cached[i]);
        return new PreVerifyReport(verdicts, summary);
    }
}
