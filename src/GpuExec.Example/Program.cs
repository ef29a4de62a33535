// A node's block loop on GpuExec: read a genesis, execute each block as a proposal on the chain's
// head (nothing changes), then commit it, in memory or to a RocksDB store on disk whose memory is
// bounded by its caches; print each block and the final state root.
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
using Microsoft.Extensions.Options;

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
        o.StateCacheBytes = 256L << 20;          // the store's caches: its memory, whatever the chain's size
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
    // The committed head: the genesis in memory, or the store's state on disk, read through at most
    // StateCacheBytes of caches (each block's accounts are loaded while its signatures are verified).
    var options = provider.GetRequiredService<IOptions<GpuExecOptions>>().Value;
    store = stateDir is null ? null : RocksDbStateStore.Open(stateDir, genesis, cacheBytes: options.StateCacheBytes);
    store?.State.OpenTree(); // now, not inside the first block (seconds for a large state)
    IChainState head = store is null ? genesis : store.State;

    foreach (var path in paths.Skip(1))
    {
        var block = BlockCodec.ReadFile(path);
        // Executed on the head without changing it, as a BFT node executes a proposal before it is
        // final. proposal.State reads the state after the block (balances, nonces, proofs) and is
        // the parent of further proposals; dropping it discards the block.
        var proposal = await executor.ProposeAsync(block, head, cts.Token);
        var after = proposal.State!;
        var changed = after.Changes;
        // Final: commit exactly the proposal's change set (on a store: with the height, root and
        // receipts in one synced batch). Refused if the head moved since the proposal.
        head.Commit(block, proposal.Result, after);
        int ok = proposal.Result.Statuses.Count(s => s == TxStatus.Ok);
        Console.WriteLine($"block {block.Header.Height}: {ok}/{block.Count} transactions ok, " +
            $"{changed.Accounts.Count} accounts and {changed.Pools.Count} pools changed, {proposal.Stages.TotalMs:F1} ms");
    }
    Console.WriteLine($"state_root {head.StateRoot}");
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
    // The environment failed (a full disk, ...): the block's commit was written whole or not at all.
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
