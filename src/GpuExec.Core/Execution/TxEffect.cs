using System.Runtime.InteropServices;

namespace GpuExec.Execution;

/// <summary>
/// What one transaction moved, beside its status: the fee charged, and the payload's debit from the
/// sender and credit (to the recipient of a transfer, to the sender for a swap or a route). Every
/// executor fills it from the one rule implementation, so the effects of a block are identical
/// whatever the device or thread count.
/// <para>A transaction the stateful rules never reached (malformed, wrong chain, bad signature) or
/// refused before the charge (bad nonce, insufficient fee) has no effect: every field is 0. One whose
/// payload failed after the charge (insufficient balance, unknown pool, bad route, zero output,
/// slippage) has only <see cref="Fee"/>. An applied one also has its debit and credit.</para>
/// </summary>
// Auto layout packs the two tokens together: 40 bytes per transaction instead of 48.
[StructLayout(LayoutKind.Auto)]
public readonly record struct TxEffect
{
    /// <summary>The fee charged, in token 0, from the sender to the block's fee collector (0 when not charged, or a fee of 0).</summary>
    public ulong Fee { get; init; }

    /// <summary>The token the payload debited from the sender: the transfer's token, or the swap's or route's input token.</summary>
    public uint DebitToken { get; init; }

    /// <summary>How much of <see cref="DebitToken"/> the payload debited: the transfer's amount, or the swap's or route's <c>amount_in</c>.</summary>
    public ulong DebitAmount { get; init; }

    /// <summary>The token the payload credited: the transfer's token (to the recipient), or the swap's or route's output token (to the sender).</summary>
    public uint CreditToken { get; init; }

    /// <summary>How much of <see cref="CreditToken"/> the payload credited.</summary>
    public ulong CreditAmount { get; init; }

    /// <summary>A swap's or route's output (of its last hop, for a route), credited to the sender; 0 for a transfer and for a payload that failed.</summary>
    public ulong AmountOut { get; init; }
}
