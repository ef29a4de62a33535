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
internal static class VerifyCommand
{
    private const int Ok = ExitCodes.Ok;
    private const int UsageError = ExitCodes.Usage;
    private const int InvalidInput = ExitCodes.InvalidInput;

    public static Command Create()
    {
        var input = new Option<string>("--input") { Description = "JSONL file of {public_key, message, signature} in hex", Required = true };
        var output = new Option<string>("--out") { Description = "JSONL file to write {index, valid} lines to", Required = true };
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
        if (CliOutput.CheckOutputs(("--out", outPath)) is { } badOut)
        {
            stderr.WriteLine("gpuexec: verify: " + badOut);
            return UsageError;
        }

        var arena = new List<byte>();
        var jobs = new List<SignatureJob>();
        if (ReadJobs(inputPath, arena, jobs) is { } readError)
        {
            stderr.WriteLine("gpuexec: " + CliOutput.OneLine(readError));
            return InvalidInput;
        }

        using var loggerFactory = CliLogging.Create(verbose: false);
        var logger = loggerFactory.CreateLogger("gpuexec.verify");
        var summary = loggerFactory.CreateLogger(CliLogging.Summary);
        ComputeDevice dev;
        var setup = Stopwatch.StartNew();
        try
        {
            // Only the signature kernels: verifying needs no conflict detection.
            dev = ComputeDevice.Open(kind, logger, ComputeDevice.DeviceKernels.Verify);
        }
        catch (DeviceUnavailableException ex)
        {
            stderr.WriteLine("gpuexec: " + CliOutput.OneLine(ex.Message));
            return ExitCodes.DeviceUnavailable;
        }
        double openSeconds = setup.Elapsed.TotalSeconds;

        // Set-up (choosing the verifier, allocating its buffers) is timed apart from the verification.
        var valid = new bool[jobs.Count];
        var arenaBytes = arena.ToArray();
        var jobArray = jobs.ToArray();
        TimeSpan buffers, verifying;
        using (dev)
        {
            var sw = Stopwatch.StartNew();
            if (dev.Accelerator is null)
            {
                var verifier = VerifierSelection.Create(verifierKind, -1, out var chosen, out string reason);
                LogVerifier(logger, chosen.ToName(), reason);
                buffers = sw.Elapsed;
                sw.Restart();
                verifier.Verify(arenaBytes, jobArray, valid);
                verifying = sw.Elapsed;
            }
            else
            {
                using var verifier = new IlgpuSignatureVerifier(dev.Accelerator);
                verifier.Reserve(arenaBytes.Length, jobArray.Length);
                buffers = sw.Elapsed;
                sw.Restart();
                verifier.Verify(arenaBytes, jobArray, valid);
                verifying = sw.Elapsed;
            }
        }

        CliOutput.WriteAtomically(outPath, s =>
        {
            using var w = new StreamWriter(s, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
            for (int i = 0; i < valid.Length; i++)
            {
                w.Write("{\"index\":");
                w.Write(i);
                w.Write(valid[i] ? ",\"valid\":true}\n" : ",\"valid\":false}\n");
            }
        });
        int validCount = 0;
        foreach (bool v in valid) if (v) validCount++;
        LogDone(summary, valid.Length, validCount, dev.Kind.ToName(), verifying.TotalMilliseconds, openSeconds, buffers.TotalMilliseconds);
        return Ok;
    }

    private static void LogVerifier(ILogger logger, string verifier, string reason)
    {
        if (logger.IsEnabled(LogLevel.Information))
            logger.LogInformation("signature verifier: {Verifier} ({Reason})", verifier, reason);
    }

    /// <summary>
    /// The summary line: how many signatures (valid and invalid apart: an invalid one may be refused
    /// early, so the mix changes the rate), the time of the verification alone and its rate, then the
    /// set-up that was not counted (opening the device and loading its kernels, the buffers).
    /// </summary>
    private static void LogDone(ILogger logger, int count, int validCount, string device, double ms, double openSeconds, double buffersMs)
    {
        if (logger.IsEnabled(LogLevel.Information))
            logger.LogInformation(
                "verified {Count} signatures ({Valid} valid, {Invalid} invalid) on {Device} in {Ms:F1} ms, {Rate:F0} per second; set-up not counted: device and kernels {OpenSeconds:F2} s, buffers {BuffersMs:F1} ms",
                count, validCount, count - validCount, device, ms, ms > 0 ? count / (ms / 1000) : 0, openSeconds, buffersMs);
    }

    /// <summary>Longest input line accepted (a message of up to 8 MiB in hex); longer ones are refused before they are held whole.</summary>
    public const int MaxLineBytes = 16 << 20;

    /// <summary>
    /// Most signatures in one input: as many as a block may hold (2^24). The bytes bound alone let
    /// lines with empty fields (46 bytes each) grow the job list without end.
    /// </summary>
    public const int MaxSignatures = Wire.InputLimits.MaxTransactions;

    /// <summary>
    /// Reads the input line by line in bounded memory: a line over <see cref="MaxLineBytes"/>, or
    /// input whose keys, messages and signatures exceed one arena (2 GiB), or with more than
    /// <paramref name="maxSignatures"/> signatures, is refused. Returns the
    /// error naming file and line, or null.
    /// </summary>
    internal static string? ReadJobs(string path, List<byte> arena, List<SignatureJob> jobs, int maxSignatures = MaxSignatures)
    {
        FileStream f;
        try { f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return $"{path}: cannot read: {e.Message}"; }
        using (f)
        {
            var buffer = new byte[1 << 16];
            var line = new System.Buffers.ArrayBufferWriter<byte>(1 << 12);
            int lineNumber = 0, got;
            try
            {
                while ((got = f.Read(buffer)) > 0)
                {
                    var span = buffer.AsSpan(0, got);
                    while (true)
                    {
                        int nl = span.IndexOf((byte)'\n');
                        var part = nl < 0 ? span : span[..nl];
                        if ((long)line.WrittenCount + part.Length > MaxLineBytes)
                            return $"{path}: line {lineNumber + 1}: longer than the limit of {MaxLineBytes} bytes";
                        System.Buffers.BuffersExtensions.Write(line, part);
                        if (nl < 0) break;
                        if (AddLine(path, ++lineNumber, line.WrittenMemory, arena, jobs, maxSignatures) is { } error) return error;
                        line.ResetWrittenCount();
                        span = span[(nl + 1)..];
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return $"{path}: cannot read: {e.Message}"; }
            return line.WrittenCount > 0 ? AddLine(path, ++lineNumber, line.WrittenMemory, arena, jobs, maxSignatures) : null;
        }
    }

    private static string? AddLine(string path, int lineNumber, ReadOnlyMemory<byte> line, List<byte> arena, List<SignatureJob> jobs, int maxSignatures)
    {
        var text = line.Span;
        if (text.Length > 0 && text[^1] == (byte)'\r') line = line[..^1];
        if (line.Span.Trim(" \t\r"u8).IsEmpty) return null;
        if (jobs.Count == maxSignatures)
            return $"{path}: line {lineNumber}: more than the limit of {maxSignatures} signatures in one input";
        if (!TryParseLine(line, out var pk, out var msg, out var sig, out var error))
            return $"{path}: line {lineNumber}: {error}";
        if ((long)arena.Count + pk.Length + msg.Length + sig.Length > Array.MaxLength)
            return $"{path}: line {lineNumber}: the input's keys, messages and signatures exceed the limit of {Array.MaxLength} bytes";
        jobs.Add(SignatureJobs.Append(arena, pk, msg, sig));
        return null;
    }

    /// <summary>Parses one input line; false with a reason when it is not the expected JSON or not hex.</summary>
    public static bool TryParseLine(string line, out byte[] publicKey, out byte[] message, out byte[] signature, out string error) =>
        TryParseLine(System.Text.Encoding.UTF8.GetBytes(line), out publicKey, out message, out signature, out error);

    /// <summary>Parses one input line (UTF-8 bytes); false with a reason when it is not the expected JSON or not hex.</summary>
    public static bool TryParseLine(ReadOnlyMemory<byte> line, out byte[] publicKey, out byte[] message, out byte[] signature, out string error)
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
        string s;
        try { s = p.GetString()!; }
        catch (InvalidOperationException)
        {
            error = $"\"{name}\" is not valid UTF-8 text (invalid bytes or a lone surrogate escape)";
            return false;
        }
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
