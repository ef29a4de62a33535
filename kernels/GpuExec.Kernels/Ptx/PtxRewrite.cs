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
/// of their registers and their sources have not been redefined since. It reads the PTX one line at a
/// time, as ILGPU writes it (one instruction per line): PTX with a line that holds more than one
/// instruction is left unchanged.
/// <para>
/// <see cref="MaxRegisters"/> caps the registers of every entry point (<c>.maxnreg</c>), which
/// trades spills for occupancy; <c>GPUEXEC_PTX_MAXNREG</c> asks the runtime for it.
/// </para>
/// </summary>
internal static partial class PtxRewrite
{
    /// <summary>Whether the runtime applies the pass to CUDA kernels (GPUEXEC_PTX_REWRITE=0 turns it off).</summary>
    public static bool Enabled => Environment.GetEnvironmentVariable("GPUEXEC_PTX_REWRITE") != "0";

    /// <summary>The environment variable that caps the registers of the CUDA kernels the runtime loads.</summary>
    public const string MaxRegistersVariable = "GPUEXEC_PTX_MAXNREG";

    /// <summary>The fewest and most registers <c>.maxnreg</c> may name (ptxas' range on sm_90).</summary>
    public const int MinRegisters = 16, MaxRegisterCount = 255;

    /// <summary>
    /// The register cap <see cref="MaxRegistersVariable"/> asks for, or null when it is unset, empty or 0.
    /// </summary>
    /// <exception cref="FormatException">The value is not a whole number from <see cref="MinRegisters"/> to <see cref="MaxRegisterCount"/>.</exception>
    public static int? MaxRegistersSetting()
    {
        string? text = Environment.GetEnvironmentVariable(MaxRegistersVariable);
        if (string.IsNullOrWhiteSpace(text) || text.Trim() == "0")
            return null;
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) || n < MinRegisters || n > MaxRegisterCount)
            throw new FormatException($"{MaxRegistersVariable}: '{text}' is not a register count from {MinRegisters} to {MaxRegisterCount} (or 0 for no cap)");
        return n;
    }

    /// <summary>Whether some line of <paramref name="ptx"/> holds more than one instruction or directive (text after its first ';' that is not a comment).</summary>
    public static bool HasMultiInstructionLine(string ptx)
    {
        foreach (var raw in ptx.Split('\n'))
        {
            string line = raw;
            int comment = line.IndexOf("//", StringComparison.Ordinal);
            if (comment >= 0)
                line = line[..comment];
            int semi = line.IndexOf(';');
            if (semi >= 0 && line.AsSpan(semi + 1).Trim().Length > 0)
                return true;
        }
        return false;
    }

    /// <summary>Rewrites widened unsigned products to <c>mul.wide.u32</c>; <paramref name="count"/> is how many.</summary>
    public static string WideUnsignedProducts(string ptx, out int count)
    {
        count = 0;
        if (HasMultiInstructionLine(ptx))
            return ptx;
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
    /// <paramref name="ptx"/> with <c>.maxnreg <paramref name="registers"/></c> on every entry point
    /// (between its parameter list and its body, where PTX takes performance directives), or
    /// unchanged when an entry already names a register cap or its parameter list is not closed.
    /// </summary>
    public static string MaxRegisters(string ptx, int registers, out int entries)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(registers, MinRegisters);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(registers, MaxRegisterCount);
        entries = 0;
        if (ptx.Contains(".maxnreg", StringComparison.Ordinal))
            return ptx;
        var sb = new StringBuilder(ptx.Length + 64);
        int at = 0;
        while (true)
        {
            int entry = ptx.IndexOf(".entry ", at, StringComparison.Ordinal);
            if (entry < 0)
                break;
            int open = ptx.IndexOf('(', entry);
            int close = open < 0 ? -1 : ptx.IndexOf(')', open);
            int body = close < 0 ? -1 : ptx.IndexOf('{', close);
            if (body < 0 || ptx.AsSpan(close + 1, body - close - 1).Trim().Length > 0)
            {
                entries = 0;
                return ptx;
            }
            sb.Append(ptx, at, close + 1 - at).Append("\n.maxnreg ").Append(registers.ToString(System.Globalization.CultureInfo.InvariantCulture));
            at = close + 1;
            entries++;
        }
        sb.Append(ptx, at, ptx.Length - at);
        return sb.ToString();
    }

    /// <summary>
    /// <paramref name="kernel"/> with its PTX rewritten (the same entry point and parameter layout),
    /// or the kernel itself when nothing changed or ILGPU's compiled-kernel type cannot be built.
    /// </summary>
    public static CompiledKernel Rewrite(CompiledKernel kernel, out int count) => Rewrite(kernel, true, null, out count, out _);

    /// <summary>
    /// As <see cref="Rewrite(CompiledKernel, out int)"/>: the products widened when
    /// <paramref name="wideProducts"/>, and every entry point capped at <paramref name="maxRegisters"/>
    /// when given (<paramref name="capped"/>: whether it was).
    /// </summary>
    public static CompiledKernel Rewrite(CompiledKernel kernel, bool wideProducts, int? maxRegisters, out int count, out bool capped)
    {
        count = 0;
        capped = false;
        if (kernel is not PTXCompiledKernel ptx)
            return kernel;
        string text = wideProducts ? WideUnsignedProducts(ptx.PTXAssembly, out count) : ptx.PTXAssembly;
        if (maxRegisters is int cap)
        {
            text = MaxRegisters(text, cap, out int entries);
            capped = entries > 0;
        }
        if (count == 0 && !capped)
            return kernel;
        // ILGPU 1.5.3 keeps this constructor and the entry point internal; the type is otherwise what the backend returns.
        var ctor = typeof(PTXCompiledKernel).GetConstructor(
            BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public, null,
            [typeof(ILGPU.Context), typeof(ILGPU.Backends.EntryPoints.EntryPoint), typeof(CompiledKernel.KernelInfo), typeof(string)], null);
        object? entry = typeof(CompiledKernel).GetProperty("EntryPoint", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)?.GetValue(kernel);
        if (ctor is null || entry is null)
        {
            count = 0;
            capped = false;
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
