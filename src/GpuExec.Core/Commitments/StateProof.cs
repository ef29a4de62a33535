using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GpuExec.Model;
using GpuExec.Wire;

namespace GpuExec.Commitments;

/// <summary>The leaf a proof's path ends at: its key and the hash of its leaf data.</summary>
/// <param name="Key">The leaf's key.</param>
/// <param name="ValueHash"><c>H(leaf data)</c>.</param>
public readonly record struct ProofLeaf(TreeKey Key, Hash32 ValueHash);

/// <summary>What <see cref="StateProof.Verify"/> found.</summary>
/// <param name="Valid">The proof holds under the root it was checked against.</param>
/// <param name="Inclusion">Valid and the key is present (false: valid and absent, or invalid).</param>
/// <param name="Reason">Why an invalid proof is invalid; empty for a valid one.</param>
public readonly record struct ProofVerdict(bool Valid, bool Inclusion, string Reason)
{
    internal static ProofVerdict Invalid(string why) => new(false, false, why);
}

/// <summary>
/// A proof of SPEC section 6 that a key is present in the state tree (inclusion) or absent from
/// it (exclusion) under a root: the siblings on the key's path from the root down, and the leaf
/// where the path ends (null: an empty subtree). <see cref="Verify"/> follows the SPEC's algorithm
/// step by step; a light client checks against a root it trusts (a block header's), not the
/// proof's own. Read and written as the SPEC's JSON object.
/// </summary>
public sealed class StateProof
{
    /// <summary>The most siblings a path can have: one per key bit.</summary>
    public const int MaxSiblings = 256;

    private readonly Hash32[] _siblings;
    private readonly byte[]? _data;

    /// <summary>A proof as the SPEC's fields give it; nothing is checked until <see cref="Verify"/>.</summary>
    public StateProof(Hash32 root, ulong height, TreeKey key, ProofLeaf? leaf, IReadOnlyList<Hash32> siblings, ReadOnlySpan<byte> data = default, bool hasData = false)
    {
        ArgumentNullException.ThrowIfNull(siblings);
        Root = root;
        Height = height;
        Key = key;
        Leaf = leaf;
        _siblings = [.. siblings];
        _data = hasData || !data.IsEmpty ? data.ToArray() : null;
    }

    /// <summary>The root the proof was made from (the state after the block at <see cref="Height"/>).</summary>
    public Hash32 Root { get; }
    /// <summary>The height whose state the proof was made from.</summary>
    public ulong Height { get; }
    /// <summary>The key whose presence or absence is proved.</summary>
    public TreeKey Key { get; }
    /// <summary>The leaf where the key's path ends; null where it ends in an empty subtree.</summary>
    public ProofLeaf? Leaf { get; }
    /// <summary><c>Siblings[i]</c>: the hash of the other child at depth i + 1 on the key's path.</summary>
    public IReadOnlyList<Hash32> Siblings => _siblings;
    /// <summary>The leaf data of an inclusion (SPEC section 6), or null.</summary>
    public ReadOnlyMemory<byte>? Data => _data is null ? (ReadOnlyMemory<byte>?)null : _data;

