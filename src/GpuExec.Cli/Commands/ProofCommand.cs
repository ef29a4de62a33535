using System.CommandLine;
using System.Globalization;
using GpuExec.Commitments;
using GpuExec.Engine;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Cli.Commands;

/// <summary>
/// <c>gpuexec proof</c>: the SPEC section 6 proof that an account or pool is in a state (or is not),
/// from a state directory or from a genesis and blocks. <c>gpuexec verify-proof</c>: checks one by
/// the SPEC's algorithm, against its own root or one the caller trusts.
/// </summary>
internal static class ProofCommand
{
    public static Command Create()
    {
        var stateDir = new Option<DirectoryInfo?>("--state") { Description = "A state directory (opened read-only) whose committed state the proof is made from. (REQUIRED unless --genesis)" };
        var genesis = new Option<FileInfo?>("--genesis") { Description = "Genesis or dump JSON; with --block, the state after those blocks. (REQUIRED unless --state)" };
        var blocks = new Option<FileInfo[]>("--block") { Description = "A .gxb block applied to --genesis before the proof; repeat in order.", AllowMultipleArgumentsPerToken = false };
        var address = new Option<string?>("--address") { Description = "The account's address (64 hex digits). (REQUIRED unless --pool)" };
        var pool = new Option<uint?>("--pool") { Description = "The pool's id. (REQUIRED unless --address)" };
        var output = new Option<FileInfo>("--out") { Description = "Where to write the proof (SPEC section 6's JSON object).", Required = true };
        var cmd = new Command("proof", "Write the proof that an account or pool is in the state (with its leaf data) or is not, under the state's root.")
        {
            stateDir, genesis, blocks, address, pool, output,
        };
        cmd.SetAction(parse =>
        {
            var dir = parse.GetValue(stateDir);
            var g = parse.GetValue(genesis);
            var bs = parse.GetValue(blocks) ?? [];
            var a = parse.GetValue(address);
            var p = parse.GetValue(pool);
            var o = parse.GetValue(output)!;
            if ((dir is null) == (g is null)) { CliOutput.Error("proof: give exactly one of --state DIR and --genesis G"); return ExitCodes.Usage; }
            if (dir is not null && bs.Length > 0) { CliOutput.Error("proof: --block goes with --genesis; a --state directory is proved at its committed height"); return ExitCodes.Usage; }
            if ((a is null) == (p is null)) { CliOutput.Error("proof: give exactly one of --address HEX and --pool ID"); return ExitCodes.Usage; }
            Address who = default;
            if (a is not null && (a.Length != 64 || !a.All(char.IsAsciiHexDigit))) { CliOutput.Error($"proof: --address {InputLimits.Excerpt(a, 80)}: must be 64 hex digits"); return ExitCodes.Usage; }
            if (a is not null) who = Address.FromHex(a);
            if (CliOutput.CheckOutputs(("--out", o.FullName)) is { } bad) { CliOutput.Error("proof: " + bad); return ExitCodes.Usage; }

            StateProof proof;
            if (dir is not null)
            {
                // A proof reads a few buckets and one leaf: no cache is worth filling.
                proof = StateDirectory.ReadOnly(dir.FullName, genesisPath: null, cacheBytes: 0,
                    store => a is not null ? store.State.GetProof(who) : store.State.GetProof(p!.Value));
            }
            else
            {
                var state = StateJson.ReadFile(g!.FullName);
                StateDirectory.Stream(new ReferenceExecutor(), state, bs.Select(b => b.FullName));
                proof = a is not null ? state.GetProof(who) : state.GetProof(p!.Value);
            }
            CliOutput.WriteAtomically(o.FullName, proof.WriteJson);
            string what = a is not null ? $"account {a.ToLowerInvariant()}" : $"pool {p}";
            Console.Error.WriteLine($"proof: {(proof.Data is null ? "exclusion" : "inclusion")} of {what} at height {proof.Height} under root {proof.Root} -> {o.FullName}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    public static Command CreateVerify()
    {
        var file = new Option<FileInfo>("--proof") { Description = "The proof (SPEC section 6's JSON object).", Required = true };
        var root = new Option<string?>("--root") { Description = "Check against this root (64 hex digits: one you trust, a block header's) instead of the proof's own." };
        var cmd = new Command("verify-proof", "Check a proof by SPEC section 6's algorithm: exit 0 and one line starting with inclusion or exclusion, or exit 3 naming why it is invalid.")
        {
            file, root,
        };
        cmd.SetAction(parse =>
        {
            var f = parse.GetValue(file)!;
            var r = parse.GetValue(root);
            Hash32? trusted = null;
            if (r is not null)
            {
                if (r.Length != 64 || !r.All(char.IsAsciiHexDigit)) { CliOutput.Error($"verify-proof: --root {InputLimits.Excerpt(r, 80)}: must be 64 hex digits"); return ExitCodes.Usage; }
                trusted = Hash32.FromHex(r);
            }
            var proof = StateProof.Parse(InputLimits.ReadFile(f.FullName, MaxProofBytes, "proof"), f.FullName);
            var verdict = proof.Verify(trusted);
            var against = trusted ?? proof.Root;
            if (!verdict.Valid)
            {
                CliOutput.Error($"{f.FullName}: invalid proof: {verdict.Reason}");
                return ExitCodes.InvalidInput;
            }
            string where = string.Create(CultureInfo.InvariantCulture, $"under root {against}{(trusted is null ? $" (the proof's own, height {proof.Height})" : " (given)")}");
            Console.WriteLine(verdict.Inclusion
                ? $"inclusion: {proof.DescribeData() ?? $"key {proof.Key}"} {where}"
                : $"exclusion: key {proof.Key} is absent {where}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>A proof has at most 256 siblings of 66 hex characters and one leaf's data: far below this.</summary>
    private const long MaxProofBytes = 1 << 20;
}
