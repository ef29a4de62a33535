extern alias gpu;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Catalog = gpu::GpuExec.Kernels.Offline.KernelCatalog;
using KernelBackend = gpu::GpuExec.Kernels.Offline.KernelBackend;
using PtxRewrite = gpu::GpuExec.Kernels.Ptx.PtxRewrite;

namespace GpuExec.KernelReport;

/// <summary>
/// Compiles every kernel with ILGPU's PTX (sm_90) and OpenCL backends without a device, assembles
/// the PTX with ptxas, and estimates the SASS cost of one Ed25519 verification from operation
/// counts times per-operation SASS. Every figure is a static instruction count or an estimate of
/// cost derived from one, never a time.
/// </summary>
public static partial class Program
{
    private const string Note =
        "Estimates of cost, not times: static SASS instruction counts from ptxas 11.8 -arch=sm_90 -O3 " +
        "for the PTX ILGPU 1.5.3 writes; per-verification figures are counted operations times per-operation SASS.";

    public static int Main(string[] args)
    {
        string? json = null, ptxasDir = null, vectors = null;
        string work = Path.Combine(Path.GetTempPath(), "gpuexec-kernel-report");
        int count = 64;
        int maxnreg = 168;
        for (int a = 0; a < args.Length; a++)
        {
            string Next() => a + 1 < args.Length ? args[++a] : throw new ArgumentException($"{args[a]} needs a value");
            switch (args[a])
            {
                case "--json": json = Next(); break;
                case "--ptxas-dir": ptxasDir = Next(); break;
                case "--work": work = Next(); break;
                case "--vectors": vectors = Next(); break;
                case "--count": count = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--maxnreg":
                    maxnreg = int.Parse(Next(), CultureInfo.InvariantCulture);
                    if (maxnreg < PtxRewrite.MinRegisters || maxnreg > PtxRewrite.MaxRegisterCount)
                    {
                        Console.Error.WriteLine($"GpuExec.KernelReport: --maxnreg: {maxnreg} is not a register count from {PtxRewrite.MinRegisters} to {PtxRewrite.MaxRegisterCount}");
                        return 2;
                    }
                    break;
                default:
                    Console.Error.WriteLine("usage: GpuExec.KernelReport --json FILE [--ptxas-dir DIR] [--work DIR] [--vectors FILE.jsonl] [--count N] [--maxnreg N]");
                    return 2;
            }
        }
        Directory.CreateDirectory(work);
        var ptxas = ptxasDir is null ? null : new Ptxas(ptxasDir);
        var report = new JsonObject { ["note"] = Note };
        if (ptxas is not null)
            report["ptxas"] = ptxas.Version();

        // Every kernel entry point, both backends.
        var kernels = new JsonArray();
        using (var context = Catalog.CreateContext())
        {
            foreach (var backend in new[] { KernelBackend.Ptx, KernelBackend.OpenCl })
            {
                using var be = Catalog.CreateBackend(context, backend);
                foreach (var m in Catalog.EntryPoints())
                    kernels.Add(CompileAndMeasure(be, backend, m, Catalog.Name(m), work, ptxas, maxnreg));
            }
        }
        report["kernels"] = kernels;

        if (ptxas is not null)
        {
            // Per-operation SASS from the micro kernels, for the PTX as ILGPU writes it and as the
            // runtime loads it on CUDA (after PtxRewrite).
            var counts = OpCounts.PerVerification(vectors ?? DefaultVectors(), count, out int sigs, out double meanLen);
            var estimates = new Dictionary<bool, JsonObject>();
            foreach (bool rewrite in new[] { true, false })
            {
                var prices = new Dictionary<string, (long Sass, long Slots)>();
                var micro = new JsonArray();
                using (var context = Catalog.CreateContext())
                using (var be = Catalog.CreateBackend(context, KernelBackend.Ptx))
                {
                    var cache = new Dictionary<string, Measured>();
                    Measured Get(string name)
                    {
                        if (!cache.TryGetValue(name, out var r))
                        {
                            var mi = typeof(MicroKernels).GetMethod(name, BindingFlags.Public | BindingFlags.Static)!;
                            string ptx = Catalog.Compile(be, mi);
                            if (rewrite)
                                ptx = PtxRewrite.WideUnsignedProducts(ptx, out _);
                            cache[name] = r = ptxas.Assemble(ptx, Path.Combine(work, (rewrite ? "micro-rw." : "micro.") + name));
                        }
                        return r;
                    }
                    foreach (var (op, one, two) in MicroKernels.Pairs)
                    {
                        var m1 = Get(one);
                        var m2 = Get(two);
                        long sass = Math.Max(0, m2.Sass - m1.Sass), slots = Math.Max(0, m2.IssueSlots - m1.IssueSlots);
                        prices[op] = (sass, slots);
                        micro.Add(new JsonObject
                        {
                            ["op"] = op, ["sass"] = sass, ["issue_slots"] = slots,
                            ["kernels"] = $"{two} ({m2.Sass}) - {one} ({m1.Sass})",
                        });
                    }
                }
                double totalSass = 0, totalSlots = 0;
                var ops = new JsonArray();
                foreach (var (op, perVerify) in counts)
                {
                    var (sass, slots) = prices[op];
                    totalSass += perVerify * sass;
                    totalSlots += perVerify * slots;
                    ops.Add(new JsonObject
                    {
                        ["op"] = op, ["count_per_verify"] = Math.Round(perVerify, 2),
                        ["sass_each"] = sass, ["issue_slots_each"] = slots,
                        ["sass_per_verify"] = Math.Round(perVerify * sass),
                        ["issue_slots_per_verify"] = Math.Round(perVerify * slots),
                    });
                }
                estimates[rewrite] = new JsonObject
                {
                    ["sass_per_verify"] = Math.Round(totalSass),
                    ["issue_slots_per_verify"] = Math.Round(totalSlots),
                    ["ops"] = ops,
                    ["micro_kernels"] = micro,
                };
            }
            var e = estimates[true];
            var raw = estimates[false];
            report["ed25519"] = new JsonObject
            {
                ["sass_per_verify"] = e["sass_per_verify"]!.DeepClone(),
                ["issue_slots_per_verify"] = e["issue_slots_per_verify"]!.DeepClone(),
                ["method"] = "estimate of cost, not a time: operation counts from the kernel's C# run on the host " +
                    $"(compiled with KERNEL_OPCOUNT) over {sigs} valid signatures of the shared libsodium vectors " +
                    $"(mean message {meanLen:F0} bytes), times each operation's SASS (micro-kernel pairs compiled like the " +
                    "kernels, with the runtime's PTX rewrite, ptxas 11.8 -arch=sm_90 -O3); issue slots count IMAD.WIDE* as 2; " +
                    "loop control, point selects and the early checks outside the counted operations are not included",
                ["signatures"] = sigs,
                ["without_ptx_rewrite"] = new JsonObject
                {
                    ["sass_per_verify"] = raw["sass_per_verify"]!.DeepClone(),
                    ["issue_slots_per_verify"] = raw["issue_slots_per_verify"]!.DeepClone(),
                },
                ["ops"] = e["ops"]!.DeepClone(),
                ["micro_kernels"] = e["micro_kernels"]!.DeepClone(),
                ["ops_without_ptx_rewrite"] = raw["ops"]!.DeepClone(),
            };
        }

        string text = report.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        if (json is null)
            Console.WriteLine(text);
        else
            File.WriteAllText(json, text + "\n");
        PrintSummary(report);
        return kernels.Any(k => !(bool)k!["compiled"]!) ? 1 : 0;
    }

