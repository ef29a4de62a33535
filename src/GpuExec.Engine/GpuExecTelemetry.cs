using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;
using GpuExec.Engine.Verify;
using GpuExec.Model;

namespace GpuExec.Engine;

/// <summary>
/// The engine's metrics and traces, under the name <c>GpuExec</c>: a
/// <see cref="System.Diagnostics.Metrics.Meter"/> and an <see cref="System.Diagnostics.ActivitySource"/>
/// that any listener (OpenTelemetry's <c>AddMeter("GpuExec")</c> and <c>AddSource("GpuExec")</c>, a
/// <see cref="MeterListener"/>, <c>dotnet-counters</c>) can collect. Nothing is measured or traced
/// unless something listens.
/// <para>Instruments (every one tagged <see cref="DeviceTag"/> but the key-table count):
/// <see cref="Blocks"/> (tag <see cref="ModeTag"/>), <see cref="BlocksRefused"/> (tag <see cref="RefusalTag"/>),
/// <see cref="Transactions"/> (tags <see cref="ModeTag"/> and <see cref="StatusTag"/>: the receipt status, e.g. <c>OK</c>,
/// <c>BAD_NONCE</c>), <see cref="StageDuration"/> and <see cref="BlockDuration"/> (histograms in
/// seconds; tag <see cref="StageTag"/>), <see cref="SignatureCacheHits"/> and
/// <see cref="SignatureCacheMisses"/> (tag <see cref="OperationTag"/>: <c>block</c> or
/// <c>preverify</c>), <see cref="KeyTableHits"/>.</para>
/// <para>Spans: one per block (<see cref="BlockSpan"/>, from its first stage to its root; tags
/// height, transaction count, device, and the state root or the refusal) with one child per stage
/// that ran, named after the stage (<see cref="StageTimings.Order"/>). A span's parent is the
/// caller's current activity when the block was handed to the executor.</para>
/// </summary>
public static class GpuExecTelemetry
{
    /// <summary>The name of the meter and of the activity source.</summary>
    public const string Name = "GpuExec";

    /// <summary>Counter: blocks executed (tag <see cref="ModeTag"/>: applied to the state, or executed as a proposal).</summary>
    public const string Blocks = "gpuexec.blocks";
    /// <summary>Counter: blocks refused whole (SPEC section 3), by reason (<see cref="BlockRefusal"/>'s name).</summary>
    public const string BlocksRefused = "gpuexec.blocks.refused";
    /// <summary>Counter: transactions of executed blocks, by receipt status (and <see cref="ModeTag"/>).</summary>
    public const string Transactions = "gpuexec.transactions";
    /// <summary>Histogram, seconds: each stage's time, per block.</summary>
    public const string StageDuration = "gpuexec.stage.duration";
    /// <summary>Histogram, seconds: an applied block's stages, summed.</summary>
    public const string BlockDuration = "gpuexec.block.duration";
    /// <summary>Counter: signatures whose verdict came from the signature cache (in a block's sigverify stage, or in pre-verification).</summary>
    public const string SignatureCacheHits = "gpuexec.signature_cache.hits";
    /// <summary>Counter: signatures verified because the signature cache did not hold their verdict.</summary>
    public const string SignatureCacheMisses = "gpuexec.signature_cache.misses";
    /// <summary>Counter: signatures the SIMD verifier checked with a key table it already held for their signer.</summary>
    public const string KeyTableHits = "gpuexec.key_tables.hits";

    /// <summary>Span name of a block.</summary>
    public const string BlockSpan = "gpuexec.block";

    /// <summary>Tag: the device kind (<c>cpu</c>, <c>ilgpu-cpu</c>, <c>cuda</c>, <c>opencl</c>).</summary>
    public const string DeviceTag = "gpuexec.device";
    /// <summary>Tag: a receipt status's name (SPEC section 4).</summary>
    public const string StatusTag = "gpuexec.status";
    /// <summary>Tag: a stage's name.</summary>
    public const string StageTag = "gpuexec.stage";
    /// <summary>Tag: why a block was refused.</summary>
    public const string RefusalTag = "gpuexec.refusal";
    /// <summary>Tag: where a signature-cache lookup happened, <c>block</c> or <c>preverify</c>.</summary>
    public const string OperationTag = "gpuexec.operation";
    /// <summary>Tag: how a block was executed, <c>apply</c> (the state adopted it) or <c>propose</c> (on a parent, changing nothing; committing it later is not counted again).</summary>
    public const string ModeTag = "gpuexec.mode";

