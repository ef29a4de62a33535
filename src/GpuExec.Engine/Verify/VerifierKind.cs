using System.Runtime.Intrinsics.X86;

namespace GpuExec.Engine.Verify;

/// <summary>Which signature verifier the <c>cpu</c> device uses. Every choice gives libsodium's verdict; they differ in speed.</summary>
public enum VerifierKind
{
    /// <summary>The fastest present: <see cref="Simd"/> with AVX-512F or AVX2, else <see cref="Libsodium"/>.</summary>
    Auto,
    /// <summary><see cref="SimdSignatureVerifier"/>: 8 (AVX-512F) or 4 (AVX2) signatures per core at once.</summary>
    Simd,
    /// <summary><see cref="CpuSignatureVerifier"/>: libsodium, one signature at a time per core.</summary>
    Libsodium,
}

/// <summary>Resolves a <see cref="VerifierKind"/> on this machine and builds the verifier.</summary>
public static class VerifierSelection
{
    /// <summary>The names <c>--verifier</c> accepts, in <see cref="VerifierKind"/> order.</summary>
    public static readonly string[] Names = ["auto", "simd", "libsodium"];

    /// <summary>The name <c>--verifier</c> uses for <paramref name="kind"/>.</summary>
    public static string ToName(this VerifierKind kind) => Names[(int)kind];

    /// <summary>The kind for a name of <see cref="Names"/> (case-insensitive).</summary>
    public static VerifierKind Parse(string name)
    {
        int i = Array.FindIndex(Names, n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));
        if (i < 0) throw new ArgumentException($"unknown verifier '{name}' (expected {string.Join(", ", Names)})", nameof(name));
        return (VerifierKind)i;
    }

    /// <summary>What <paramref name="requested"/> becomes here (never <see cref="VerifierKind.Auto"/>), with the reason in words.</summary>
    public static (VerifierKind Kind, string Reason) Resolve(VerifierKind requested)
    {
        int lanes = SimdSignatureVerifier.BestLanes;
        string isa = lanes switch
        {
            8 => "AVX-512F: 8 signatures per core at once",
            4 => Avx512F.IsSupported ? "AVX2: 4 signatures per core at once" : "AVX2 (no AVX-512F): 4 signatures per core at once",
            _ => "neither AVX-512F nor AVX2",
        };
        return requested switch
        {
            VerifierKind.Libsodium => (VerifierKind.Libsodium, "requested"),
            VerifierKind.Simd when lanes > 1 => (VerifierKind.Simd, $"requested; {isa}"),
            VerifierKind.Simd => (VerifierKind.Libsodium, $"simd requested, but this CPU has {isa}"),
            _ when lanes > 1 => (VerifierKind.Simd, $"auto: {isa}"),
            _ => (VerifierKind.Libsodium, $"auto: {isa}"),
        };
    }

    /// <summary>The verifier <paramref name="requested"/> resolves to, on <paramref name="threads"/> threads.</summary>
    /// <param name="keyTables">Keys whose tables the SIMD verifier keeps (<see cref="GpuExecOptions.KeyTables"/>).</param>
    internal static ISignatureVerifier Create(VerifierKind requested, int threads, out VerifierKind kind, out string reason,
        int keyTables = SimdSignatureVerifier.DefaultKeyTables)
    {
        (kind, reason) = Resolve(requested);
        return kind == VerifierKind.Simd ? new SimdSignatureVerifier(threads, keyTables: keyTables) : new CpuSignatureVerifier(threads);
    }
}