    private static string DefaultVectors()
    {
        // The repository's sibling shared folder, found from the working directory upwards.
        for (var d = new DirectoryInfo(Environment.CurrentDirectory); d is not null; d = d.Parent)
        {
            string p = Path.Combine(d.FullName, "shared", "vectors", "ed25519-libsodium-verdicts.jsonl");
            if (File.Exists(p))
                return p;
        }
        throw new FileNotFoundException("ed25519-libsodium-verdicts.jsonl not found: pass --vectors");
    }

    /// <summary>
    /// Warps one sm_90 multiprocessor holds by registers alone: each of its four partitions has
    /// 16,384 32-bit registers, a warp takes its thread count (32) times its registers rounded up
    /// to a multiple of 8, and at most 16 warps run on a partition. Shared memory and the group
    /// size can lower it further.
    /// </summary>
    internal static int WarpsPerSm(int registers)
    {
        if (registers <= 0)
            return 64;
        int perWarp = (registers + 7) / 8 * 8 * 32;
        return 4 * Math.Min(16, 16384 / perWarp);
    }

    private static JsonObject CompileAndMeasure(ILGPU.Backends.Backend be, KernelBackend backend, MethodInfo m, string name, string work, Ptxas? ptxas, int maxnreg)
    {
        var o = new JsonObject { ["name"] = name, ["backend"] = backend == KernelBackend.Ptx ? "ptx-sm_90" : "opencl-c" };
        string file = Path.Combine(work, name + (backend == KernelBackend.Ptx ? ".ptx" : ".cl"));
        string source;
        try
        {
            var sw = Stopwatch.StartNew();
            source = Catalog.Compile(be, m);
            File.WriteAllText(file, source);
            o["compiled"] = true;
            o["ilgpu_compile_s"] = Math.Round(sw.Elapsed.TotalSeconds, 2);
        }
        catch (Exception ex)
        {
            o["compiled"] = false;
            o["error"] = ex.GetType().Name + ": " + ex.Message;
            return o;
        }
        if (backend == KernelBackend.Ptx && ptxas is not null)
        {
            // As the runtime loads it on CUDA (PtxRewrite), and as ILGPU writes it.
            string rewritten = PtxRewrite.WideUnsignedProducts(source, out int widened);
            var r = ptxas.Assemble(rewritten, Path.Combine(work, name + ".rw"));
            o["registers"] = r.Registers;
            o["spill_bytes"] = r.SpillBytes;
            o["stack_bytes"] = r.StackBytes;
            o["sass_instructions"] = r.Sass;
            o["issue_slots"] = r.IssueSlots;
            o["ptxas_s"] = Math.Round(r.Seconds, 1);
            o["local_memory_instructions"] = r.LocalMemoryInstructions;
            o["warps_per_sm"] = WarpsPerSm(r.Registers);
            o["ptx_rewrite_mul_wide"] = widened;
            if (r.Registers > maxnreg)
            {
                // What the runtime loads with GPUEXEC_PTX_MAXNREG: fewer registers, more warps per
                // multiprocessor, paid for in spills. Which is faster only the device can say
                // (bench/gpu/run-all.sh runs verify both ways).
                var c = ptxas.Assemble(PtxRewrite.MaxRegisters(rewritten, maxnreg, out _), Path.Combine(work, name + $".rw.maxnreg{maxnreg}"));
                o["register_cap"] = new JsonObject
                {
                    ["maxnreg"] = maxnreg,
                    ["registers"] = c.Registers,
                    ["spill_bytes"] = c.SpillBytes,
                    ["stack_bytes"] = c.StackBytes,
                    ["sass_instructions"] = c.Sass,
                    ["issue_slots"] = c.IssueSlots,
                    ["local_memory_instructions"] = c.LocalMemoryInstructions,
                    ["warps_per_sm"] = WarpsPerSm(c.Registers),
                    ["sass_change_percent"] = r.Sass == 0 ? null : Math.Round(100.0 * (c.Sass - r.Sass) / r.Sass, 2),
                    ["environment"] = $"{PtxRewrite.MaxRegistersVariable}={maxnreg}",
                };
            }
            var u = ptxas.Assemble(source, Path.Combine(work, name));
            o["without_ptx_rewrite"] = new JsonObject
            {
                ["registers"] = u.Registers, ["spill_bytes"] = u.SpillBytes, ["sass_instructions"] = u.Sass, ["issue_slots"] = u.IssueSlots,
            };
        }
        else
        {
            o["registers"] = null;
            o["spill_bytes"] = null;
            o["sass_instructions"] = null;
        }
        return o;
    }