    /// <summary>
    /// Checks the proof by SPEC section 6's algorithm against <paramref name="trustedRoot"/>, or the
    /// proof's own root when none is given. When the data names an account or pool, its key must be
    /// the proof's key (a proof about one account that decodes as another is refused).
    /// </summary>
    public ProofVerdict Verify(Hash32? trustedRoot = null)
    {
        var root = trustedRoot ?? Root;
        if (_siblings.Length > MaxSiblings) return ProofVerdict.Invalid($"{_siblings.Length} siblings; a path has at most {MaxSiblings}");
        Span<byte> m = stackalloc byte[65];
        Span<byte> h = stackalloc byte[32];
        if (Leaf is { } leaf)
        {
            m[0] = 0;
            leaf.Key.WriteTo(m[1..]);
            leaf.ValueHash.WriteTo(m[33..]);
            SHA256.HashData(m, h);
        }
        else h.Clear();
        m[0] = 1;
        for (int i = _siblings.Length - 1; i >= 0; i--)
        {
            if (Key.Bit(i) == 1)
            {
                _siblings[i].WriteTo(m[1..]);
                h.CopyTo(m[33..]);
            }
            else
            {
                h.CopyTo(m[1..]);
                _siblings[i].WriteTo(m[33..]);
            }
            SHA256.HashData(m, h);
        }
        if (new Hash32(h) != root)
            return ProofVerdict.Invalid($"the path hashes to {Convert.ToHexStringLower(h)}, not to the root {root}");
        if (Leaf is { } l && l.Key == Key)
        {
            if (_data is null) return new ProofVerdict(true, true, "");
            Span<byte> dh = stackalloc byte[32];
            SHA256.HashData(_data, dh);
            if (new Hash32(dh) != l.ValueHash) return ProofVerdict.Invalid($"data hashes to {Convert.ToHexStringLower(dh)}, not to the leaf's value_hash {l.ValueHash}");
            if (DataKey(_data) is not { } k) return ProofVerdict.Invalid("data is neither an account's nor a pool's leaf data (SPEC section 6)");
            if (k != Key) return ProofVerdict.Invalid($"data is the leaf data of key {k}, not of the proof's key {Key}");
            return new ProofVerdict(true, true, "");
        }
        if (_data is not null) return ProofVerdict.Invalid("data is given, but the proof is not an inclusion (its leaf's key is not the proof's key)");
        if (Leaf is { } other && other.Key.CommonPrefix(Key) < _siblings.Length)
            return ProofVerdict.Invalid($"the leaf {other.Key} does not share the first {_siblings.Length} bits of the key, so the path does not end at it");
        return new ProofVerdict(true, false, "");
    }

    /// <summary>The key the leaf data names: <c>H</c> of its first 33 bytes (an account) or 5 (a pool); null for other data.</summary>
    private static TreeKey? DataKey(ReadOnlySpan<byte> data)
    {
        if (data.Length >= 1 + 32 + 12 && data[0] == 1) return TreeKey.ForAccount(new Address(data[1..33]));
        if (data.Length == LeafEncoding.PoolLeafSize && data[0] == 2) return TreeKey.ForPool(BinaryPrimitives.ReadUInt32BigEndian(data[1..]));
        return null;
    }

    /// <summary>
    /// One line describing the leaf data: the account (address, nonce, non-zero balances) or the pool;
    /// null when the proof carries no data or the data does not decode.
    /// </summary>
    public string? DescribeData()
    {
        if (_data is not { } d) return null;
        if (d.Length >= 45 && d[0] == 1)
        {
            uint n = BinaryPrimitives.ReadUInt32LittleEndian(d.AsSpan(41));
            if (d.Length != 45 + 12L * n) return null;
            var sb = new StringBuilder().Append(CultureInfo.InvariantCulture, $"account {Convert.ToHexStringLower(d.AsSpan(1, 32))} nonce {BinaryPrimitives.ReadUInt64LittleEndian(d.AsSpan(33))} balances {{");
            for (int i = 0; i < n; i++)
            {
                if (i > 0) sb.Append(", ");
                sb.Append(CultureInfo.InvariantCulture, $"{BinaryPrimitives.ReadUInt32LittleEndian(d.AsSpan(45 + 12 * i))}: {BinaryPrimitives.ReadUInt64LittleEndian(d.AsSpan(49 + 12 * i))}");
            }
            return sb.Append('}').ToString();
        }
        if (d.Length == LeafEncoding.PoolLeafSize && d[0] == 2)
        {
            var s = d.AsSpan();
            return string.Create(CultureInfo.InvariantCulture,
                $"pool {BinaryPrimitives.ReadUInt32BigEndian(s[1..])} token_a {BinaryPrimitives.ReadUInt32LittleEndian(s[5..])} token_b {BinaryPrimitives.ReadUInt32LittleEndian(s[9..])} reserve_a {BinaryPrimitives.ReadUInt64LittleEndian(s[13..])} reserve_b {BinaryPrimitives.ReadUInt64LittleEndian(s[21..])} fee_bps {BinaryPrimitives.ReadUInt16LittleEndian(s[29..])}");
        }
        return null;
    }

