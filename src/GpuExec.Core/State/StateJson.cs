using System.Text.Json;
using GpuExec.Model;
using GpuExec.Wire;

namespace GpuExec.State;

/// <summary>
/// Genesis and dump JSON (SPEC section 7). Reading checks everything SPEC sections 1 and 7 ask
/// (exact u64s, distinct pool tokens, reserves > 0, fee_bps &lt;= 9999, no duplicates, the supply
/// invariant, a given state_root) and names the file and the field of the first fault.
/// Writing is canonical: two equal states give byte-identical dumps, and a dump is a genesis.
/// </summary>
public static class StateJson
{
    /// <summary>Reads a genesis or dump file.</summary>
    /// <exception cref="StateFormatException">The file is missing, not JSON, or breaks the SPEC.</exception>
    public static WorldState ReadFile(string path)
    {
        byte[] bytes;
        try { bytes = InputLimits.ReadFile(path, InputLimits.MaxStateBytes, "state file"); }
        catch (GpuExecException e) { throw new StateFormatException(e.Message); }
        return Parse(bytes, path);
    }

    /// <summary>Parses genesis or dump JSON; <paramref name="source"/> names it in errors.</summary>
    public static WorldState Parse(ReadOnlyMemory<byte> json, string source = "genesis")
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new StateFormatException($"{source}: malformed JSON: {e.Message}");
        }
        using (doc)
        {
            return Read(doc.RootElement, source);
        }
    }

    private static WorldState Read(JsonElement root, string src)
    {
        if (root.ValueKind != JsonValueKind.Object) throw Fail(src, "", "the top level must be an object");
        CheckKeys(root, src, "", ["chain_id", "height", "state_root", "accounts", "pools"]);
        uint chainId = U32(Required(root, "chain_id", src, ""), src, "chain_id");
        ulong height = root.TryGetProperty("height", out var h) ? U64(h, src, "height") : 0;
        var state = new WorldState(chainId, height);

        var supply = new Dictionary<uint, UInt128>();
        var accounts = Required(root, "accounts", src, "");
        {
            if (accounts.ValueKind != JsonValueKind.Array) throw Fail(src, "accounts", "must be an array");
            int i = 0;
            foreach (var acc in accounts.EnumerateArray())
            {
                string at = $"accounts[{i}]";
                if (acc.ValueKind != JsonValueKind.Object) throw Fail(src, at, "must be an object");
                CheckKeys(acc, src, at, ["address", "nonce", "balances"]);
                var address = ParseAddress(Required(acc, "address", src, at), src, at + ".address");
                if (state.TryGetAccount(address) is not null)
                    throw Fail(src, at + ".address", $"duplicate account {address}");
                var account = new Account(address);
                if (acc.TryGetProperty("nonce", out var nonce)) account.Nonce = U64(nonce, src, at + ".nonce");
                if (acc.TryGetProperty("balances", out var balances))
                {
                    if (balances.ValueKind != JsonValueKind.Object) throw Fail(src, at + ".balances", "must be an object of token id to amount");
                    foreach (var b in balances.EnumerateObject())
                    {
                        string name = Name(b, src, at + ".balances");
                        string field = $"{at}.balances[\"{InputLimits.Excerpt(name, 24)}\"]";
                        if (!IsPlainUInt(name) || !uint.TryParse(name, out uint token))
                            throw Fail(src, field, "the key must be a token id (an integer 0..4294967295)");
                        if (account.EntryCount > 0 && HasToken(account, token))
                            throw Fail(src, field, $"duplicate token {token}");
                        ulong amount = U64(b.Value, src, field);
                        if (amount != 0) account.SetBalance(token, amount);
                        else account.SetBalance(token, 0);
                        AddSupply(supply, token, amount, src, field);
                    }
                }
                state.AddAccount(account);
                i++;
            }
        }
        var pools = Required(root, "pools", src, "");
        {
            if (pools.ValueKind != JsonValueKind.Array) throw Fail(src, "pools", "must be an array");
            int i = 0;
            foreach (var p in pools.EnumerateArray())
            {
                string at = $"pools[{i}]";
                if (p.ValueKind != JsonValueKind.Object) throw Fail(src, at, "must be an object");
                CheckKeys(p, src, at, ["id", "token_a", "token_b", "reserve_a", "reserve_b", "fee_bps"]);
                var pool = new Pool
                {
                    Id = U32(Required(p, "id", src, at), src, at + ".id"),
                    TokenA = U32(Required(p, "token_a", src, at), src, at + ".token_a"),
                    TokenB = U32(Required(p, "token_b", src, at), src, at + ".token_b"),
                    ReserveA = U64(Required(p, "reserve_a", src, at), src, at + ".reserve_a"),
                    ReserveB = U64(Required(p, "reserve_b", src, at), src, at + ".reserve_b"),
                };
                ulong fee = U64(Required(p, "fee_bps", src, at), src, at + ".fee_bps");
                if (fee > Pool.MaxFeeBps) throw Fail(src, at + ".fee_bps", $"{fee} is over the maximum {Pool.MaxFeeBps}");
                pool.FeeBps = (ushort)fee;
                if (state.HasPool(pool.Id)) throw Fail(src, at + ".id", $"duplicate pool {pool.Id}");
                if (pool.TokenA == pool.TokenB) throw Fail(src, at, $"token_a and token_b are both {pool.TokenA}; a pool needs two different tokens");
                if (pool.ReserveA == 0) throw Fail(src, at + ".reserve_a", "must be greater than 0");
                if (pool.ReserveB == 0) throw Fail(src, at + ".reserve_b", "must be greater than 0");
                AddSupply(supply, pool.TokenA, pool.ReserveA, src, at + ".reserve_a");
                AddSupply(supply, pool.TokenB, pool.ReserveB, src, at + ".reserve_b");
                state.SetPool(pool);
                i++;
            }
        }
        if (root.TryGetProperty("state_root", out var sr))
        {
            if (sr.ValueKind != JsonValueKind.String || Str(sr, src, "state_root") is not { Length: 64 } hex || !IsHex(hex))
                throw Fail(src, "state_root", "must be 64 hex characters");
            var given = Hash32.FromHex(hex);
            var computed = state.StateRoot;
            if (given != computed)
                throw Fail(src, "state_root", $"{hex} does not match the root of the file's contents ({computed})");
        }
        return state;
    }

    private static bool HasToken(Account a, uint token)
    {
        for (int i = 0; i < a.EntryCount; i++) if (a.TokenAt(i) == token) return true;
        return false;
    }

    private static void AddSupply(Dictionary<uint, UInt128> supply, uint token, ulong amount, string src, string field)
    {
        supply.TryGetValue(token, out var total);
        total += amount;
        if (total > ulong.MaxValue)
            throw Fail(src, field, $"total supply of token {token} exceeds 2^64-1 (SPEC section 1 supply invariant)");
        supply[token] = total;
    }

    private static JsonElement Required(JsonElement obj, string name, string src, string at)
    {
        if (!obj.TryGetProperty(name, out var v))
            throw Fail(src, at.Length == 0 ? name : at + "." + name, "is missing");
        return v;
    }

    private static void CheckKeys(JsonElement obj, string src, string at, string[] allowed)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in obj.EnumerateObject())
        {
            string name = Name(p, src, at);
            string field = at.Length == 0 ? InputLimits.Excerpt(name, 40) : at + "." + InputLimits.Excerpt(name, 40);
            if (Array.IndexOf(allowed, name) < 0) throw Fail(src, field, "unknown field");
            if (!seen.Add(name)) throw Fail(src, field, "appears twice");
        }
    }

    private static Address ParseAddress(JsonElement e, string src, string field)
    {
        if (e.ValueKind != JsonValueKind.String || Str(e, src, field) is not { Length: 64 } hex || !IsHex(hex))
            throw Fail(src, field, "must be 64 hex characters (a 32-byte address)");
        return Address.FromHex(hex);
    }

    /// <summary>
    /// A string value. SPEC section 7 says strings are valid UTF-8; the reader hands invalid bytes and
    /// lone surrogate escapes (<c>"\ud800"</c>) through, and only decoding finds them.
    /// </summary>
    private static string Str(JsonElement e, string src, string field)
    {
        try { return e.GetString()!; }
        catch (InvalidOperationException) { throw Fail(src, field, InvalidString); }
    }

    private static string Name(JsonProperty p, string src, string at)
    {
        try { return p.Name; }
        catch (InvalidOperationException) { throw Fail(src, at, "a key " + InvalidString); }
    }

    private const string InvalidString = "is not valid UTF-8 text (invalid bytes or a lone surrogate escape)";

    private static bool IsHex(string s)
    {
        foreach (char c in s) if (!char.IsAsciiHexDigit(c)) return false;
        return true;
    }

    private static bool IsPlainUInt(string s)
    {
        if (s.Length == 0 || (s.Length > 1 && s[0] == '0')) return false;
        foreach (char c in s) if (!char.IsAsciiDigit(c)) return false;
        return true;
    }

    private static ulong U64(JsonElement e, string src, string field)
    {
        if (e.ValueKind != JsonValueKind.Number) throw Fail(src, field, $"must be an integer, not {e.ValueKind.ToString().ToLowerInvariant()}");
        if (e.TryGetUInt64(out ulong v)) return v;
        string raw = InputLimits.Excerpt(e.GetRawText(), 40);
        if (raw.StartsWith('-')) throw Fail(src, field, $"{raw} is negative; amounts are unsigned");
        if (raw.AsSpan().IndexOfAny('.', 'e', 'E') >= 0) throw Fail(src, field, $"{raw} is not an integer");
        throw Fail(src, field, $"{raw} is out of range for u64 (max 18446744073709551615)");
    }

    private static uint U32(JsonElement e, string src, string field)
    {
        ulong v = U64(e, src, field);
        if (v > uint.MaxValue) throw Fail(src, field, $"{v} is out of range for u32 (max 4294967295)");
        return (uint)v;
    }

    private static StateFormatException Fail(string src, string field, string what) =>
        new(field.Length == 0 ? $"{src}: {what}" : $"{src}: {field}: {what}");

    /// <summary>
    /// Writes the canonical dump of SPEC section 7: chain_id, height, state_root, accounts sorted by
    /// address (empty ones left out), balances by token (zeros left out), pools by id.
    /// </summary>
    public static void WriteDump(WorldState state, Stream output)
    {
        ArgumentNullException.ThrowIfNull(state);
        var root = state.StateRoot;
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true, IndentSize = 1, SkipValidation = true });
        w.WriteStartObject();
        w.WriteNumber("chain_id", state.ChainId);
        w.WriteNumber("height", state.Height);
        w.WriteString("state_root", root.ToHex());
        w.WriteStartArray("accounts");
        var accounts = state.Accounts.Where(a => !a.IsEmpty).ToArray();
        Array.Sort(accounts, static (x, y) => x.Address.CompareTo(y.Address));
        Span<char> hex = stackalloc char[64];
        Span<byte> addr = stackalloc byte[32];
        Span<byte> tokenName = stackalloc byte[10];
        foreach (var a in accounts)
        {
            w.WriteStartObject();
            a.Address.WriteTo(addr);
            Convert.TryToHexStringLower(addr, hex, out _);
            w.WriteString("address", hex);
            w.WriteNumber("nonce", a.Nonce);
            w.WriteStartObject("balances");
            for (int i = 0; i < a.EntryCount; i++)
            {
                if (a.AmountAt(i) == 0) continue;
                a.TokenAt(i).TryFormat(tokenName, out int len);
                w.WriteNumber(tokenName[..len], a.AmountAt(i));
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("pools");
        foreach (var p in state.Pools.OrderBy(p => p.Id))
        {
            w.WriteStartObject();
            w.WriteNumber("id", p.Id);
            w.WriteNumber("token_a", p.TokenA);
            w.WriteNumber("token_b", p.TokenB);
            w.WriteNumber("reserve_a", p.ReserveA);
            w.WriteNumber("reserve_b", p.ReserveB);
            w.WriteNumber("fee_bps", p.FeeBps);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
    }

    /// <summary>Writes a dump to <paramref name="path"/> atomically: a temporary file, then a rename.</summary>
    public static void WriteDumpFile(WorldState state, string path) => AtomicFile.Write(path, s => WriteDump(state, s));
}
