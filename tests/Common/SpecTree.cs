using System.Security.Cryptography;

namespace GpuExec.Testing;

/// <summary>
/// SPEC section 6's state tree and proof check, written from its text and nothing else: byte
/// arrays, one SHA-256 call per node, recursion as the SPEC states it. Slow on purpose; the
/// oracle the library's tree and verifier are compared with.
/// </summary>
internal static class SpecTree
{
    private static readonly byte[] Zero = new byte[32];

    /// <summary>Bit i of a key: <c>(k[i / 8] >> (7 - i % 8)) &amp; 1</c>.</summary>
    public static int Bit(byte[] k, int i) => (k[i / 8] >> (7 - i % 8)) & 1;

    /// <summary>The key of an account (<c>H(0x01 || address)</c>) or a pool (<c>H(0x02 || id big-endian)</c>): H of the first 33 or 5 bytes of its leaf data.</summary>
    public static byte[] KeyOf(byte[] leafData) => SHA256.HashData(leafData.AsSpan(0, leafData[0] == 1 ? 33 : 5));

    /// <summary>The root of a set of leaves (key, leaf data): the hash of all leaves at d = 0.</summary>
    public static byte[] Root(IReadOnlyList<(byte[] Key, byte[] Data)> leaves) => Hash([.. leaves], 0);

    /// <summary>The root of leaves given by key and value hash.</summary>
    public static byte[] RootOfValueHashes(IReadOnlyList<(byte[] Key, byte[] ValueHash)> leaves) => HashVh([.. leaves], 0);

    private static byte[] Hash(List<(byte[] Key, byte[] Data)> s, int d) =>
        HashVh(s.Select(l => (l.Key, SHA256.HashData(l.Data))).ToList(), d);

    private static byte[] HashVh(List<(byte[] Key, byte[] ValueHash)> s, int d)
    {
        if (s.Count == 0) return Zero;
        if (s.Count == 1) return SHA256.HashData([0, .. s[0].Key, .. s[0].ValueHash]);
        var s0 = s.Where(l => Bit(l.Key, d) == 0).ToList();
        var s1 = s.Where(l => Bit(l.Key, d) == 1).ToList();
        return SHA256.HashData([1, .. HashVh(s0, d + 1), .. HashVh(s1, d + 1)]);
    }

    /// <summary>
    /// The SPEC's verification: h from the leaf (or ZERO), folded with the siblings from the last up;
    /// h must equal the root; then inclusion, exclusion, or invalid. Returns "inclusion",
    /// "exclusion" or "invalid".
    /// </summary>
    public static string Verify(byte[] root, byte[] key, (byte[] Key, byte[] ValueHash)? leaf, IReadOnlyList<byte[]> siblings, byte[]? data)
    {
        if (siblings.Count > 256) return "invalid";
        byte[] h = leaf is { } l ? SHA256.HashData([0, .. l.Key, .. l.ValueHash]) : Zero;
        for (int i = siblings.Count - 1; i >= 0; i--)
            h = Bit(key, i) == 1 ? SHA256.HashData([1, .. siblings[i], .. h]) : SHA256.HashData([1, .. h, .. siblings[i]]);
        if (!h.AsSpan().SequenceEqual(root)) return "invalid";
        if (leaf is { } x && x.Key.AsSpan().SequenceEqual(key))
            return data is null || SHA256.HashData(data).AsSpan().SequenceEqual(x.ValueHash) ? "inclusion" : "invalid";
        if (data is not null) return "invalid";
        if (leaf is null) return "exclusion";
        for (int i = 0; i < siblings.Count; i++)
            if (Bit(leaf.Value.Key, i) != Bit(key, i)) return "invalid";
        return "exclusion";
    }
}