    private static readonly string? Version = typeof(GpuExecTelemetry).Assembly
        .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+')[0];

    internal static readonly Meter Meter = new(Name, Version);
    internal static readonly ActivitySource Source = new(Name, Version);

    internal static readonly Counter<long> BlockCounter = Meter.CreateCounter<long>(Blocks, "{block}", "Blocks applied");
    internal static readonly Counter<long> RefusedCounter = Meter.CreateCounter<long>(BlocksRefused, "{block}", "Blocks refused whole");
    internal static readonly Counter<long> TransactionCounter = Meter.CreateCounter<long>(Transactions, "{transaction}", "Transactions of applied blocks, by receipt status");
    // Stages take from tens of microseconds (a small block's tx_root) to seconds (sigverify of 10^6 signatures):
    // the default buckets, made for milliseconds, would put every stage in the first one.
    private static readonly InstrumentAdvice<double> Seconds = new()
    {
        HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    };

    internal static readonly Histogram<double> StageHistogram = Meter.CreateHistogram(StageDuration, "s", "Time of a pipeline stage for one block", tags: null, advice: Seconds);
    internal static readonly Histogram<double> BlockHistogram = Meter.CreateHistogram(BlockDuration, "s", "Time of an applied block's stages, summed", tags: null, advice: Seconds);
    internal static readonly Counter<long> CacheHitCounter = Meter.CreateCounter<long>(SignatureCacheHits, "{signature}", "Verdicts taken from the signature cache");
    internal static readonly Counter<long> CacheMissCounter = Meter.CreateCounter<long>(SignatureCacheMisses, "{signature}", "Signatures verified for want of a cached verdict");
    internal static readonly Counter<long> KeyTableHitCounter = Meter.CreateCounter<long>(KeyTableHits, "{signature}", "Signatures verified with a signer's key table");

    /// <summary>Counts a pre-verification's cache hits and misses.</summary>
    internal static void PreVerified(PreVerifyResult r, string device)
    {
        var tags = new TagList { { DeviceTag, device }, { OperationTag, "preverify" } };
        if (r.AlreadyCached > 0) CacheHitCounter.Add(r.AlreadyCached, tags);
        if (r.Verified > 0) CacheMissCounter.Add(r.Verified, tags);
    }

    /// <summary>Counts an applied block: the block, its transactions by status, its signature verdicts and its time.</summary>
    internal static void Applied(BlockExecution run, string device)
    {
        var deviceTag = new KeyValuePair<string, object?>(DeviceTag, device);
        var modeTag = new KeyValuePair<string, object?>(ModeTag, run.State is null ? "apply" : "propose");
        BlockCounter.Add(1, deviceTag, modeTag);
        BlockHistogram.Record(run.Stages.TotalMs / 1000, deviceTag);
        var blockTags = new TagList { { DeviceTag, device }, { OperationTag, "block" } };
        if (run.Verify.CacheHits > 0) CacheHitCounter.Add(run.Verify.CacheHits, blockTags);
        if (run.Verify.Verified > 0) CacheMissCounter.Add(run.Verify.Verified, blockTags);
        if (!TransactionCounter.Enabled) return;
        Span<long> counts = stackalloc long[(int)TxStatusNames.Last + 1];
        foreach (var s in run.Result.Statuses) counts[(int)s]++;
        for (int s = 0; s < counts.Length; s++)
            if (counts[s] > 0) TransactionCounter.Add(counts[s], deviceTag, modeTag, new(StatusTag, ((TxStatus)s).Name()));
    }

    /// <summary>Starts a span without making it the current activity, so that a span begun on one thread and ended on another leaves no thread's current activity changed.</summary>
    internal static Activity? StartDetached(string name, ActivityContext parent = default)
    {
        if (!Source.HasListeners()) return null;
        var previous = Activity.Current;
        var activity = parent == default ? Source.StartActivity(name, ActivityKind.Internal) : Source.StartActivity(name, ActivityKind.Internal, parent);
        Activity.Current = previous;
        return activity;
    }

    /// <summary>Ends a span started by <see cref="StartDetached"/>, leaving the current activity as it was.</summary>
    internal static void StopDetached(Activity? activity)
    {
        if (activity is null) return;
        var previous = Activity.Current;
        activity.Stop();
        Activity.Current = previous;
    }
}
