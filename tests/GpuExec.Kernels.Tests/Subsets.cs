namespace GpuExec.Kernels.Tests;

public static class Subsets
{
    /// <summary>
    /// A deterministic subset of the shared vectors for the slow CPU emulator: every vector
    /// libsodium accepts, one rejected vector per distinct (source, key, R-flags) signature of
    /// rejection reason, and every 10th of the rest.
    /// </summary>
    public static IReadOnlyList<SigVector> EmulatorSubset(IReadOnlyList<SigVector> all)
    {
        var picked = new List<SigVector>();
        var seen = new HashSet<string>();
        for (int i = 0; i < all.Count; i++)
        {
            var v = all[i];
            string flag = Flag(v);
            if (v.Valid || seen.Add(v.Source + "|" + flag) || i % 10 == 0)
                picked.Add(v);
        }
        return picked;
    }

    /// <summary>Which libsodium check a vector reaches (a rough class of the edge case it exercises).</summary>
    public static string Flag(SigVector v)
    {
        if (v.PublicKey.Length != 32 || v.Signature.Length != 64) return "length";
        if ((v.Signature[63] & 0xF0) != 0) return "s-high";
        if (Adversarial.IsSmallOrderEncoding(v.Signature.AsSpan(0, 32))) return "r-small";
        if (!Adversarial.IsCanonicalY(v.PublicKey)) return "a-noncanonical";
        if (Adversarial.IsSmallOrderEncoding(v.PublicKey)) return "a-small";
        if (!Adversarial.IsCanonicalY(v.Signature.AsSpan(0, 32))) return "r-noncanonical";
        return v.Valid ? "valid" : "other";
    }
}
