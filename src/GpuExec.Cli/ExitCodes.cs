namespace GpuExec.Cli;

/// <summary>The process exit codes of <c>gpuexec</c>, documented in the README.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>A bug or an environment failure (out of memory, disk full, ...).</summary>
    public const int InternalError = 1;
    /// <summary>The command line is wrong: unknown command or option, missing or bad value.</summary>
    public const int Usage = 2;
    /// <summary>An input file is missing, unreadable or breaks its format (JSON, .gxb, JSONL).</summary>
    public const int InvalidInput = 3;
    /// <summary>A block was refused whole (SPEC section 3: chain, height, parent root, tx_root).</summary>
    public const int BlockRejected = 4;
    /// <summary>The requested device is not present (an explicit --device that cannot be had).</summary>
    public const int DeviceUnavailable = 5;
    /// <summary>The benchmark's executors disagreed: a consensus fault, nothing is reported.</summary>
    public const int ResultMismatch = 6;

    public static int For(ErrorKind kind) => kind switch
    {
        ErrorKind.BlockRejected => BlockRejected,
        _ => InvalidInput,
    };
}
