using System.Collections.Concurrent;
using GpuExec.Engine.Devices;
using GpuExec.Execution;
using GpuExec.Generation;
using GpuExec.State;
using GpuExec.Wire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GpuExec.Engine.Tests;

/// <summary>The library surface integrators embed: DI, cancellation, logs, device selection.</summary>
public class PipelineApiTests
{
    private static (WorldState genesis, Block block) Workload(int txs = 600, ulong seed = 11)
    {
        var gen = new BlockGenerator(new GeneratorOptions { Accounts = 60, TxsPerBlock = txs, Pools = 3, Skew = 0.8, InvalidRatio = 0.1, Seed = seed });
        return (gen.Genesis, BlockCodec.Decode(gen.NextBlock()));
    }

    [Fact]
    public async Task AddGpuExec_registers_an_executor_that_equals_the_sequential_one()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddGpuExec(o => { o.Device = DeviceKind.Cpu; o.Threads = 2; });
        using var sp = services.BuildServiceProvider();
        var executor = sp.GetRequiredService<IBlockExecutor>();
        Assert.Same(executor, sp.GetRequiredService<IBlockExecutor>());

        var (genesis, block) = Workload();
        var expected = genesis.Clone();
        var seq = SequentialExecutor.Execute(expected, block);
        var state = genesis.Clone();
        var run = await executor.ExecuteAsync(block, state, TestContext.Current.CancellationToken);
        Assert.Equal(seq.StateRoot, run.Result.StateRoot);
        Assert.Equal(seq.Statuses, run.Result.Statuses);
        Assert.Equal(seq.TxIds, run.Result.TxIds);
        Assert.Equal(Blocks.Dump(expected), Blocks.Dump(state));
    }

    [Theory]
    [InlineData(ApplyMode.Lanes, false)]
    [InlineData(ApplyMode.Lanes, true)]
    [InlineData(ApplyMode.InOrder, false)]
    [InlineData(ApplyMode.InOrder, true)]
    public void Both_applys_equal_the_sequential_executor_over_a_chain(ApplyMode mode, bool collectorSends)
    {
        using var pipeline = new BlockPipeline(new GpuExecOptions { Device = DeviceKind.Cpu, Apply = mode, Threads = 2 });
        Assert.Equal(mode, pipeline.Mode);
        var gen = new BlockGenerator(new GeneratorOptions
        {
            Accounts = 40, TxsPerBlock = 700, Pools = 3, Skew = 1.2, InvalidRatio = 0.15, Seed = 5, CollectorSends = collectorSends,
        });
        var expected = gen.Genesis.Clone();
        var state = gen.Genesis.Clone();
        for (int b = 0; b < 3; b++)
        {
            var block = BlockCodec.Decode(gen.NextBlock());
            var seq = SequentialExecutor.Execute(expected, block);
            var run = pipeline.Execute(block, state, TestContext.Current.CancellationToken);
            Assert.Equal(seq.Statuses, run.Result.Statuses);
            Assert.Equal(seq.TxIds, run.Result.TxIds);
            Assert.Equal(seq.StateRoot, run.Result.StateRoot);
            Assert.Equal(Blocks.Dump(expected), Blocks.Dump(state));
        }
    }

    /// <summary>
    /// The whole pipeline on ILGPU's CPU accelerator: kernels verify (overlapping the host's access
    /// sets) and detect conflicts; transactions whose signature fails after planning are skipped.
    /// </summary>
    [Fact]
    public void Parallel_pipeline_on_the_ilgpu_cpu_accelerator_equals_the_sequential_executor()
    {
        var gen = new BlockGenerator(new GeneratorOptions { Accounts = 8, TxsPerBlock = 60, Pools = 2, Skew = 1.0, InvalidRatio = 0.6, Seed = 21 });
        var block = BlockCodec.Decode(gen.NextBlock());
        var expected = gen.Genesis.Clone();
        var seq = SequentialExecutor.Execute(expected, block);
        Assert.Contains(GpuExec.Model.TxStatus.BadSignature, seq.Statuses);
        using var pipeline = new BlockPipeline(new GpuExecOptions { Device = DeviceKind.IlgpuCpu, Threads = 2 });
        Assert.Equal(ApplyMode.Lanes, pipeline.Mode);
        var state = gen.Genesis.Clone();
        var run = pipeline.Execute(block, state, TestContext.Current.CancellationToken);
        Assert.Equal(seq.Statuses, run.Result.Statuses);
        Assert.Equal(seq.TxIds, run.Result.TxIds);
        Assert.Equal(seq.StateRoot, run.Result.StateRoot);
        Assert.Equal(Blocks.Dump(expected), Blocks.Dump(state));
    }

    [Fact]
    public void Auto_applies_in_order_on_the_cpu_and_in_parallel_on_an_ilgpu_device()
    {
        using (var cpu = new BlockPipeline(new GpuExecOptions { Device = DeviceKind.Cpu }))
            Assert.Equal(ApplyMode.InOrder, cpu.Mode);
        using var emulated = new BlockPipeline(new GpuExecOptions { Device = DeviceKind.IlgpuCpu });
        Assert.Equal(ApplyMode.Lanes, emulated.Mode);
    }

    [Fact]
    public void Invalid_options_are_refused_when_the_executor_is_built()
    {
        var services = new ServiceCollection();
        services.AddGpuExec(o => o.Threads = 0);
        using var sp = services.BuildServiceProvider();
        Assert.ThrowsAny<Exception>(() => sp.GetRequiredService<IBlockExecutor>());
    }

    [Fact]
    public void A_negative_state_cache_is_refused_when_the_executor_is_built()
    {
        var services = new ServiceCollection();
        services.AddGpuExec(o => o.StateCacheBytes = -1);
        using var sp = services.BuildServiceProvider();
        var e = Assert.ThrowsAny<Exception>(() => sp.GetRequiredService<IBlockExecutor>());
        Assert.Contains(nameof(GpuExecOptions.StateCacheBytes), e.ToString(), StringComparison.Ordinal);
        new GpuExecOptions { StateCacheBytes = 0 }.Validate();
    }

    [Fact]
    public async Task A_token_cancelled_before_the_start_changes_nothing()
    {
        var (genesis, block) = Workload();
        using var pipeline = new BlockPipeline(new GpuExecOptions { Device = DeviceKind.Cpu });
        var state = genesis.Clone();
        var before = (Blocks.Dump(state), state.StateRoot, state.Height);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pipeline.ExecuteAsync(block, state, cts.Token));
        Assert.Equal(before, (Blocks.Dump(state), state.StateRoot, state.Height));
    }

    [Fact]
    public void Cancellation_after_the_execute_stage_has_begun_completes_the_block()
    {
        var (genesis, block) = Workload();
        using var cts = new CancellationTokenSource();
        var logs = new CapturingLoggerProvider(onMessage: (_, state) =>
        {
            if (state.TryGetValue("Stage", out var s) && (string?)s == StageTimings.Execute) cts.Cancel();
        });
        using var factory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(logs));
        using var pipeline = new BlockPipeline(new GpuExecOptions { Device = DeviceKind.Cpu }, factory.CreateLogger<BlockPipeline>());
        var state = genesis.Clone();
        var run = pipeline.Execute(block, state, cts.Token);
        Assert.True(cts.IsCancellationRequested);
        var expected = genesis.Clone();
        Assert.Equal(SequentialExecutor.Execute(expected, block).StateRoot, run.Result.StateRoot);
        Assert.Equal(block.Header.Height, state.Height);
    }

    [Fact]
    public void Logs_name_every_stage()
    {
        var logs = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(logs));
        using var pipeline = new BlockPipeline(new GpuExecOptions { Device = DeviceKind.Cpu }, factory.CreateLogger<BlockPipeline>());
        var (genesis, block) = Workload();
        pipeline.Execute(block, genesis.Clone(), TestContext.Current.CancellationToken);
        var stages = logs.States.Where(s => s.ContainsKey("Stage")).Select(s => (string?)s["Stage"]).ToHashSet();
        // A state in memory has no load or commit stage.
        foreach (var stage in StageTimings.Order.Except([StageTimings.Load, StageTimings.Commit])) Assert.Contains(stage, stages);
        Assert.DoesNotContain(StageTimings.Load, stages);
        Assert.Contains(logs.Messages, m => m.Contains("critical path", StringComparison.Ordinal));
    }

    [Fact]
    public void A_refused_block_is_logged_and_changes_nothing()
    {
        var logs = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(logs));
        using var pipeline = new BlockPipeline(new GpuExecOptions { Device = DeviceKind.Cpu }, factory.CreateLogger<BlockPipeline>());
        var (genesis, block) = Workload();
        var state = genesis.Clone();
        state.Height = 5;
        var dump = Blocks.Dump(state);
        Assert.Throws<BlockRejectedException>(() => pipeline.Execute(block, state, TestContext.Current.CancellationToken));
        Assert.Equal(dump, Blocks.Dump(state));
        Assert.Contains(logs.Messages, m => m.Contains("refused", StringComparison.Ordinal));
    }

    [Fact]
    public void An_explicit_missing_device_is_a_clear_error()
    {
        if (ComputeDevice.List().Any(d => d.Kind == DeviceKind.Cuda)) Assert.Skip("a CUDA device is present");
        var e = Assert.Throws<DeviceUnavailableException>(() => new BlockPipeline(new GpuExecOptions { Device = DeviceKind.Cuda }));
        Assert.Contains("cuda", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Auto_falls_back_to_the_cpu_and_says_so()
    {
        if (ComputeDevice.List().Any(d => d.Kind is DeviceKind.Cuda or DeviceKind.OpenCl)) Assert.Skip("a GPU is present");
        var logs = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(logs));
        using var pipeline = new BlockPipeline(new GpuExecOptions { Device = DeviceKind.Auto }, factory.CreateLogger<BlockPipeline>());
        Assert.Equal(DeviceKind.Cpu, pipeline.DeviceKind);
        Assert.Contains(logs.Messages, m => m.Contains("cpu", StringComparison.Ordinal) && m.Contains("no CUDA or OpenCL", StringComparison.Ordinal));
    }
}

/// <summary>Keeps every message and its structured state; optionally reacts to each.</summary>
internal sealed class CapturingLoggerProvider(Action<string, IReadOnlyDictionary<string, object?>>? onMessage = null) : ILoggerProvider
{
    private readonly Action<string, IReadOnlyDictionary<string, object?>>? _onMessage = onMessage;
    public ConcurrentQueue<string> Messages { get; } = new();
    public ConcurrentQueue<IReadOnlyDictionary<string, object?>> States { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this);
    public void Dispose() { }

    private sealed class Logger(CapturingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var dict = new Dictionary<string, object?>();
            if (state is IEnumerable<KeyValuePair<string, object?>> kvs)
                foreach (var kv in kvs) dict[kv.Key] = kv.Value;
            string message = formatter(state, exception);
            owner.Messages.Enqueue(message);
            owner.States.Enqueue(dict);
            owner._onMessage?.Invoke(message, dict);
        }
    }
}
