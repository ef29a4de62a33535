// A node's block loop on GpuExec: read a genesis, apply blocks in order, optionally commit each one
// to a RocksDB state store, print the final state root.
//   example GENESIS.json BLOCK.gxb... [--state DIR]
// With --state, a new DIR is initialised from the genesis and a DIR that already holds a store
// continues from its last committed block. Logs go to stderr, results to stdout.
using GpuExec;
using GpuExec.Engine;
using GpuExec.Engine.Devices;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Storage;
using GpuExec.Wire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

string? stateDir = null;
var paths = new List<string>();
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--state" && i + 1 < args.Length) stateDir = args[++i];
    else paths.Add(args[i]);
}
if (paths.Count < 1)
{
    Console.Error.WriteLine("usage: example GENESIS.json BLOCK.gxb... [--state DIR]");
    return 2;
}

// AddLogging() alone registers no provider and prints nothing: add the console.
var services = new ServiceCollection()
    .AddLogging(logging => logging
        .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
        .AddSimpleConsole(o => o.SingleLine = true)
        .SetMinimumLevel(LogLevel.Information))
    .AddGpuExec(o =>
    {
        o.Device = DeviceKind.Auto;              // CUDA, then OpenCL, else every CPU core
        o.Threads = Environment.ProcessorCount;
    });
await using var provider = services.BuildServiceProvider();
var executor = provider.GetRequiredService<IBlockExecutor>();

// Ctrl+C stops before the next block's execute stage; a block being executed completes whole.
using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };

RocksDbStateStore? store = null;
try
{
    var genesis = StateJson.ReadFile(paths[0]);
    store = stateDir is null ? null : RocksDbStateStore.Open(stateDir, genesis);
    var state = store?.Load() ?? genesis;

    // Blocks are read lazily: the executor verifies the next ones ahead while this loop commits.
    var blocks = paths.Skip(1).Select(BlockCodec.ReadFile);
    await foreach (var run in executor.ExecuteStreamAsync(blocks, state, cts.Token))
    {
        // `state` now includes run.Block. Commit before asking for the next block, so the store
        // and the state stay in step; CommitBlock returns once the block is durable.
        store?.CommitBlock(run.Block, run.Result);
        int ok = run.Result.Statuses.Count(s => s == TxStatus.Ok);
        Console.WriteLine($"block {run.Block.Header.Height}: {ok}/{run.Block.Count} transactions ok, {run.Stages.TotalMs:F1} ms");
    }
    Console.WriteLine($"state_root {state.StateRoot}");
    return 0;
}
catch (GpuExecException e)
{
    // A refused block, a malformed file or a store that is not this chain's; nothing of the
    // failing block was applied or committed.
    Console.Error.WriteLine($"error: {e.Message}");
    if (store is not null) Console.Error.WriteLine($"the store stays at height {store.Height}");
    return e.Kind == ErrorKind.BlockRejected ? 4 : 3;
}
catch (IOException e)
{
    // The environment failed (a full disk, ...): CommitBlock says whether the block was stored.
    Console.Error.WriteLine($"I/O error: {e.Message}");
    return 1;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("cancelled" + (store is null ? "" : $"; the store stays at height {store.Height}"));
    return 130;
}
finally
{
    store?.Dispose();
}
