using Microsoft.Extensions.Logging;

namespace GpuExec.Engine;

/// <summary>The engine's log messages: static templates, cheap when the level is off.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "Block {Height}: stage {Stage} took {Milliseconds:F2} ms for {Transactions} transactions")]
    public static partial void Stage(ILogger logger, ulong height, string stage, double milliseconds, int transactions);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Block {Height}: {Transactions} transactions, {Scheduled} applied on {Lanes} lanes, critical path {CriticalPath}, effective parallelism {Parallelism:F1}")]
    public static partial void Schedule(ILogger logger, ulong height, int transactions, int scheduled, int lanes, int criticalPath, double parallelism);

    [LoggerMessage(EventId = 106, Level = LogLevel.Debug, Message = "Block {Height}: stage {Stage} does not run in this mode")]
    public static partial void StageSkipped(ILogger logger, ulong height, string stage);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Block {Height} executed on {Device}: {Transactions} transactions in {Milliseconds:F2} ms (signatures: {CacheHits} from the cache, {Verified} verified), state root {StateRoot}")]
    public static partial void Done(ILogger logger, ulong height, string device, int transactions, double milliseconds, int cacheHits, int verified, string stateRoot);

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "Block {Height} refused: {Reason}")]
    public static partial void Refused(ILogger logger, ulong height, string reason);

    [LoggerMessage(EventId = 104, Level = LogLevel.Information, Message = "Block {Height} cancelled before stage {Stage}; the state is unchanged")]
    public static partial void Cancelled(ILogger logger, ulong height, string stage);

    [LoggerMessage(EventId = 105, Level = LogLevel.Information, Message = "Pipeline ready on {Device} with {Threads} worker threads, apply mode {Mode}")]
    public static partial void Ready(ILogger logger, string device, int threads, string mode);

    [LoggerMessage(EventId = 111, Level = LogLevel.Information, Message = "Signature verifier: {Verifier} ({Reason})")]
    public static partial void Verifier(ILogger logger, string verifier, string reason);
}