    private static void PrintSummary(JsonObject report)
    {
        Console.Error.WriteLine("kernel                          backend    regs  spill  warps/SM  SASS (static count, not a time)");
        foreach (var k in report["kernels"]!.AsArray())
        {
            Console.Error.WriteLine($"{k!["name"],-31} {k["backend"],-10} {k["registers"]?.ToString() ?? "-",4} {k["spill_bytes"]?.ToString() ?? "-",6}  {k["warps_per_sm"]?.ToString() ?? "-",8}  {k["sass_instructions"]?.ToString() ?? (((bool)k["compiled"]!) ? "compiled" : "FAILED")}");
            if (k["register_cap"] is JsonObject c)
                Console.Error.WriteLine($"  {"with " + c["environment"],-40} {c["registers"],4} {c["spill_bytes"],6}  {c["warps_per_sm"],8}  {c["sass_instructions"]} ({c["sass_change_percent"]}%), {c["local_memory_instructions"]} local-memory instructions");
        }
        if (report["ed25519"] is JsonObject e)
            Console.Error.WriteLine($"Ed25519 estimate of cost (not a time): {e["sass_per_verify"]} SASS instructions, {e["issue_slots_per_verify"]} issue slots per verification " +
                $"(without the PTX rewrite: {e["without_ptx_rewrite"]!["sass_per_verify"]}, {e["without_ptx_rewrite"]!["issue_slots_per_verify"]})");
    }
}

