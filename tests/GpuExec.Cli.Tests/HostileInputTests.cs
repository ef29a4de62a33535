using System.Buffers.Binary;
using System.Text;
using GpuExec.Wire;

namespace GpuExec.Cli.Tests;

/// <summary>
/// The CLI under hostile input: every failure is one line on stderr and a documented exit code,
/// and nothing is lost or half-written.
/// </summary>
public class HostileInputTests
{
    private static readonly string Example = TestPaths.Shared("examples", "conformance-2");
    private static string Genesis => Path.Combine(Example, "genesis.json");
    private static string Block => Path.Combine(Example, "block-1.gxb");

    private static void OneErrorLine(string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, "stderr: " + stderr);
        Assert.StartsWith("gpuexec: ", lines[0]);
    }

    private static string Write(string dir, string name, byte[] bytes)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void When_the_receipts_cannot_be_written_the_old_dump_stays()
    {
        var dir = Cli.TempDir();
        var dump = Write(dir, "d.json", "old dump"u8.ToArray());
        var receipts = Path.Combine(dir, "r.jsonl");
        Directory.CreateDirectory(receipts);
        var (code, _, err) = Cli.Run("run", "--genesis", Genesis, "--block", Block, "--out", dump, "--receipts", receipts);
        Assert.NotEqual(0, code);
        OneErrorLine(err);
        Assert.Equal("old dump", File.ReadAllText(dump));
        Assert.Equal(["d.json", "r.jsonl"], Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void The_same_file_for_dump_and_receipts_is_a_usage_error()
    {
        var dir = Cli.TempDir();
        var both = Path.Combine(dir, "x.json");
        var (code, _, err) = Cli.Run("run", "--genesis", Genesis, "--block", Block, "--out", both, "--receipts", both);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("name the same file", err);
        OneErrorLine(err);
        // Also through another spelling of the path.
        (code, _, _) = Cli.Run("run", "--genesis", Genesis, "--block", Block, "--out", both, "--receipts", Path.Combine(dir, ".", "x.json"));
        Assert.Equal(ExitCodes.Usage, code);
        Assert.False(File.Exists(both));
    }

    [Fact]
    public void An_explicit_missing_device_is_exit_5_with_the_sequential_executor_too()
    {
        if (Engine.Devices.ComputeDevice.List().Any(d => d.Kind == Engine.Devices.DeviceKind.Cuda)) return; // needs a machine without CUDA
        var dir = Cli.TempDir();
        var (code, _, err) = Cli.Run("run", "--genesis", Genesis, "--block", Block, "--out", Path.Combine(dir, "d.json"), "--executor", "sequential", "--device", "cuda");
        Assert.Equal(ExitCodes.DeviceUnavailable, code);
        Assert.Contains("cuda", err);
        OneErrorLine(err);
        Assert.False(File.Exists(Path.Combine(dir, "d.json")));
    }

    [Fact]
    public void A_block_of_2_pow_26_records_is_refused_in_one_line()
    {
        var dir = Cli.TempDir();
        var path = Path.Combine(dir, "big.gxb");
        using (var f = File.Create(path))
        {
            var header = new byte[BlockHeader.Size];
            BlockHeader.Magic.CopyTo(header);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(112), 1u << 26);
            f.Write(header);
            f.SetLength(BlockHeader.Size + 2L * (1 << 26)); // sparse: zero-length records
        }
        foreach (var executor in new[] { "sequential", "parallel" })
        {
            var (code, _, err) = Cli.Run("run", "--genesis", Genesis, "--block", path, "--out", Path.Combine(dir, "d.json"), "--executor", executor, "--device", "cpu");
            Assert.Equal(ExitCodes.InvalidInput, code);
            Assert.Contains("over the limit of 16777216 transactions", err);
            OneErrorLine(err);
        }
    }

    [Fact]
    public void A_genesis_at_height_2_pow_64_minus_1_accepts_no_block()
    {
        var dir = Cli.TempDir();
        var g = Write(dir, "g.json", Encoding.UTF8.GetBytes("{\"chain_id\": 1, \"height\": 18446744073709551615, \"accounts\": [], \"pools\": []}"));
        var state = GpuExec.State.StateJson.ReadFile(g);
        var block = Write(dir, "b.gxb", BlockCodec.Encode(1, 0, default, state.StateRoot, []));
        foreach (var extra in new[] { Array.Empty<string>(), ["--state", Path.Combine(dir, "store")] })
        {
            var (code, _, err) = Cli.Run(["run", "--genesis", g, "--block", block, "--out", Path.Combine(dir, "d.json"), .. extra]);
            Assert.Equal(ExitCodes.BlockRejected, code);
            Assert.Contains("no block can follow height 18446744073709551615", err);
            OneErrorLine(err);
        }
        // The store made that way still opens, at its genesis height.
        var reopened = Cli.Run("run", "--state", Path.Combine(dir, "store"), "--out", Path.Combine(dir, "d.json"));
        Assert.True(reopened.code == 0, reopened.stderr);
        Assert.Contains("18446744073709551615", File.ReadAllText(Path.Combine(dir, "d.json")));
    }

    [Theory]
    [InlineData("{\"chain_id\": 1, \"accounts\": [{\"address\": \"\\ud800\"}], \"pools\": []}", "accounts[0].address")]
    [InlineData("{\"chain_id\": 1, \"accounts\": [], \"pools\": [], \"\\udbff\": 0}", "a key is not valid UTF-8")]
    [InlineData("{\"chain_id\": 1, \"accounts\": []}", "pools: is missing")]
    public void Bad_genesis_strings_and_missing_fields_are_exit_3_naming_file_and_field(string json, string expected)
    {
        var dir = Cli.TempDir();
        var g = Write(dir, "g.json", Encoding.UTF8.GetBytes(json));
        var (code, _, err) = Cli.Run("run", "--genesis", g, "--block", Block, "--out", Path.Combine(dir, "d.json"));
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("g.json", err);
        Assert.Contains(expected, err);
        OneErrorLine(err);
    }

    [Fact]
    public void Invalid_utf8_in_a_genesis_is_exit_3()
    {
        var dir = Cli.TempDir();
        var bytes = Encoding.UTF8.GetBytes("{\"chain_id\": 1, \"accounts\": [{\"address\": \"@@\"}], \"pools\": []}");
        bytes[Array.IndexOf(bytes, (byte)'@')] = 0xC3; // a lead byte followed by '@': not UTF-8
        var (code, _, err) = Cli.Run("run", "--genesis", Write(dir, "g.json", bytes), "--block", Block, "--out", Path.Combine(dir, "d.json"));
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("g.json", err);
        OneErrorLine(err);
    }

    [Fact]
    public void Verify_lines_with_bad_strings_or_over_the_limit_are_exit_3()
    {
        var dir = Cli.TempDir();
        var output = Path.Combine(dir, "v.jsonl");
        var surrogate = Write(dir, "s.jsonl", Encoding.UTF8.GetBytes("{\"public_key\":\"\\ud800\",\"message\":\"\",\"signature\":\"\"}\n"));
        var (code, _, err) = Cli.Run("verify", "--input", surrogate, "--out", output, "--device", "cpu");
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("line 1", err);
        OneErrorLine(err);

        var bytes = Encoding.UTF8.GetBytes("{\"public_key\":\"00\",\"message\":\"0\u00e90\",\"signature\":\"00\"}\n");
        bytes[Array.IndexOf(bytes, (byte)0xC3) + 1] = (byte)'x'; // broken UTF-8 sequence
        (code, _, err) = Cli.Run("verify", "--input", Write(dir, "u.jsonl", bytes), "--out", output, "--device", "cpu");
        Assert.Equal(ExitCodes.InvalidInput, code);
        OneErrorLine(err);

        var longLine = Path.Combine(dir, "long.jsonl");
        using (var f = File.Create(longLine))
        {
            f.Write("{\"public_key\":\"00\",\"message\":\""u8);
            var zeros = new byte[1 << 20];
            zeros.AsSpan().Fill((byte)'0');
            for (int i = 0; i < 17; i++) f.Write(zeros);
            f.Write("\",\"signature\":\"00\"}\n"u8);
        }
        (code, _, err) = Cli.Run("verify", "--input", longLine, "--out", output, "--device", "cpu");
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("line 1: longer than the limit", err);
        OneErrorLine(err);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void A_verify_input_is_bounded_in_signatures_not_only_in_bytes()
    {
        // Lines with empty fields add nothing to the arena: only the count bounds them. The real
        // limit (2^24 lines, 772 MB of such lines) is proven here at 3; the code path is the same.
        var dir = Cli.TempDir();
        string line = "{\"public_key\":\"\",\"message\":\"\",\"signature\":\"\"}\n";
        var three = Write(dir, "three.jsonl", Encoding.UTF8.GetBytes(line + "\n" + line + line));
        var jobs = new List<Kernels.Verify.SignatureJob>();
        Assert.Null(Commands.VerifyCommand.ReadJobs(three, [], jobs, maxSignatures: 3));
        Assert.Equal(3, jobs.Count);
        var four = Write(dir, "four.jsonl", Encoding.UTF8.GetBytes(line + line + line + line));
        Assert.Equal($"{four}: line 4: more than the limit of 3 signatures in one input", Commands.VerifyCommand.ReadJobs(four, [], [], maxSignatures: 3));
        Assert.Equal(Wire.InputLimits.MaxTransactions, Commands.VerifyCommand.MaxSignatures);
    }

    [Fact]
    public void Unbounded_inputs_are_refused_without_reading_them_whole()
    {
        if (!File.Exists("/dev/zero")) return;
        var dir = Cli.TempDir();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var (code, _, err) = Cli.Run("run", "--genesis", "/dev/zero", "--block", Block, "--out", Path.Combine(dir, "d.json"));
        Assert.Equal(ExitCodes.InvalidInput, code);
        // A genesis is parsed as it is read, so an endless device is refused at its first byte
        // (a stream that stays valid JSON is refused at the size limit: StateSizeLimitTests).
        Assert.Contains("/dev/zero: malformed JSON", err);
        OneErrorLine(err);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), sw.Elapsed.ToString());
    }

    [Fact]
    public void Gen_refuses_a_folder_that_already_holds_files()
    {
        var dir = Cli.TempDir();
        Write(dir, "block-000009.gxb", [1, 2, 3]);
        var (code, _, err) = Cli.Run("gen", "--accounts", "4", "--txs", "10", "--pools", "1", "--blocks", "1", "--out", dir);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("not empty", err);
        OneErrorLine(err);
        Assert.Equal(["block-000009.gxb"], Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Bench_checks_its_outputs_before_running()
    {
        var dir = Cli.TempDir();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        // Large enough that running it first would take minutes.
        var (code, _, err) = Cli.Run("bench", "--txs", "1000000", "--device", "cpu", "--json", Path.Combine(dir, "missing", "b.json"));
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("does not exist", err);
        OneErrorLine(err);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60), sw.Elapsed.ToString());
    }

    [Fact]
    public void Long_option_values_are_not_echoed_whole()
    {
        var (code, _, err) = Cli.Run("run", "--genesis", Genesis, "--device", new string('x', 100_000));
        Assert.Equal(ExitCodes.Usage, code);
        OneErrorLine(err);
        Assert.True(err.Length < 1000, err.Length.ToString());
    }
}

