using System.CommandLine;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using GpuExec.Engine.Devices;
using GpuExec.Engine.Verify;
using GpuExec.Kernels.Verify;
using Microsoft.Extensions.Logging;

namespace GpuExec.Cli.Commands;

/// <summary>
/// <c>gpuexec verify --input SIGS.jsonl --out V.jsonl [--device auto|cpu|ilgpu-cpu|cuda|opencl]</c>:
/// one <c>{"public_key":"hex","message":"hex","signature":"hex"}</c> per input line, one
/// <c>{"index":i,"valid":b}</c> per output line in input order (blank lines are skipped and not
/// counted). Wrong key or signature lengths are <c>false</c>; a line that is not such JSON or not hex
/// is exit code 3 with one line on stderr naming the line, and nothing is written to <c>--out</c>.
/// Exit codes (<see cref="ExitCodes"/>): 0 ok, 2 usage error, 3 invalid input, 5 device missing.
/// </summary>
public static class VerifyCommand
{
    private const int Ok = ExitCodes.Ok;
    private const int UsageError = ExitCodes.Usage;
    private const int InvalidInput = ExitCodes.InvalidInput;

    public static Command Create()
    {
        var input = new Option<string>("--input") { Description = "JSONL file of {public_key, message, signature} in hex" };
        var output = new Option<string>("--out") { Description = "JSONL file to write {index, valid} lines to" };
        var device = Options.Device();
        var verifier = Options.Verifier();
        var command = new Command("verify", "Verify Ed25519 signatures with libsodium's rule (SPEC section 5)") { input, output, device, verifier };
        command.SetAction(parse => Run(parse.GetValue(input), parse.GetValue(output), parse.GetValue(device) ?? "auto", Console.Error,
            Options.ParseVerifier(parse.GetValue(verifier))));
        return command;
    }

    /// <summary>The command body (also callable from tests): returns the exit code.</summary>
    public static int Run(string? inputPath, string? outPath, string deviceName, TextWriter stderr, VerifierKind verifierKind = VerifierKind.Auto)
    {
        if (string.IsNullOrEmpty(inputPath) || string.IsNullOrEmpty(outPath))
        {
            stderr.WriteLine("gpuexec: usage: gpuexec verify --input SIGS.jsonl --out V.jsonl [--device " + DeviceKindNames.All + "]");
            return UsageError;
        }
        if (!DeviceKindNames.TryParse(deviceName, out var kind))
        {
            stderr.WriteLine($"gpuexec: unknown device '{deviceName}' (expected {DeviceKindNames.All})");
            return UsageError;
        }
        if (!File.Exists(inputPath))
        {
            stderr.WriteLine($"gpuexec: {inputPath}: input file not found");
            return InvalidInput;
        }

        var arena = new List<byte>();
        var jobs = new List<SignatureJob>();
        int lineNumber = 0;
        foreach (var line in File.ReadLines(inputPath))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
                continue;
            if (!TryParseLine(line, out var pk, out var msg, out var sig, out var error))
            {
                stderr.WriteLine($"gpuexec: {inputPath}: line {lineNumber}: {error}");
                return InvalidInput;
            }
            jobs.Add(SignatureJobs.Append(arena, pk, msg, sig));
        }

        using var loggerFactory = CliLogging.Create(verbose: false);
        var logger = loggerFactory.CreateLogger("gpuexec.verify");
        ComputeDevice dev;
        try
        {
            dev = ComputeDevice.Open(kind, logger);
        }
        catch (DeviceUnavailableException ex)
        {
            stderr.WriteLine("gpuexec: " + ex.Message);
            return ExitCodes.DeviceUnavailable;
        }

        var valid = new bool[jobs.Count];
        var sw = Stopwatch.StartNew();
        using (dev)
        {
            var arenaBytes = arena.ToArray();
            if (dev.Accelerator is null)
            {
                var verifier = VerifierSelection.Create(verifierKind, -1, out var chosen, out string reason);
                LogVerifier(logger, chosen.ToName(), reason);
                verifier.Verify(arenaBytes, jobs.ToArray(), valid);
            }
            else
            {
                using var verifier = new IlgpuSignatureVerifier(dev.Accelerator);
                verifier.Verify(arenaBytes, jobs.ToArray(), valid);
            }
        }
        sw.Stop();

        string full = Path.GetFullPath(outPath);
        string tmp = Path.Combine(Path.GetDirectoryName(full) ?? ".", "." + Path.GetFileName(full) + "." + Environment.ProcessId + ".tmp");
        try
        {
            using (var w = new StreamWriter(tmp, false, new UTF8Encoding(false)))
            {
                for (int i = 0; i < valid.Length; i++)
                {
                    w.Write("{\"index\":");
                    w.Write(i);
                    w.Write(valid[i] ? ",\"valid\":true}\n" : ",\"valid\":false}\n");
                }
            }
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp))
                File.Delete(tmp);
        }
        LogDone(logger, valid.Length, dev.Kind.ToName(), sw.Elapsed.TotalMilliseconds);
        return Ok;
    }

    private static void LogVerifier(ILogger logger, string verifier, string reason)
    {
        if (logger.IsEnabled(LogLevel.Information))
            logger.LogInformation("signature verifier: {Verifier} ({Reason})", verifier, reason);
    }

    private static void LogDone(ILogger logger, int count, string device, double ms)
    {
        if (logger.IsEnabled(LogLevel.Information))
            logger.LogInformation("verified {Count} signatures on {Device} in {Ms:F1} ms", count, device, ms);
    }

    /// <summary>Parses one input line; false with a reason when it is not the expected JSON or not hex.</summary>
    public static bool TryParseLine(string line, out byte[] publicKey, out byte[] message, out byte[] signature, out string error)
    {
        publicKey = message = signature = [];
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "not a JSON object";
                return false;
            }
            if (!TryHex(root, "public_key", out publicKey, out error)
                || !TryHex(root, "message", out message, out error)
                || !TryHex(root, "signature", out signature, out error))
                return false;
            error = "";
            return true;
        }
        catch (JsonException ex)
        {
            error = "not JSON: " + ex.Message.Split('\n')[0].Trim();
            return false;
        }
    }

    private static bool TryHex(JsonElement root, string name, out byte[] value, out string error)
    {
        value = [];
        if (!root.TryGetProperty(name, out var p) || p.ValueKind != JsonValueKind.String)
        {
            error = $"missing string field \"{name}\"";
            return false;
        }
        string s = p.GetString()!;
        if (s.Length % 2 != 0)
        {
            error = $"\"{name}\" is not hex (odd length {s.Length})";
            return false;
        }
        try
        {
            value = Convert.FromHexString(s);
        }
        catch (FormatException)
        {
            error = $"\"{name}\" is not hex";
            return false;
        }
        error = "";
        return true;
    }
}
