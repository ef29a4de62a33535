using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using GpuExec.Engine;
using GpuExec.Model;
using GpuExec.Wire;

namespace GpuExec.PublicApi.Tests;

/// <summary>The meter is process-wide: these tests run alone, so that no other test's blocks are counted.</summary>
[CollectionDefinition(nameof(TelemetryCollection), DisableParallelization = true)]
public sealed class TelemetryCollection;

/// <summary>The <c>GpuExec</c> meter and activity source, read as an integrator's exporter would: a <see cref="MeterListener"/> and an <see cref="ActivityListener"/>.</summary>
[Collection(nameof(TelemetryCollection))]
public sealed class TelemetryTests : IDisposable
{
    private readonly MeterListener _meters = new();
    private readonly ActivityListener _spans;
    private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> _measurements = new();
    private readonly ConcurrentQueue<Activity> _stopped = new();

    public TelemetryTests()
    {
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == GpuExecTelemetry.Name) listener.EnableMeasurementEvents(instrument);
        };
        _meters.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _meters.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _meters.Start();
        _spans = new ActivityListener
        {
            ShouldListenTo = s => s.Name == GpuExecTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => _stopped.Enqueue(a),
        };
        ActivitySource.AddActivityListener(_spans);
    }

    private void Record(Instrument i, double v, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var d = new Dictionary<string, object?>();
        foreach (var t in tags) d[t.Key] = t.Value;
        _measurements.Enqueue((i.Name, v, d));
    }

    public void Dispose()
    {
        _meters.Dispose();
        _spans.Dispose();
    }

    private double Sum(string instrument, string? tag = null, object? value = null) =>
        _measurements.Where(m => m.Instrument == instrument && (tag is null || Equals(m.Tags.GetValueOrDefault(tag), value))).Sum(m => m.Value);

    [Theory]
    [InlineData(ApplyMode.InOrder)]
    [InlineData(ApplyMode.Lanes)]
    public async Task The_meters_counts_equal_the_receipts_and_every_stage_has_a_span(ApplyMode mode)
    {
        var world = new World(accounts: 16);
        using var pipeline = World.Pipeline(mode);
        var state = world.Genesis;
        var blocks = new List<Block>();
        var copy = State.StateJson.Parse(DumpOf(state));
        for (int b = 0; b < 3; b++)
        {
            var block = world.Next(copy, world.Mix(300, seed: 40 + b));
            new ReferenceExecutor().Execute(block, copy);
            blocks.Add(block);
        }
        // A pre-verified block: its verdicts come from the cache.
        await pipeline.PreVerifyAsync(Enumerable.Range(0, blocks[2].Count).Select(i => (ReadOnlyMemory<byte>)blocks[2].Record(i).ToArray()).ToList(),
            World.Chain, TestContext.Current.CancellationToken);
        double preHits = Sum(GpuExecTelemetry.SignatureCacheHits), preMisses = Sum(GpuExecTelemetry.SignatureCacheMisses);

        var runs = new List<BlockExecution>();
        await foreach (var run in pipeline.ExecuteStreamAsync(blocks, state, TestContext.Current.CancellationToken)) runs.Add(run);

        Assert.Equal(runs.Count, Sum(GpuExecTelemetry.Blocks, GpuExecTelemetry.DeviceTag, "cpu"));
        Assert.Equal(runs.Count, Sum(GpuExecTelemetry.Blocks, GpuExecTelemetry.ModeTag, "apply"));
        foreach (var status in Enum.GetValues<TxStatus>())
        {
            int receipts = runs.Sum(r => r.Result.Statuses.Count(s => s == status));
            Assert.True(receipts == Sum(GpuExecTelemetry.Transactions, GpuExecTelemetry.StatusTag, status.Name()), $"{status}: {receipts} receipts");
        }
        Assert.Equal(runs.Sum(r => r.Result.Count), Sum(GpuExecTelemetry.Transactions));
        Assert.Equal(runs.Sum(r => r.Verify.CacheHits), Sum(GpuExecTelemetry.SignatureCacheHits, GpuExecTelemetry.OperationTag, "block"));
        Assert.Equal(runs.Sum(r => r.Verify.Verified), Sum(GpuExecTelemetry.SignatureCacheMisses, GpuExecTelemetry.OperationTag, "block"));
        Assert.True(runs[2].Verify.CacheHits > 0);
        Assert.Equal(preHits + preMisses, Sum(GpuExecTelemetry.SignatureCacheHits, GpuExecTelemetry.OperationTag, "preverify") + Sum(GpuExecTelemetry.SignatureCacheMisses, GpuExecTelemetry.OperationTag, "preverify"));

        // One duration per stage that ran, per block, equal to the timings the run reports.
        foreach (var stage in StageTimings.Order)
        {
            var durations = _measurements.Where(m => m.Instrument == GpuExecTelemetry.StageDuration && (string?)m.Tags[GpuExecTelemetry.StageTag] == stage).Select(m => m.Value).ToList();
            var ran = runs.Where(r => r.Stages.Ran(stage)).Select(r => r.Stages[stage] / 1000).ToList();
            Assert.Equal(ran.Count, durations.Count);
            Assert.Equal(ran.Order(), durations.Order());
        }

        // A span per block with a child per stage that ran, each child inside its block's span.
        var blockSpans = _stopped.Where(a => a.OperationName == GpuExecTelemetry.BlockSpan).ToList();
        Assert.Equal(runs.Count, blockSpans.Count);
        foreach (var (run, span) in runs.Zip(blockSpans.OrderBy(s => (ulong)s.GetTagItem("gpuexec.height")!)))
        {
            Assert.Equal(run.Block.Header.Height, (ulong)span.GetTagItem("gpuexec.height")!);
            Assert.Equal(run.Result.StateRoot.ToHex(), span.GetTagItem("gpuexec.state_root"));
            var children = _stopped.Where(a => a.ParentSpanId == span.SpanId).Select(a => a.OperationName).ToList();
            Assert.Equal(StageTimings.Order.Where(run.Stages.Ran), children);
        }
    }

    [Fact]
    public async Task A_proposal_is_counted_as_proposed_and_its_commit_not_again()
    {
        var world = new World(accounts: 8);
        using var pipeline = World.Pipeline(ApplyMode.InOrder);
        var state = world.Genesis;
        var proposal = await pipeline.ProposeAsync(world.Next(state, world.Mix(100, seed: 3)), state, TestContext.Current.CancellationToken);
        state.Commit(proposal.State!);
        Assert.Equal(1, Sum(GpuExecTelemetry.Blocks, GpuExecTelemetry.ModeTag, "propose"));
        Assert.Equal(0, Sum(GpuExecTelemetry.Blocks, GpuExecTelemetry.ModeTag, "apply"));
        foreach (var status in Enum.GetValues<TxStatus>())
            Assert.Equal(proposal.Result.Statuses.Count(s => s == status), Sum(GpuExecTelemetry.Transactions, GpuExecTelemetry.StatusTag, status.Name()));
    }

    [Fact]
    public async Task A_refused_block_is_counted_with_its_reason_and_its_span_says_so()
    {
        var world = new World(accounts: 3);
        using var pipeline = World.Pipeline(ApplyMode.InOrder);
        var state = world.Genesis;
        var bytes = BlockCodec.Encode(World.Chain, 5, world.Collector, state.StateRoot, [world.Builders[1].Transfer(0, 1, world.Collector, 0, 1).Record]);
        await Assert.ThrowsAsync<BlockRejectedException>(() => pipeline.ExecuteAsync(BlockCodec.Decode(bytes), state, TestContext.Current.CancellationToken));
        Assert.Equal(1, Sum(GpuExecTelemetry.BlocksRefused, GpuExecTelemetry.RefusalTag, nameof(BlockRefusal.WrongHeight)));
        Assert.Equal(0, Sum(GpuExecTelemetry.Blocks));
        var span = Assert.Single(_stopped, a => a.OperationName == GpuExecTelemetry.BlockSpan);
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        Assert.Equal(nameof(BlockRefusal.WrongHeight), span.GetTagItem(GpuExecTelemetry.RefusalTag));
    }

    private static byte[] DumpOf(State.WorldState s)
    {
        using var ms = new MemoryStream();
        State.StateJson.WriteDump(s, ms);
        return ms.ToArray();
    }
}
