namespace GpuExec.Model;

/// <summary>Receipt statuses of SPEC section 4, in rule order.</summary>
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
    /// <summary>The swap names a pool that does not exist.</summary>
    UnknownPool,
    /// <summary>The swap would pay out nothing.</summary>
    ZeroOutput,
    /// <summary>The swap would pay out less than its minimum.</summary>
    Slippage,
}

/// <summary>The receipt names of the statuses.</summary>
public static class TxStatusNames
{
    private static readonly string[] Names =
    [
        "OK", "MALFORMED", "WRONG_CHAIN", "BAD_SIGNATURE", "BAD_NONCE", "INSUFFICIENT_FEE",
        "INSUFFICIENT_BALANCE", "UNKNOWN_POOL", "ZERO_OUTPUT", "SLIPPAGE",
    ];

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
