using System.CommandLine;
using GpuExec.Generation;
using GpuExec.State;
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
        var output = new Option<DirectoryInfo>("--out") { Description = "Directory for genesis.json and block-NNNNNN.gxb.", Required = true };
        var cmd = new Command("gen", "Generate a genesis and chained blocks of signed transfers, swaps and routes.")
        {
            accounts, txs, pools, blocks, swapRatio, routeRatio, skew, invalid, seed, chain, output,
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
        CliOutput.WriteAtomically(Path.Combine(dir, "genesis.json"), s => StateJson.WriteDump(gen.Genesis, s));
        for (int b = 0; b < o.Blocks; b++)
        {
            int blockIndex = b;
            var bytes = gen.NextBlock(txProgress is null ? null : new Progress<long>(v => txProgress(blockIndex, v)));
            CliOutput.WriteAtomically(Path.Combine(dir, $"block-{b + 1:D6}.gxb"), s => s.Write(bytes));
        }
    }
}
