using System.Text.Json;
using GpuExec.Engine.Verify;
using GpuExec.Kernels.Verify;

namespace GpuExec.Kernels.Tests;

public sealed record SigVector(string Source, string Id, byte[] PublicKey, byte[] Message, byte[] Signature, bool Valid);

/// <summary>Signature test cases and the arena + jobs they become.</summary>
internal static class Vectors
{
    private static readonly Lazy<IReadOnlyList<SigVector>> Libsodium = new(() =>
    {
        var list = new List<SigVector>();
        foreach (var line in File.ReadLines(TestPaths.Shared("vectors", "ed25519-libsodium-verdicts.jsonl")))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            list.Add(new SigVector(
                r.GetProperty("source").ToString(), r.GetProperty("id").ToString(),
                Convert.FromHexString(r.GetProperty("public_key").GetString()!),
                Convert.FromHexString(r.GetProperty("message").GetString()!),
                Convert.FromHexString(r.GetProperty("signature").GetString()!),
                r.GetProperty("valid").GetBoolean()));
        }
        return list;
    });

    /// <summary>Every line of the shared libsodium-verdict file.</summary>
    public static IReadOnlyList<SigVector> LibsodiumVerdicts => Libsodium.Value;

    public static (byte[] Arena, SignatureJob[] Jobs) Pack(IReadOnlyList<SigVector> cases)
    {
        var arena = new List<byte>();
        var jobs = new SignatureJob[cases.Count];
        for (int i = 0; i < cases.Count; i++)
            jobs[i] = SignatureJobs.Append(arena, cases[i].PublicKey, cases[i].Message, cases[i].Signature);
        return (arena.ToArray(), jobs);
    }

    public static bool[] Run(ISignatureVerifier v, IReadOnlyList<SigVector> cases)
    {
        var (arena, jobs) = Pack(cases);
        var valid = new bool[jobs.Length];
        v.Verify(arena, jobs, valid);
        return valid;
    }
}
