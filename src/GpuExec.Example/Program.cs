// An integrator's node loop in a few lines: register GpuExec, then feed it blocks.
//   dotnet run -c Release --project src/GpuExec.Example -- [blocks] [txs-per-block] [device]
using GpuExec.Engine;
using GpuExec.Engine.Devices;
using GpuExec.Generation;
using GpuExec.Wire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

int blocks = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 3;
int txs = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5000;
var device = args.Length > 2 ? DeviceKindNames.Parse(args[2]) : DeviceKind.Auto;

var services = new ServiceCollection()
    .AddLogging(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information))
    .AddGpuExec(o => { o.Device = device; o.Threads = Environment.ProcessorCount; });
await using var provider = services.BuildServiceProvider();
var executor = provider.GetRequiredService<IBlockExecutor>();

// A node would load its state from disk and receive blocks from the network; here both are generated.
var chain = new BlockGenerator(new GeneratorOptions { Accounts = 2000, TxsPerBlock = txs, Pools = 8, Skew = 1.0, Seed = 42 });
var state = chain.Genesis.Clone();

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };

for (int b = 0; b < blocks; b++)
{
    var block = BlockCodec.Decode(chain.NextBlock());
    try
    {
        var run = await executor.ExecuteAsync(block, state, cts.Token);
        int ok = run.Result.Statuses.Count(s => s == GpuExec.Model.TxStatus.Ok);
        Console.WriteLine($"block {block.Header.Height}: {ok}/{block.Count} ok, root {run.Result.StateRoot}, " +
                          $"{run.Stages.TotalMs:F1} ms, critical path {run.Schedule.CriticalPath}");
    }
    catch (OperationCanceledException)
    {
        Console.WriteLine($"cancelled before block {block.Header.Height} was applied; state is at height {state.Height}");
        return 1;
    }
}
return 0;
