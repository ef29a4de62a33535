// GpuExec's metrics and traces exported with OpenTelemetry's console exporter.
//   telemetry-sample GENESIS.json BLOCK.gxb...
// Applies the blocks on the cpu device, then prints the spans (one per block, one per stage) as
// they end and the metrics (blocks, transactions by status, stage durations, signature cache) once.
// For Prometheus, replace AddConsoleExporter on the meter provider with
// AddPrometheusHttpListener() (package OpenTelemetry.Exporter.Prometheus.HttpListener) and scrape
// http://localhost:9464/metrics.
using GpuExec.Engine;
using GpuExec.Engine.Devices;
using GpuExec.State;
using GpuExec.Wire;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: telemetry-sample GENESIS.json BLOCK.gxb...");
    return 2;
}

using var tracing = Sdk.CreateTracerProviderBuilder()
    .AddSource(GpuExecTelemetry.Name)
    .AddConsoleExporter()
    .Build();
using var metrics = Sdk.CreateMeterProviderBuilder()
    .AddMeter(GpuExecTelemetry.Name)
    .AddConsoleExporter()
    .Build();

using var pipeline = new BlockPipeline(new GpuExecOptions { Device = DeviceKind.Cpu });
var state = StateJson.ReadFile(args[0]);
await foreach (var run in pipeline.ExecuteStreamAsync(args.Skip(1).Select(BlockCodec.ReadFile), state))
    Console.WriteLine($"block {run.Block.Header.Height}: {run.Result.Count} transactions, root {run.Result.StateRoot}");

// Disposing the providers flushes them: the metrics are printed here.
return 0;
