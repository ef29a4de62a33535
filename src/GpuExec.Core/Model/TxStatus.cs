namespace GpuExec.Model;

/// <summary>
/// Receipt statuses of SPEC section 4. The numbers are stored in receipts (a RocksDB store's
/// receipts hold one byte per transaction), so they never change: <see cref="BadRoute"/>, which
/// SPEC v2 places after <see cref="UnknownPool"/> in rule order, is numbered last.
/// </summary>
public enum TxStatus : byte
{
    /// <summary>Applied.</summary>
    Ok = 0,
    /// <summary>The record does not follow SPEC section 2.</summary>
    Malformed,
    /// <summary>Signed for another chain.</summary>
    WrongChain,
    /// <summary>The Ed25519 signature does not verify.</summary>
    BadSignature,
    /// <summary>The nonce is not the sender's next one.</summary>
    BadNonce,
    /// <summary>The sender cannot pay the fee.</summary>
    InsufficientFee,
    /// <summary>The sender cannot pay the amount (after the fee).</summary>
    InsufficientBalance,
    /// <summary>The swap, or a hop of the route, names a pool that does not exist.</summary>
    UnknownPool,
    /// <summary>The swap, or a hop of the route, would pay out nothing.</summary>
    ZeroOutput,
    /// <summary>The swap or the route would pay out less than its minimum.</summary>
    Slippage,
    /// <summary>A hop of the route does not take the token the hop before it paid out.</summary>
    BadRoute,
}

/// <summary>The receipt names of the statuses.</summary>
public static class TxStatusNames
{
    private static readonly string[] Names =
    [
        "OK", "MALFORMED", "WRONG_CHAIN", "BAD_SIGNATURE", "BAD_NONCE", "INSUFFICIENT_FEE",
        "INSUFFICIENT_BALANCE", "UNKNOWN_POOL", "ZERO_OUTPUT", "SLIPPAGE", "BAD_ROUTE",
    ];

    /// <summary>The highest status number (stored receipts hold nothing above it).</summary>
    public const TxStatus Last = TxStatus.BadRoute;

    /// <summary>The exact name SPEC section 4 gives the status (receipts use it).</summary>
    public static string Name(this TxStatus status) => Names[(int)status];

    /// <summary>Parses a receipt name (as <see cref="Name"/> writes it).</summary>
    public static bool TryParse(string name, out TxStatus status)
    {
        int i = Array.IndexOf(Names, name);
        status = (TxStatus)Math.Max(i, 0);
        return i >= 0;
    }

    /// <summary>True when the transaction was charged (fee and nonce applied), whatever its payload did.</summary>
    public static bool IsCharged(this TxStatus status) => status is TxStatus.Ok or >= TxStatus.InsufficientBalance;
}
