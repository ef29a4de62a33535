using System.CommandLine;
using GpuExec.Generation;
using GpuExec.Model;
using GpuExec.Engine;
using GpuExec.Execution;
using GpuExec.State;
using GpuExec.Storage;
using GpuExec.Wire;
using Spectre.Console;

namespace GpuExec.Cli.Commands;

/// <summary><c>gpuexec gen</c>: a genesis and K chained blocks of really signed transactions.</summary>
internal static class GenCommand
{
    public static Command Create()
    {
        var accounts = new Option<int>("--accounts") { Description = "Number of accounts (>= 2).", DefaultValueFactory = _ => 1000 };
        var txs = new Option<int>("--txs") { Description = "Transactions per block.", DefaultValueFactory = _ => 10000 };
        var pools = new Option<int>("--pools") { Description = "Number of AMM pools.", DefaultValueFactory = _ => 4 };
        var blocks = new Option<int>("--blocks") { Description = "Number of chained blocks.", DefaultValueFactory = _ => 1 };
        var swapRatio = new Option<double>("--swap-ratio") { Description = "Share of swaps, 0..1 (at most what the routes leave).", DefaultValueFactory = _ => 0.3 };
        var routeRatio = new Option<double>("--route-ratio") { Description = "Share of routes (1-4 hops through the pools), 0..1; 0 makes the blocks of before routes.", DefaultValueFactory = _ => 0.1 };
        var skew = new Option<double>("--skew") { Description = "Zipf exponent of senders, recipients and pools (0 = uniform).", DefaultValueFactory = _ => 0.0 };
        var invalid = new Option<double>("--invalid-ratio") { Description = "Share of deliberately invalid transactions, 0..1.", DefaultValueFactory = _ => 0.05 };
        var seed = new Option<ulong>("--seed") { Description = "Seed: the same seed gives the same bytes.", DefaultValueFactory = _ => 1UL };
        var chain = new Option<uint>("--chain-id") { Description = "Chain id.", DefaultValueFactory = _ => 1u };
        var signers = new Option<int>("--signers")
        {
            Description = "0 (default): every account has a key and sends. Otherwise the first N accounts send; the others only receive (holders "
                + "of the fee token, without keys), so --accounts can reach 2147483647 (with --state).",
            DefaultValueFactory = _ => 0,
        };
        var stateDir = new Option<DirectoryInfo?>("--state")
        {
            Description = "Write the genesis as a RocksDB state store in this new directory (bulk-built, any size) instead of genesis.json; "
                + "the blocks are made by executing each on a copy of it, removed afterwards.",
        };
        var output = new Option<DirectoryInfo>("--out") { Description = "Directory for genesis.json (without --state) and block-NNNNNN.gxb.", Required = true };
        var cmd = new Command("gen", "Generate a genesis and chained blocks of signed transfers, swaps and routes.")
        {
            accounts, txs, pools, blocks, swapRatio, routeRatio, skew, invalid, seed, chain, signers, stateDir, output,
        };
        cmd.SetAction(parse =>
        {
            var options = new GeneratorOptions
            {
                Accounts = parse.GetValue(accounts),
                TxsPerBlock = parse.GetValue(txs),
                Pools = parse.GetValue(pools),
                Blocks = parse.GetValue(blocks),
                SwapRatio = parse.GetValue(swapRatio),
                RouteRatio = parse.GetValue(routeRatio),
                Skew = parse.GetValue(skew),
                InvalidRatio = parse.GetValue(invalid),
                Seed = parse.GetValue(seed),
                ChainId = parse.GetValue(chain),
                Signers = parse.GetValue(signers),
            };
            try { options.Validate(); }
            catch (ArgumentOutOfRangeException e)
            {
                CliOutput.Error($"gen: --{Kebab(e.ParamName)}: {e.Message.Split(" (Parameter")[0]}");
                return ExitCodes.Usage;
            }
            var dir = parse.GetValue(output)!.FullName;
            if (File.Exists(dir)) { CliOutput.Error($"gen: --out: {dir} is a file, not a directory"); return ExitCodes.Usage; }
            // A folder that already holds files could mix this chain's blocks with an older one's.
            if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).FirstOrDefault() is { } existing)
            {
                CliOutput.Error($"gen: --out: {dir} is not empty (it holds {Path.GetFileName(existing)}); give a new or empty directory");
                return ExitCodes.Usage;
            }
            var store = parse.GetValue(stateDir)?.FullName;
            if (store is not null)
            {
                if (File.Exists(store)) { CliOutput.Error($"gen: --state: {store} is a file, not a directory"); return ExitCodes.Usage; }
                if (Directory.Exists(store) && Directory.EnumerateFileSystemEntries(store).Any()) { CliOutput.Error($"gen: --state: {store} is not empty; give a new or empty directory"); return ExitCodes.Usage; }
                if (CliOutput.CheckOutputs(store, ("--out", dir)) is { } clash) { CliOutput.Error("gen: " + clash); return ExitCodes.Usage; }
                return GenerateOnStore(options, dir, store);
            }
            if (options.Accounts > 1 << 24)
            {
                CliOutput.Error($"gen: --accounts {options.Accounts}: a genesis.json holds at most 16777216 accounts; give --state DIR for more");
                return ExitCodes.Usage;
            }
            return Generate(options, dir);
        });
        return cmd;
    }

    private static string Kebab(string? name) => name switch
    {
        "TxsPerBlock" => "txs",
        "SwapRatio" => "swap-ratio",
        "RouteRatio" => "route-ratio",
        "InvalidRatio" => "invalid-ratio",
        "Signers" => "signers",
        null => "?",
        _ => name.ToLowerInvariant(),
    };

    private static int Generate(GeneratorOptions o, string dir)
    {
        Directory.CreateDirectory(dir);
        long total = (long)o.TxsPerBlock * o.Blocks;
        bool interactive = !Console.IsErrorRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        if (!interactive || total < 50_000)
        {
            Console.Error.WriteLine($"gpuexec gen: {o.Accounts} accounts, {o.Blocks} x {o.TxsPerBlock} transactions -> {dir}");
            GenerateInto(o, dir, null, null);
            return ExitCodes.Ok;
        }
        AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var keys = ctx.AddTask("keys", maxValue: o.Accounts);
                var txTask = ctx.AddTask("transactions", maxValue: total);
                GenerateInto(o, dir, new Progress<long>(v => keys.Value = v), (b, v) => txTask.Value = (long)b * o.TxsPerBlock + v);
            });
        return ExitCodes.Ok;
    }

    private static void GenerateInto(GeneratorOptions o, string dir, IProgress<long>? keyProgress, Action<int, long>? txProgress)
    {
        var gen = new BlockGenerator(o, keyProgress);
        // With holders the generator keeps no state: the blocks are made on one kept here.
        var state = o.Signers == 0 ? null : gen.GenesisInMemory();
        CliOutput.WriteAtomically(Path.Combine(dir, "genesis.json"), s => StateJson.WriteDump(state ?? gen.Genesis, s));
        for (int b = 0; b < o.Blocks; b++)
        {
            int blockIndex = b;
            var progress = txProgress is null ? null : new Progress<long>(v => txProgress(blockIndex, v));
            var bytes = state is null ? gen.NextBlock(progress) : gen.NextBlock(state, progress);
            if (state is not null) SequentialExecutor.Execute(state, BlockCodec.Decode(bytes));
            CliOutput.WriteAtomically(Path.Combine(dir, $"block-{b + 1:D6}.gxb"), s => s.Write(bytes));
        }
    }

    /// <summary>
    /// The genesis as a store (<see cref="RocksDbStateStore.Create"/>: accounts enumerated in address
    /// order, never all in memory), then each block made on a checkpoint of it, executed there by the
    /// pipeline and committed, so the next block sees its effects; the checkpoint is removed at the end
    /// and the store stays at the genesis, ready for <c>bench --store</c> or <c>run --state</c>.
    /// </summary>
    private static int GenerateOnStore(GeneratorOptions o, string dir, string storeDir)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        void Say(string line) => Console.Error.WriteLine($"gpuexec gen: {line} ({clock.Elapsed.TotalSeconds:F0} s)");
        Say($"{o.Accounts:N0} accounts ({o.KeyedAccounts:N0} with keys), {o.Blocks} x {o.TxsPerBlock:N0} transactions -> {storeDir}, {dir}");
        var gen = new BlockGenerator(o);
        Say("keys made");
        var progress = new Progress<string>(Say);
        // Leaves of the tree build: a quarter of the machine's memory at most, so a large genesis builds in passes.
        long memory = Math.Clamp(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4, 64L << 20, 4L << 30);
        using var genesis = RocksDbStateStore.Create(storeDir, o.ChainId, 0, gen.GenesisAccounts, gen.GenesisPools, memory, cacheBytes: 64L << 20, progress);
        Say($"genesis: {genesis.TreeDepth}-bit buckets, state root {genesis.StateRoot.ToHex()}");
        Directory.CreateDirectory(dir);
        string scratch = storeDir.TrimEnd(Path.DirectorySeparatorChar) + $".gen-{Guid.NewGuid().ToString("N")[..8]}";
        try
        {
            genesis.Checkpoint(scratch);
            using var work = RocksDbStateStore.Open(scratch, null);
            using var pipeline = new BlockPipeline(new GpuExecOptions { Device = Engine.Devices.DeviceKind.Cpu });
            for (int b = 0; b < o.Blocks; b++)
            {
                var bytes = gen.NextBlock(work.State);
                var block = BlockCodec.Decode(bytes);
                var run = pipeline.ProposeAsync(block, work.State).GetAwaiter().GetResult();
                work.State.Commit(run.Block, run.Result, run.State!);
                CliOutput.WriteAtomically(Path.Combine(dir, $"block-{b + 1:D6}.gxb"), s => s.Write(bytes));
                Say($"block {b + 1} of {o.Blocks}: {run.Result.Statuses.Count(st => st == TxStatus.Ok):N0} of {block.Count:N0} transactions apply");
            }
        }
        finally
        {
            try { if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true); }
            catch (IOException e) { Console.Error.WriteLine($"gpuexec gen: warning: could not remove the scratch copy {scratch}: {e.Message}"); }
        }
        return ExitCodes.Ok;
    }
}
