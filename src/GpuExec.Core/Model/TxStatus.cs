namespace GpuExec.Model;

/// <summary>Receipt statuses of SPEC section 4, in rule order.</summary>
public enum TxStatus : byte
{
    Ok = 0,
    Malformed,
    WrongChain,
    BadSignature,
    BadNonce,
    InsufficientFee,
    InsufficientBalance,
    UnknownPool,
    ZeroOutput,
    Slippage,
}

public static class TxStatusNames
{
    private static readonly string[] Names =
    [
        "OK", "MALFORMED", "WRONG_CHAIN", "BAD_SIGNATURE", "BAD_NONCE", "INSUFFICIENT_FEE",
        "INSUFFICIENT_BALANCE", "UNKNOWN_POOL", "ZERO_OUTPUT", "SLIPPAGE",
    ];

    /// <summary>The exact name SPEC section 4 gives the status (receipts use it).</summary>
    public static string Name(this TxStatus status) => Names[(int)status];

    public static bool TryParse(string name, out TxStatus status)
    {
        int i = Array.IndexOf(Names, name);
        status = (TxStatus)Math.Max(i, 0);
        return i >= 0;
    }

    /// <summary>True when the transaction was charged (fee and nonce applied), whatever its payload did.</summary>
    public static bool IsCharged(this TxStatus status) => status is TxStatus.Ok or >= TxStatus.InsufficientBalance;
}
