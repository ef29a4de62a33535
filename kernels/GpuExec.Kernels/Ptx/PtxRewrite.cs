using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using ILGPU.Backends;
using ILGPU.Backends.PTX;

namespace GpuExec.Kernels.Ptx;

/// <summary>
/// A peephole pass over the PTX ILGPU 1.5.3 writes. ILGPU turns <c>(ulong)a * b</c> of two
/// <c>uint</c>s into two <c>cvt.u64.u32</c> and a 64 x 64-bit <c>mul.lo.s64</c>; ptxas then emits
/// an IMAD.WIDE.U32 plus one IADD3 of a zero register per product (the high cross terms it fails to
/// drop), about a third of a field multiplication. <c>mul.wide.u32</c> of the two 32-bit sources is
/// the same value (the high halves are zero), and ptxas makes it a single IMAD.WIDE.U32.
/// The pass only rewrites within a basic block, where both conversions are the latest definitions
/// of their registers and their sources have not been redefined since.
/// </summary>
internal static partial class PtxRewrite
{
    /// <summary>Whether the runtime applies the pass to CUDA kernels (GPUEXEC_PTX_REWRITE=0 turns it off).</summary>
    public static bool Enabled => Environment.GetEnvironmentVariable("GPUEXEC_PTX_REWRITE") != "0";

    /// <summary>Rewrites widened unsigned products to <c>mul.wide.u32</c>; <paramref name="count"/> is how many.</summary>
    public static string WideUnsignedProducts(string ptx, out int count)
    {
        count = 0;
        var widened = new Dictionary<string, string>(StringComparer.Ordinal); // %rdN -> %rM it zero-extends
        var sb = new StringBuilder(ptx.Length);
        foreach (var raw in ptx.Split('\n'))
        {
            string line = raw;
            string t = line.Trim();
            if (t.Length == 0 || t.StartsWith("//", StringComparison.Ordinal))
            {
                sb.Append(line).Append('\n');
                continue;
            }
            // Block boundaries: labels, scopes, control flow.
            if (t.EndsWith(':') || t[0] == '{' || t[0] == '}' || t.StartsWith("bra", StringComparison.Ordinal) ||
                t.StartsWith("ret", StringComparison.Ordinal) || t.StartsWith("call", StringComparison.Ordinal) ||
                t.StartsWith("exit", StringComparison.Ordinal) || t.StartsWith('.'))
            {
                widened.Clear();
                sb.Append(line).Append('\n');
                continue;
            }
            var m = Instruction().Match(t);
            if (!m.Success)
            {
                widened.Clear(); // not understood: assume anything
                sb.Append(line).Append('\n');
                continue;
            }
            bool predicated = m.Groups["pred"].Success;
            string op = m.Groups["op"].Value;
            string operands = m.Groups["args"].Value;
            if (predicated && op.StartsWith("bra", StringComparison.Ordinal))
            {
                widened.Clear();
                sb.Append(line).Append('\n');
                continue;
            }
            if (!predicated && (op == "mul.lo.s64" || op == "mul.lo.u64"))
            {
                var args = operands.Split(',', StringSplitOptions.TrimEntries);
                if (args.Length == 3 && widened.TryGetValue(args[1], out string? a) && widened.TryGetValue(args[2], out string? b))
                {
                    int indent = line.Length - line.TrimStart().Length;
                    line = line[..indent] + $"mul.wide.u32\t{args[0]}, {a}, {b};";
                    count++;
                }
            }
            foreach (string dest in Destinations(op, operands))
            {
                widened.Remove(dest);
                foreach (var k in widened.Where(kv => kv.Value == dest).Select(kv => kv.Key).ToList())
                    widened.Remove(k);
            }
            if (!predicated && op == "cvt.u64.u32")
            {
                var args = operands.Split(',', StringSplitOptions.TrimEntries);
                if (args.Length == 2 && args[0].StartsWith("%rd", StringComparison.Ordinal) && Register32().IsMatch(args[1]))
                    widened[args[0]] = args[1];
            }
            sb.Append(line).Append('\n');
        }
        sb.Length--; // Split gave one piece more than there are newlines
        return sb.ToString();
    }

    /// <summary>The registers an instruction writes: its first operand (all of a {vector}), none for stores.</summary>
    private static IEnumerable<string> Destinations(string op, string operands)
    {
        if (op.StartsWith("st.", StringComparison.Ordinal) || op.StartsWith("red.", StringComparison.Ordinal) ||
            op.StartsWith("bar", StringComparison.Ordinal) || op.StartsWith("membar", StringComparison.Ordinal) ||
            op.StartsWith("fence", StringComparison.Ordinal))
            return [];
        string first = operands.TrimStart();
        if (first.StartsWith('{'))
            first = first[..(first.IndexOf('}') + 1)];
        else
        {
            int comma = first.IndexOf(',');
            if (comma >= 0)
                first = first[..comma];
        }
        return Register().Matches(first).Select(x => x.Value);
    }

    /// <summary>
    /// <paramref name="kernel"/> with its PTX rewritten (the same entry point and parameter layout),
    /// or the kernel itself when nothing changed or ILGPU's compiled-kernel type cannot be built.
    /// </summary>
    public static CompiledKernel Rewrite(CompiledKernel kernel, out int count)
    {
        count = 0;
        if (kernel is not PTXCompiledKernel ptx)
            return kernel;
        string text = WideUnsignedProducts(ptx.PTXAssembly, out count);
        if (count == 0)
            return kernel;
        // ILGPU 1.5.3 keeps this constructor and the entry point internal; the type is otherwise what the backend returns.
        var ctor = typeof(PTXCompiledKernel).GetConstructor(
            BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public, null,
            [typeof(ILGPU.Context), typeof(ILGPU.Backends.EntryPoints.EntryPoint), typeof(CompiledKernel.KernelInfo), typeof(string)], null);
        object? entry = typeof(CompiledKernel).GetProperty("EntryPoint", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)?.GetValue(kernel);
        if (ctor is null || entry is null)
        {
            count = 0;
            return kernel;
        }
        return (CompiledKernel)ctor.Invoke([kernel.Context, entry, kernel.Info, text]);
    }

    [GeneratedRegex(@"^(?<pred>@!?%p\d+\s+)?(?<op>[a-z][a-z0-9_.]*)\s*(?<args>[^;]*);")]
    private static partial Regex Instruction();

    [GeneratedRegex(@"%[a-z]+\d+")]
    private static partial Regex Register();

    [GeneratedRegex(@"^%r\d+$")]
    private static partial Regex Register32();
}