/// <summary>What reaches the top of a command: one line and a documented exit code, whatever it is.</summary>
public class CliErrorsTests
{
    public static TheoryData<Exception, int> Cases => new()
    {
        { new InvalidOperationException("a bug\nwith two lines"), ExitCodes.InternalError },
        { new NullReferenceException(), ExitCodes.InternalError },
        { new OutOfMemoryException(), ExitCodes.InternalError },
        { new IOException("No space left on device"), ExitCodes.InternalError },
        { new AggregateException(new BlockRejectedException("b.gxb: tx_root")), ExitCodes.BlockRejected },
        { new AggregateException(new AggregateException(new StateFormatException("g.json: pools: is missing"))), ExitCodes.InvalidInput },
        { new Engine.Devices.DeviceUnavailableException(Engine.Devices.DeviceKind.Cuda), ExitCodes.DeviceUnavailable },
        { new InvalidOperationException(new string('v', 1_000_000)), ExitCodes.InternalError },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_exception_is_one_line_and_a_documented_code(Exception e, int expected)
    {
        var err = new StringWriter();
        Assert.Equal(expected, CliErrors.Report(e, err));
        var lines = err.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("gpuexec: ", lines[0]);
        Assert.True(lines[0].Length < 700, lines[0].Length.ToString());
    }
}
