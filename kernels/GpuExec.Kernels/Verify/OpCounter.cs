using System.Diagnostics;

namespace GpuExec.Kernels.Verify;

/// <summary>The straight-line operations the kernel cost report counts and prices one by one.</summary>
internal enum KernelOp
{
    FeMul,
    FeSq,
    FeSq2,
    FeAdd,
    FeSub,
    FeNeg,
    FeCarry,
    FeFromBytes,
    FeToBytes,
    Sha512WordLoad,
    Sha512WordBytes,
    Sha512Rounds16,
    Sha512Expand,
    ScalarReduce,
    LoadCached,
    StoreCached,
    LoadPrecomp,
    WnafRecodeStep,
    WnafDigit,
}

/// <summary>
/// Operation counts for the kernel cost report. The calls exist only where the kernel sources are
/// compiled with <c>KERNEL_OPCOUNT</c> (the report's host copy): everywhere else, the GPU code
/// included, the compiler drops them, so they cost nothing and ILGPU never sees the counters.
/// </summary>
internal static class OpCounter
{
#if KERNEL_OPCOUNT
    /// <summary>Counts per <see cref="KernelOp"/> since the last <see cref="Reset"/>.</summary>
    public static readonly long[] Counts = new long[Enum.GetValues<KernelOp>().Length];

    public static void Reset() => Array.Clear(Counts);
#endif

    [Conditional("KERNEL_OPCOUNT")]
    public static void Hit(KernelOp op)
    {
#if KERNEL_OPCOUNT
        Counts[(int)op]++;
#endif
    }
}
