using System.CommandLine;

namespace GpuExec.Cli.Commands;

/// <summary>Options several commands share.</summary>
internal static class Options
{
    public static readonly string[] Devices = ["auto", "cpu", "ilgpu-cpu", "cuda", "opencl"];

    public static Option<bool> Verbose() => new("--verbose", "-v") { Description = "Log every stage (Debug level) to stderr." };

    public static Option<bool> Quiet() => new("--quiet", "-q") { Description = "No summary line on stderr when the command succeeds." };

    public static Option<string> Apply()
    {
        var o = new Option<string>("--apply")
        {
            Description = "How the pipeline's execute stage applies verified transactions: auto (in order on cpu, lanes on ILGPU devices), lanes or in-order.",
            DefaultValueFactory = _ => "auto",
        };
        o.AcceptOnlyFromAmong("auto", "lanes", "in-order");
        return o;
    }

    public static Option<int> Lanes()
    {
        var o = new Option<int>("--lanes")
        {
            Description = "--apply lanes: lanes (threads) that apply a block; 0 (default) chooses by measurement, block after block.",
            DefaultValueFactory = _ => 0,
        };
        o.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 0) r.AddError("--lanes must be 0 (measured) or positive");
        });
        return o;
    }

    public static Engine.ApplyMode ParseApply(string? name) => name switch
    {
        "lanes" => Engine.ApplyMode.Lanes,
        "in-order" => Engine.ApplyMode.InOrder,
        _ => Engine.ApplyMode.Auto,
    };

    public static Option<string> Verifier()
    {
        var o = new Option<string>("--verifier")
        {
            Description = "Signature verifier of the cpu device: auto (simd with AVX-512F or AVX2, else libsodium), simd or libsodium. Every choice gives libsodium's verdict.",
            DefaultValueFactory = _ => "auto",
        };
        o.AcceptOnlyFromAmong(Engine.Verify.VerifierSelection.Names);
        return o;
    }

    public static Option<int> KeyTables()
    {
        var o = new Option<int>("--key-tables")
        {
            Description = "Signers whose precomputed tables the simd verifier keeps (3,840 bytes each; a signer met again verifies in about 0.6 of the time, same verdict); 0: none; at most 1048576 (3.75 GiB).",
            DefaultValueFactory = _ => Engine.Verify.SimdSignatureVerifier.DefaultKeyTables,
        };
        o.Validators.Add(r =>
        {
            // A token that is not a number is System.CommandLine's own error; reading it here would throw.
            if (r.Tokens.Count == 1 && int.TryParse(r.Tokens[0].Value, out int n) && n is < 0 or > Engine.Verify.SimdSignatureVerifier.MaxKeyTables)
                r.AddError($"--key-tables: 0 (none) to {Engine.Verify.SimdSignatureVerifier.MaxKeyTables} keys");
        });
        return o;
    }

    /// <summary>The store's read caches in MiB (accounts and the state tree's buckets share them).</summary>
    public static Option<int> CacheMb()
    {
        var o = new Option<int>("--cache-mb")
        {
            Description = "A --state store's read caches, in MiB (accounts and state-tree buckets); 0: none, every read goes to RocksDB. Results do not depend on it.",
            DefaultValueFactory = _ => (int)(Engine.GpuExecOptions.DefaultStateCacheBytes >> 20),
        };
        o.Validators.Add(r =>
        {
            if (r.Tokens.Count == 1 && int.TryParse(r.Tokens[0].Value, out int n) && n is < 0 or > 1 << 20)
                r.AddError("--cache-mb: 0 (no cache) to 1048576 MiB");
        });
        return o;
    }

    public static Engine.Verify.VerifierKind ParseVerifier(string? name) => Engine.Verify.VerifierSelection.Parse(name ?? "auto");

    public static Option<string> Device()
    {
        var o = new Option<string>("--device")
        {
            Description = "auto (CUDA, then OpenCL, else cpu), cpu (SIMD or libsodium on all cores, see --verifier; no ILGPU), ilgpu-cpu, cuda or opencl.",
            DefaultValueFactory = _ => "auto",
        };
        o.AcceptOnlyFromAmong(Devices);
        return o;
    }
}
