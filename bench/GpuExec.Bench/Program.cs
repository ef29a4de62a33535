using BenchmarkDotNet.Running;

// Run all: dotnet run -c Release --project bench/GpuExec.Bench -- --filter '*'
// One group: --filter '*Decode*' | '*Sequential*' | '*Merkle*' ; quick look: add --job short
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
