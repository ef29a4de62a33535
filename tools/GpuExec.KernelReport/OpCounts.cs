using System.Text.Json;
using GpuExec.Kernels.Verify;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;

namespace GpuExec.KernelReport;

/// <summary>
/// Runs the host copy of the verifier (compiled here with KERNEL_OPCOUNT) over real signatures and
/// returns each operation's mean count per verification.
/// </summary>
public static class OpCounts
{
    public static IReadOnlyList<(string Op, double PerVerify)> PerVerification(string vectorsFile, int max, out int signatures, out double meanMessage)
    {
        var arena = new List<byte>();
        var jobs = new List<SignatureJob>();
        foreach (var line in File.ReadLines(vectorsFile))
        {
            if (jobs.Count >= max)
                break;
            if (string.IsNullOrWhiteSpace(line))
                continue;
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            if (!r.GetProperty("valid").GetBoolean())
                continue;
            byte[] pk = Convert.FromHexString(r.GetProperty("public_key").GetString()!);
            byte[] msg = Convert.FromHexString(r.GetProperty("message").GetString()!);
            byte[] sig = Convert.FromHexString(r.GetProperty("signature").GetString()!);
            if (pk.Length != 32 || sig.Length != 64)
                continue;
            int mo = arena.Count; arena.AddRange(msg);
            int po = arena.Count; arena.AddRange(pk);
            int so = arena.Count; arena.AddRange(sig);
            jobs.Add(new SignatureJob(mo, msg.Length, po, so));
        }
        if (jobs.Count == 0)
            throw new InvalidOperationException($"no valid signatures in {vectorsFile}");

        // ArrayViews need accelerator memory: ILGPU's CPU accelerator's is host memory, read here
        // directly by the host copy of the kernel code (no kernel is launched).
        using var context = Context.Create(b => b.CPU());
        using var acc = context.CreateCPUAccelerator(0);
        using var arenaBuf = acc.Allocate1D(arena.ToArray());
        using var baseBuf = acc.Allocate1D(Ge25519.BaseTable());
        using var kBuf = acc.Allocate1D(Sha512State.RoundConstants());
        using var scratch = acc.Allocate1D<GeCached>(Ed25519Kernels.ScratchPerItem);

        OpCounter.Reset();
        foreach (var job in jobs)
            if (!Ed25519Kernels.VerifyOne(arenaBuf.View, job, baseBuf.View, kBuf.View, scratch.View, 0))
                throw new InvalidOperationException("the counted host copy rejected a valid signature");
        signatures = jobs.Count;
        meanMessage = jobs.Average(j => (double)j.MessageLength);
        int n = jobs.Count;
        return Enum.GetValues<KernelOp>()
            .Select(op => (op.ToString(), OpCounter.Counts[(int)op] / (double)n))
            .ToList();
    }
}
