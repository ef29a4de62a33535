using System.Runtime.InteropServices;
using GpuExec.Engine.Verify;
using GpuExec.Kernels.Tests;

namespace GpuExec.Engine.Tests.Verify;

/// <summary>
/// Verifications per CPU-second on one thread, libsodium against each SIMD width, interleaved
/// round by round. Thread CPU time, unlike wall time, does not count the time other processes hold
/// the core, so the ratio stays readable on a shared machine. Explicit (not part of the suite):
/// <c>tests/GpuExec.Engine.Tests/bin/Release/net10.0/GpuExec.Engine.Tests -explicit only -method "*CpuTimeProbe*" -diagnostics</c>.
/// </summary>
public static partial class VerifierCpuTimeProbe
{
    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Sec, Nsec;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGettime(int clock, out Timespec t);

    private static double ThreadCpuSeconds()
    {
        ClockGettime(3 /* CLOCK_THREAD_CPUTIME_ID */, out var t);
        return t.Sec + t.Nsec * 1e-9;
    }

    public sealed class Probe
    {
        [Fact(Explicit = true)]
        public void Verifications_per_cpu_second()
        {
            var r = new Random(3);
            var cases = new List<SigVector>();
            // 256 signers, 16 signatures each, interleaved.
            var signers = Enumerable.Range(0, 256).Select(i => new GpuExec.Generation.Signer((ulong)i + 1)).ToArray();
            var to = new GpuExec.Generation.Signer(1000).Address;
            for (int i = 0; i < 4096; i++)
            {
                var rec = signers[i % signers.Length].Transfer(1, (ulong)(i / signers.Length), 1, to, 0, (ulong)i);
                cases.Add(new SigVector("bench", $"{i}", rec.AsSpan(6, 32).ToArray(), rec[..^64], rec[^64..], true));
            }
            var (arena, jobs) = Vectors.Pack(cases);
            var valid = new bool[jobs.Length];
            var verifiers = new List<(string Name, ISignatureVerifier V)> { ("libsodium", new CpuSignatureVerifier(1)) };
            // Without key tables; meeting every signer anew in each call (tables dropped before it); with every table held.
            foreach (int w in new[] { 8, 4 })
            {
                if (!SimdSignatureVerifier.IsSupported(w)) continue;
                verifiers.Add(($"simd{w}-plain", new SimdSignatureVerifier(1, w, keyTables: 0)));
                verifiers.Add(($"simd{w}-new-keys", new SimdSignatureVerifier(1, w)));
                verifiers.Add(($"simd{w}-known-keys", new SimdSignatureVerifier(1, w)));
            }
            var best = verifiers.ToDictionary(v => v.Name, _ => double.MaxValue);
            var total = verifiers.ToDictionary(v => v.Name, _ => 0.0);
            var wall = verifiers.ToDictionary(v => v.Name, _ => 0.0);
            const int rounds = 12;
            for (int round = 0; round < rounds + 2; round++)
            {
                foreach (var (name, v) in verifiers)
                {
                    if (name.EndsWith("-new-keys", StringComparison.Ordinal)) ((SimdSignatureVerifier)v).ForgetKeyTables();
                    double t0 = ThreadCpuSeconds();
                    long w0 = System.Diagnostics.Stopwatch.GetTimestamp();
                    v.Verify(arena, jobs, valid);
                    double us = (ThreadCpuSeconds() - t0) * 1e6 / jobs.Length;
                    double wus = System.Diagnostics.Stopwatch.GetElapsedTime(w0).TotalMicroseconds / jobs.Length;
                    Assert.All(valid, Assert.True);
                    if (round < 2) continue; // warm-up (tiering)
                    best[name] = Math.Min(best[name], us);
                    total[name] += us;
                    wall[name] += wus;
                }
            }
            foreach (var (name, _) in verifiers)
            {
                double mean = total[name] / rounds;
                TestContext.Current.SendDiagnosticMessage(
                    $"{name}: {mean:F2} us CPU per verification (best {best[name]:F2}), {1e6 / mean:N0}/s per core, " +
                    $"{total["libsodium"] / total[name]:F2}x libsodium (best {best["libsodium"] / best[name]:F2}x); wall {wall[name] / rounds:F2} us");
            }
        }
    }
}
