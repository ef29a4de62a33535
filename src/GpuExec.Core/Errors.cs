namespace GpuExec;

/// <summary>Why the engine refused something: decides the CLI's exit code.</summary>
public enum ErrorKind
{
    /// <summary>Input that is not what the format says (JSON, numbers, a truncated file, ...).</summary>
    InvalidInput,
    /// <summary>A well-formed block that SPEC section 3 rejects whole (wrong parent root, tx_root, ...).</summary>
    BlockRejected,
}

/// <summary>
/// The project's own error: a message that names the file and the field, and a kind.
/// Everything the engine refuses is reported through it; nothing is changed when it is thrown.
/// </summary>
public class GpuExecException : Exception
{
    /// <summary>An error of <paramref name="kind"/> with a message that names the file and the field.</summary>
    public GpuExecException(ErrorKind kind, string message) : base(message) => Kind = kind;
    /// <summary>An error of <paramref name="kind"/> caused by <paramref name="inner"/>.</summary>
    public GpuExecException(ErrorKind kind, string message, Exception inner) : base(message, inner) => Kind = kind;
    /// <summary>Whether the input was malformed or a well-formed block was rejected.</summary>
    public ErrorKind Kind { get; }
}

/// <summary>
/// Why a block was refused whole, for a program to act on (the message says the same for a person):
/// <see cref="BlockRefusedException.Reason"/>. <see cref="BlockFormatException"/> carries the format
/// reasons, <see cref="BlockRejectedException"/> the reasons SPEC section 3 gives against the state.
/// </summary>
public enum BlockRefusal
{
    /// <summary>No reason was given (an exception made by other code with a message alone).</summary>
    Unspecified,
    /// <summary>The bytes do not start with the magic <c>GXB1</c>. Expected and actual: the first bytes in hex.</summary>
    BadMagic,
    /// <summary>The bytes end before the header, a length field or a record does. Expected: the bytes needed at least; actual: the bytes there are.</summary>
    Truncated,
    /// <summary>Bytes follow the last record. Expected: where the records end (the length the block should have); actual: the length it has.</summary>
    TrailingBytes,
    /// <summary>A block over an input limit (<see cref="Wire.InputLimits"/>): its transaction count or its file's size. Expected: the limit; actual: the value (null when a stream without a length was cut at the limit).</summary>
    OverLimit,
    /// <summary>The header's chain id is not the state's. Expected: the state's chain id; actual: the block's.</summary>
    WrongChain,
    /// <summary>The state is at height 2^64-1, after which no block can come. Expected: null; actual: the block's height.</summary>
    HeightExhausted,
    /// <summary>The header's height is not the state's height + 1. Expected: the next height; actual: the block's.</summary>
    WrongHeight,
    /// <summary>The header's parent_state_root is not the state's root. Expected: the state's root; actual: the block's.</summary>
    WrongParentRoot,
    /// <summary>The header's tx_root is not the Merkle root of the block's records. Expected: the root computed from the records; actual: the block's.</summary>
    WrongTxRoot,
}

/// <summary>
/// A block refused whole, with why for a program to act on: by the wire format
/// (<see cref="BlockFormatException"/>, exit 3 in the CLI) or by SPEC section 3's rules against the
/// state (<see cref="BlockRejectedException"/>, exit 4). A node that treats both alike catches this.
/// </summary>
public abstract class BlockRefusedException : GpuExecException
{
    private protected BlockRefusedException(ErrorKind kind, string message) : base(kind, message) { }

    private protected BlockRefusedException(ErrorKind kind, BlockRefusal reason, string? expected, string? actual, string message) : base(kind, message)
    {
        Reason = reason;
        Expected = expected;
        Actual = actual;
    }

    /// <summary>Why the block was refused; <see cref="BlockRefusal.Unspecified"/> for an exception made with a message alone.</summary>
    public BlockRefusal Reason { get; }
    /// <summary>The value the format or the state requires, as <see cref="Reason"/> documents it; null when there is none.</summary>
    public string? Expected { get; }
    /// <summary>The value the block has, as <see cref="Reason"/> documents it; null when unknown.</summary>
    public string? Actual { get; }
}

/// <summary>Bytes that are not a valid <c>.gxb</c> block (SPEC section 3): wrong magic, truncated, trailing bytes, over a limit (<see cref="BlockRefusal.BadMagic"/> to <see cref="BlockRefusal.OverLimit"/>).</summary>
public sealed class BlockFormatException : BlockRefusedException
{
    /// <summary>A block file that does not follow the wire format (SPEC section 3), for no reason a program can tell (<see cref="BlockRefusal.Unspecified"/>).</summary>
    public BlockFormatException(string message) : base(ErrorKind.InvalidInput, message) { }

    /// <summary>A block file refused for <paramref name="reason"/>, with the values that were expected and found (decimal numbers, or hex for bytes).</summary>
    public BlockFormatException(BlockRefusal reason, string? expected, string? actual, string message)
        : base(ErrorKind.InvalidInput, reason, expected, actual, message) { }
}

/// <summary>A decodable block that SPEC section 3 rejects whole (<see cref="BlockRefusal.WrongChain"/> to <see cref="BlockRefusal.WrongTxRoot"/>).</summary>
public sealed class BlockRejectedException : BlockRefusedException
{
    /// <summary>A well-formed block that SPEC section 3 rejects whole, for no reason a program can tell (<see cref="BlockRefusal.Unspecified"/>).</summary>
    public BlockRejectedException(string message) : base(ErrorKind.BlockRejected, message) { }

    /// <summary>
    /// A block refused for <paramref name="reason"/>, with the values that were expected (the state's)
    /// and found (the block's): decimal numbers for chain ids and heights, 64 lowercase hex digits for roots.
    /// </summary>
    public BlockRejectedException(BlockRefusal reason, string? expected, string? actual, string message)
        : base(ErrorKind.BlockRejected, reason, expected, actual, message) { }
}

/// <summary>A genesis or dump JSON file that breaks SPEC section 7 or section 1.</summary>
public sealed class StateFormatException : GpuExecException
{
    /// <summary>A genesis or state file that does not follow the state format.</summary>
    public StateFormatException(string message) : base(ErrorKind.InvalidInput, message) { }
}