/// <summary>What ptxas and cuobjdump say of one PTX module.</summary>
public sealed record Measured(int Registers, int SpillBytes, int StackBytes, long Sass, long IssueSlots, double Seconds, long LocalMemoryInstructions);

/// <summary>NVIDIA's ptxas and cuobjdump from a folder (see ../shared/gpu/fetch-ptxas.sh).</summary>
public sealed partial class Ptxas(string dir)
{
    public string Version() => Run(Path.Combine(dir, "ptxas"), "--version").Trim().Split('\n').Last().Trim();

    public Measured Assemble(string ptx, string basePath)
    {
        // ptxas 11.8 accepts PTX ISA up to 7.8; ILGPU 1.5.3 writes 8.x though it uses nothing newer.
        string text = VersionLine().Replace(ptx, ".version 7.8", 1);
        File.WriteAllText(basePath + ".78.ptx", text);
        var sw = Stopwatch.StartNew();
        string log = Run(Path.Combine(dir, "ptxas"), $"-arch=sm_90 -O3 -v \"{basePath}.78.ptx\" -o \"{basePath}.cubin\"");
        double seconds = sw.Elapsed.TotalSeconds;
        File.WriteAllText(basePath + ".ptxas.txt", log);
        int regs = RegistersRe().Matches(log).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();
        int spill = SpillRe().Matches(log).Sum(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        int stack = StackRe().Matches(log).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();
        string sass = Run(Path.Combine(dir, "cuobjdump"), $"-sass \"{basePath}.cubin\"");
        File.WriteAllText(basePath + ".sass", sass);
        long n = 0, slots = 0, local = 0;
        foreach (Match m in InstructionRe().Matches(sass))
        {
            string op = m.Groups[1].Value;
            if (op == "NOP")
                continue;
            n++;
            slots += op.StartsWith("IMAD.WIDE", StringComparison.Ordinal) ? 2 : 1;
            if (op.StartsWith("STL", StringComparison.Ordinal) || op.StartsWith("LDL", StringComparison.Ordinal))
                local++;
        }
        return new Measured(regs, spill, stack, n, slots, seconds, local);
    }

    private static string Run(string exe, string args)
    {
        var psi = new ProcessStartInfo(exe, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        string all = output + err.Result;
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(exe)} {args} failed ({p.ExitCode}): {all}");
        return all;
    }

    [GeneratedRegex(@"^\.version .*$", RegexOptions.Multiline)]
    private static partial Regex VersionLine();

    [GeneratedRegex(@"Used (\d+) registers")]
    private static partial Regex RegistersRe();

    [GeneratedRegex(@"(\d+) bytes spill stores")]
    private static partial Regex SpillRe();

    [GeneratedRegex(@"(\d+) bytes stack frame")]
    private static partial Regex StackRe();

    // "        /*0070*/                   IMAD.WIDE.U32 R2, R3, R4, RZ ;" ; an optional predicate precedes the opcode.
    [GeneratedRegex(@"^\s+/\*[0-9a-f]{4,}\*/\s+(?:@!?U?P[0-9T]\s+)?([A-Z][A-Z0-9_.]*)[^;\n]*;", RegexOptions.Multiline)]
    private static partial Regex InstructionRe();
}
