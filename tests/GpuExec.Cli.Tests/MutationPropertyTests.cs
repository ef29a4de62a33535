using System.Text;
using CsCheck;

namespace GpuExec.Cli.Tests;

/// <summary>
/// Property: random mutations of a valid block and of a valid genesis, run through the real CLI with
/// both executors, only ever end in a documented outcome (0 ok, 3 invalid input, 4 refused block),
/// with at most one line on stderr, and leave the output files untouched whenever they fail.
/// </summary>
public class MutationPropertyTests
{
    private static readonly string Example = TestPaths.Shared("examples", "conformance-2");
    private static readonly byte[] Genesis = File.ReadAllBytes(Path.Combine(Example, "genesis.json"));
    private static readonly byte[] Block = File.ReadAllBytes(Path.Combine(Example, "block-1.gxb"));

    /// <summary>Byte-level mutations: flips, overwrites, cuts, insertions, and splices of JSON-hostile text.</summary>
    private static readonly string[] Splices =
        ["\\ud800", "\"", "\\", "{", "]", "-1", "18446744073709551616", "1e3", "0.5", "\u00e9", "null", ",", "\"x\":1,"];

    private static byte[] Mutate(byte[] input, int kind, int position, int value)
    {
        var bytes = input.ToList();
        int at = position % Math.Max(1, bytes.Count);
        switch (kind)
        {
            case 0: bytes[at] ^= (byte)(1 << (value % 8)); break;
            case 1: bytes[at] = (byte)value; break;
            case 2: bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + value % 64)); break;
            case 3: bytes.InsertRange(at, Enumerable.Repeat((byte)value, 1 + value % 7)); break;
            case 4: bytes.InsertRange(at, Encoding.UTF8.GetBytes(Splices[value % Splices.Length])); break;
            default: bytes.RemoveRange(at, bytes.Count - at); break; // truncate
        }
        return [.. bytes];
    }

    private static readonly Gen<(bool block, int kind, int position, int value, bool parallel)> Mutation =
        Gen.Select(Gen.Bool, Gen.Int[0, 5], Gen.Int[0, 1 << 20], Gen.Int[0, 255], Gen.Bool);

    [Fact]
    public void Mutated_inputs_end_in_a_documented_outcome_with_one_line_and_untouched_outputs()
    {
        var dir = Cli.TempDir();
        var dump = Path.Combine(dir, "d.json");
        var receipts = Path.Combine(dir, "r.jsonl");
        int run = 0;
        Mutation.Sample(m =>
        {
            int n = Interlocked.Increment(ref run);
            var genesis = m.block ? Genesis : Mutate(Genesis, m.kind, m.position, m.value);
            var block = m.block ? Mutate(Block, m.kind, m.position, m.value) : Block;
            string g = Path.Combine(dir, $"g{n}.json"), b = Path.Combine(dir, $"b{n}.gxb");
            string d = dump + n, r = receipts + n;
            File.WriteAllBytes(g, genesis);
            File.WriteAllBytes(b, block);
            File.WriteAllText(d, "old dump");
            File.WriteAllText(r, "old receipts");
            var (code, _, err) = Cli.Run("run", "--genesis", g, "--block", b, "--out", d, "--receipts", r,
                "--executor", m.parallel ? "parallel" : "sequential", "--device", "cpu", "--quiet");
            var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            string what = $"{(m.block ? "block" : "genesis")} mutation {m.kind} at {m.position} ({m.value}), {(m.parallel ? "parallel" : "sequential")}: exit {code}, stderr {err}";
            Assert.True(code is 0 or ExitCodes.InvalidInput or ExitCodes.BlockRejected, what);
            Assert.True(lines.Length <= (code == 0 ? 0 : 1), what);
            if (code != 0)
            {
                Assert.True(File.ReadAllText(d) == "old dump" && File.ReadAllText(r) == "old receipts", what);
                Assert.StartsWith("gpuexec: ", lines[0]);
            }
        }, iter: 80, threads: 2);
    }
}