    /// <summary>Writes the SPEC's JSON object (one-space indentation, as dumps).</summary>
    public void WriteJson(Stream output)
    {
        ArgumentNullException.ThrowIfNull(output);
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true, IndentSize = 1 });
        w.WriteStartObject();
        w.WriteString("root", Root.ToHex());
        w.WriteNumber("height", Height);
        w.WriteString("key", Key.ToHex());
        if (Leaf is { } leaf)
        {
            w.WriteStartObject("leaf");
            w.WriteString("key", leaf.Key.ToHex());
            w.WriteString("value_hash", leaf.ValueHash.ToHex());
            w.WriteEndObject();
        }
        else w.WriteNull("leaf");
        w.WriteStartArray("siblings");
        foreach (var s in _siblings) w.WriteStringValue(s.ToHex());
        w.WriteEndArray();
        if (_data is not null) w.WriteString("data", Convert.ToHexStringLower(_data));
        w.WriteEndObject();
        w.Flush();
    }

    /// <summary>Reads the SPEC's JSON object; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="GpuExecException">Not JSON, a field missing, unknown or of the wrong form.</exception>
    public static StateProof Parse(ReadOnlyMemory<byte> json, string source = "proof")
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 }); }
        catch (JsonException e) { throw Fail(source, "", $"malformed JSON: {e.Message}"); }
        using (doc)
        {
            var o = doc.RootElement;
            if (o.ValueKind != JsonValueKind.Object) throw Fail(source, "", "the top level must be an object");
            foreach (var p in o.EnumerateObject())
                if (p.Name is not ("root" or "height" or "key" or "leaf" or "siblings" or "data")) throw Fail(source, p.Name, "unknown field");
            var root = HashField(o, "root", source);
            if (!o.TryGetProperty("height", out var hEl) || hEl.ValueKind != JsonValueKind.Number || !hEl.TryGetUInt64(out ulong height))
                throw Fail(source, "height", "must be an integer 0..18446744073709551615");
            var key = TreeKey.FromHash32(HashField(o, "key", source));
            if (!o.TryGetProperty("leaf", out var leafEl)) throw Fail(source, "leaf", "is missing (null for a path that ends in an empty subtree)");
            ProofLeaf? leaf = null;
            if (leafEl.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in leafEl.EnumerateObject())
                    if (p.Name is not ("key" or "value_hash")) throw Fail(source, "leaf." + p.Name, "unknown field");
                leaf = new ProofLeaf(TreeKey.FromHash32(HashField(leafEl, "key", source, "leaf.")), HashField(leafEl, "value_hash", source, "leaf."));
            }
            else if (leafEl.ValueKind != JsonValueKind.Null) throw Fail(source, "leaf", "must be an object or null");
            if (!o.TryGetProperty("siblings", out var sibEl) || sibEl.ValueKind != JsonValueKind.Array) throw Fail(source, "siblings", "must be an array of hashes");
            if (sibEl.GetArrayLength() > MaxSiblings) throw Fail(source, "siblings", $"{sibEl.GetArrayLength()} siblings; a path has at most {MaxSiblings}");
            var siblings = new List<Hash32>();
            int i = 0;
            foreach (var s in sibEl.EnumerateArray()) siblings.Add(Hash(s, source, $"siblings[{i++}]"));
            byte[]? data = null;
            if (o.TryGetProperty("data", out var dEl))
            {
                if (dEl.ValueKind != JsonValueKind.String || dEl.GetString() is not { } hex || hex.Length % 2 != 0 || !hex.All(char.IsAsciiHexDigit))
                    throw Fail(source, "data", "must be hex (an even number of hex digits)");
                data = Convert.FromHexString(hex);
            }
            return new StateProof(root, height, key, leaf, siblings, data, hasData: data is not null);
        }
    }

    private static Hash32 HashField(JsonElement o, string name, string source, string at = "")
    {
        if (!o.TryGetProperty(name, out var e)) throw Fail(source, at + name, "is missing");
        return Hash(e, source, at + name);
    }

    private static Hash32 Hash(JsonElement e, string source, string field)
    {
        if (e.ValueKind != JsonValueKind.String || e.GetString() is not { Length: 64 } hex || !hex.All(char.IsAsciiHexDigit))
            throw Fail(source, field, "must be 64 hex digits");
        return Hash32.FromHex(hex);
    }

    private static GpuExecException Fail(string source, string field, string what) =>
        new(ErrorKind.InvalidInput, field.Length == 0 ? $"{source}: {what}" : $"{source}: {field}: {what}");
}
