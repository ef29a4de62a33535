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

/// <summary>Bytes that are not a valid <c>.gxb</c> block (SPEC section 3): wrong magic, truncated, trailing bytes.</summary>
public sealed class BlockFormatException : GpuExecException
{
    /// <summary>A block file that does not follow the wire format (SPEC section 3).</summary>
    public BlockFormatException(string message) : base(ErrorKind.InvalidInput, message) { }
}

/// <summary>A decodable block that SPEC section 3 rejects whole.</summary>
public sealed class BlockRejectedException : GpuExecException
{
    /// <summary>A well-formed block that SPEC section 3 rejects whole.</summary>
    public BlockRejectedException(string message) : base(ErrorKind.BlockRejected, message) { }
}

/// <summary>A genesis or dump JSON file that breaks SPEC section 7 or section 1.</summary>
public sealed class StateFormatException : GpuExecException
{
    /// <summary>A genesis or state file that does not follow the state format.</summary>
    public StateFormatException(string message) : base(ErrorKind.InvalidInput, message) { }
}
