using System.Text.Json;
using GpuExec.Model;
using GpuExec.Wire;

namespace GpuExec.State;

/// <summary>
/// Genesis and dump JSON (SPEC section 7). Reading checks everything SPEC sections 1 and 7 ask
/// (exact u64s, distinct pool tokens, reserves > 0, fee_bps &lt;= 9999, no duplicates, the supply
/// invariant, a given state_root) and names the file and the field of the first fault.
/// Writing is canonical: two equal states give byte-identical dumps, and a dump is a genesis.
/// <para><b>Size.</b> Both directions stream: a file is read a window at a time and a dump is
/// written as it is made, so neither is ever held whole and memory is the state itself. Both
/// are bounded by the same <see cref="InputLimits.MaxStateBytes"/>: a file over it is refused,
/// and a dump that would be over it is refused before anything is replaced, so every dump
/// written reads back as a genesis.</para>
/// </summary>
public static class StateJson
{
    /// <summary>Reads a genesis or dump file of at most <see cref="InputLimits.MaxStateBytes"/> bytes.</summary>
    /// <exception cref="StateFormatException">The file is missing, not JSON, over the limit, or breaks the SPEC.</exception>
    public static WorldState ReadFile(string path) => ReadFile(path, InputLimits.MaxStateBytes);

    /// <summary>Reads a genesis or dump file of at most <paramref name="limit"/> bytes (tests prove the limit's edge with a small one).</summary>
    internal static WorldState ReadFile(string path, long limit)
    {
        ArgumentNullException.ThrowIfNull(path);
        FileStream f;
        try { f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StateFormatException($"{path}: cannot read state file: {e.Message}");
        }
        using (f)
        {
            // A file whose length is known is refused before it is read; one without (a pipe, a
            // device) is refused once the limit's bytes were read.
            if (f.CanSeek && f.Length > limit) throw new StateFormatException($"{path}: state file is larger than the limit of {limit} bytes");
            return Read(f, path, limit);
        }
    }

    /// <summary>Parses genesis or dump JSON; <paramref name="source"/> names it in errors.</summary>
    public static WorldState Parse(ReadOnlyMemory<byte> json, string source = "genesis")
    {
        var stream = System.Runtime.InteropServices.MemoryMarshal.TryGetArray(json, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(json.ToArray(), writable: false);
        using (stream) return Read(stream, source, long.MaxValue);
    }

    private static readonly string[] TopFields = ["chain_id", "height", "state_root", "accounts", "pools"];
    private static readonly string[] AccountFields = ["address", "nonce", "balances"];
    private static readonly string[] PoolFields = ["id", "token_a", "token_b", "reserve_a", "reserve_b", "fee_bps"];

    /// <summary>
    /// Reads the document token by token. Faults are reported in the order the file gives them,
    /// with two exceptions kept from reading a whole object at once: an object's keys are checked
    /// as they come (so a bad key is named before a bad value that preceded it), and an account's
    /// address and nonce are checked once the account's object ends.
    /// </summary>
    internal static WorldState Read(Stream stream, string src, long limit)
    {
        var input = new JsonInput(stream, src, limit);
        var r = input.Start();
        if (!input.Next(ref r)) throw Fail(src, "", "malformed JSON: the input holds no JSON value");
        if (r.TokenType != JsonTokenType.StartObject) throw Fail(src, "", "the top level must be an object");

        uint? chainId = null;
        ulong height = 0;
        string? stateRoot = null;
        StateFormatException? badStateRoot = null;
        int seen = 0;
        WorldState? state = null;
        var supply = new Dictionary<uint, UInt128>();
        var account = new AccountReader();
        while (true)
        {
            Next(input, ref r);
            if (r.TokenType == JsonTokenType.EndObject) break;
            int field = Key(ref r, src, "", TopFields, ref seen);
            Next(input, ref r);
            switch (field)
            {
                case 0:
                    chainId = U32(ref r, src, "chain_id");
                    break;
                case 1:
                    height = U64(ref r, src, "height");
                    break;
                case 2:
                    // Checked last, against the root of the whole contents.
                    if (r.TokenType == JsonTokenType.String) stateRoot = TryStr(ref r, src, "state_root", out badStateRoot);
                    else
                    {
                        badStateRoot = Fail(src, "state_root", "must be 64 hex characters");
                        Skip(input, ref r);
                    }
                    break;
                case 3:
                    if (r.TokenType != JsonTokenType.StartArray) throw Fail(src, "accounts", "must be an array");
                    state ??= new WorldState(chainId ?? 0, height);
                    for (int i = 0; ; i++)
                    {
                        Next(input, ref r);
                        if (r.TokenType == JsonTokenType.EndArray) break;
                        account.Read(input, ref r, src, $"accounts[{i}]", state, supply);
                    }
                    break;
                case 4:
                    if (r.TokenType != JsonTokenType.StartArray) throw Fail(src, "pools", "must be an array");
                    state ??= new WorldState(chainId ?? 0, height);
                    for (int i = 0; ; i++)
                    {
                        Next(input, ref r);
                        if (r.TokenType == JsonTokenType.EndArray) break;
                        ReadPool(input, ref r, src, $"pools[{i}]", state, supply);
                    }
                    break;
            }
        }
        if (chainId is not { } chain) throw Fail(src, "chain_id", "is missing");
        if ((seen & (1 << 3)) == 0) throw Fail(src, "accounts", "is missing");
        if ((seen & (1 << 4)) == 0) throw Fail(src, "pools", "is missing");
        state = Rebuilt(state!, chain);
        state.Height = height;
        if ((seen & (1 << 2)) != 0)
        {
            if (badStateRoot is not null) throw badStateRoot;
            if (stateRoot is not { Length: 64 } hex || !IsHex(hex)) throw Fail(src, "state_root", "must be 64 hex characters");
            var given = Hash32.FromHex(hex);
            var computed = state.StateRoot;
            if (given != computed)
                throw Fail(src, "state_root", $"{hex} does not match the root of the file's contents ({computed})");
        }
        // Anything after the top-level object is malformed JSON; the reader finds it here.
        if (input.Next(ref r)) throw Fail(src, "", "malformed JSON: more after the top-level object");
        return state;
    }

    /// <summary>The state built before <c>chain_id</c> was read (a file that gives it after the accounts), moved into one of the right chain.</summary>
    private static WorldState Rebuilt(WorldState state, uint chainId)
    {
        if (state.ChainId == chainId) return state;
        var moved = new WorldState(chainId, state.Height, state.AccountCount);
        foreach (var a in state.Accounts) moved.AddAccount(a);
        foreach (var p in state.Pools) moved.SetPool(p);
        return moved;
    }

    /// <summary>One account object; its lists are kept from one account to the next.</summary>
    private sealed class AccountReader
    {
        private readonly List<(uint Token, ulong Amount)> _balances = [];
        private readonly HashSet<uint> _tokens = [];

        public void Read(JsonInput input, ref Utf8JsonReader r, string src, string at, WorldState state, Dictionary<uint, UInt128> supply)
        {
            if (r.TokenType != JsonTokenType.StartObject) throw Fail(src, at, "must be an object");
            int seen = 0;
            string? addressText = null;
            StateFormatException? badAddress = null, badNonce = null;
            ulong nonce = 0;
            _balances.Clear();
            _tokens.Clear();
            while (true)
            {
                Next(input, ref r);
                if (r.TokenType == JsonTokenType.EndObject) break;
                int field = Key(ref r, src, at, AccountFields, ref seen);
                Next(input, ref r);
                switch (field)
                {
                    case 0:
                        if (r.TokenType == JsonTokenType.String) addressText = TryStr(ref r, src, at + ".address", out badAddress);
                        else
                        {
                            badAddress = Fail(src, at + ".address", "must be 64 hex characters (a 32-byte address)");
                            Skip(input, ref r);
                        }
                        break;
                    case 1:
                        try { nonce = U64(ref r, src, at + ".nonce"); }
                        catch (StateFormatException e)
                        {
                            badNonce = e;
                            Skip(input, ref r);
                        }
                        break;
                    case 2:
                        ReadBalances(input, ref r, src, at, supply);
                        break;
                }
            }
            if ((seen & 1) == 0) throw Fail(src, at + ".address", "is missing");
            if (badAddress is not null) throw badAddress;
            if (addressText is not { Length: 64 } hex || !IsHex(hex))
                throw Fail(src, at + ".address", "must be 64 hex characters (a 32-byte address)");
            var address = Address.FromHex(hex);
            if (state.TryGetAccount(address) is not null)
                throw Fail(src, at + ".address", $"duplicate account {address}");
            var account = new Account(address);
            if (badNonce is not null) throw badNonce;
            if ((seen & 2) != 0) account.Nonce = nonce;
            foreach (var (token, amount) in _balances) account.SetBalance(token, amount);
            state.AddAccount(account);
        }

        private void ReadBalances(JsonInput input, ref Utf8JsonReader r, string src, string at, Dictionary<uint, UInt128> supply)
        {
            if (r.TokenType != JsonTokenType.StartObject) throw Fail(src, at + ".balances", "must be an object of token id to amount");
            while (true)
            {
                Next(input, ref r);
                if (r.TokenType == JsonTokenType.EndObject) return;
                string name = Name(ref r, src, at + ".balances");
                string field = $"{at}.balances[\"{InputLimits.Excerpt(name, 24)}\"]";
                if (!IsPlainUInt(name) || !uint.TryParse(name, out uint token))
                    throw Fail(src, field, "the key must be a token id (an integer 0..4294967295)");
                if (!_tokens.Add(token))
                    throw Fail(src, field, $"duplicate token {token}");
                Next(input, ref r);
                ulong amount = U64(ref r, src, field);
                AddSupply(supply, token, amount, src, field);
                _balances.Add((token, amount));
            }
        }
    }

    private static void ReadPool(JsonInput input, ref Utf8JsonReader r, string src, string at, WorldState state, Dictionary<uint, UInt128> supply)
    {
        if (r.TokenType != JsonTokenType.StartObject) throw Fail(src, at, "must be an object");
        int seen = 0;
        Span<ulong> values = stackalloc ulong[6];
        while (true)
        {
            Next(input, ref r);
            if (r.TokenType == JsonTokenType.EndObject) break;
            int field = Key(ref r, src, at, PoolFields, ref seen);
            Next(input, ref r);
            values[field] = field < 3 ? U32(ref r, src, at + "." + PoolFields[field]) : U64(ref r, src, at + "." + PoolFields[field]);
        }
        for (int f = 0; f < PoolFields.Length; f++)
            if ((seen & (1 << f)) == 0) throw Fail(src, at + "." + PoolFields[f], "is missing");
        var pool = new Pool
        {
            Id = (uint)values[0],
            TokenA = (uint)values[1],
            TokenB = (uint)values[2],
            ReserveA = values[3],
            ReserveB = values[4],
        };
        ulong fee = values[5];
        if (fee > Pool.MaxFeeBps) throw Fail(src, at + ".fee_bps", $"{fee} is over the maximum {Pool.MaxFeeBps}");
        pool.FeeBps = (ushort)fee;
        if (state.HasPool(pool.Id)) throw Fail(src, at + ".id", $"duplicate pool {pool.Id}");
        if (pool.TokenA == pool.TokenB) throw Fail(src, at, $"token_a and token_b are both {pool.TokenA}; a pool needs two different tokens");
        if (pool.ReserveA == 0) throw Fail(src, at + ".reserve_a", "must be greater than 0");
        if (pool.ReserveB == 0) throw Fail(src, at + ".reserve_b", "must be greater than 0");
        AddSupply(supply, pool.TokenA, pool.ReserveA, src, at + ".reserve_a");
        AddSupply(supply, pool.TokenB, pool.ReserveB, src, at + ".reserve_b");
        state.SetPool(pool);
    }

    /// <summary>The next token, which must exist: the document cannot end inside an object.</summary>
    private static void Next(JsonInput input, ref Utf8JsonReader r)
    {
        // The reader throws on a document that ends early; false is only possible after the top level.
        if (!input.Next(ref r)) throw new StateFormatException($"{input.Source}: malformed JSON: the document ends early");
    }

    /// <summary>Skips the value the reader is at (an object or an array whole).</summary>
    private static void Skip(JsonInput input, ref Utf8JsonReader r)
    {
        if (r.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray)) return;
        int depth = r.CurrentDepth;
        do Next(input, ref r);
        while (!(r.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray && r.CurrentDepth == depth));
    }

    /// <summary>
    /// The property the reader is at: its index among <paramref name="allowed"/>, marked in
    /// <paramref name="seen"/>; an unknown, repeated or undecodable key is refused.
    /// </summary>
    private static int Key(ref Utf8JsonReader r, string src, string at, string[] allowed, ref int seen)
    {
        for (int i = 0; i < allowed.Length; i++)
        {
            bool equal;
            try { equal = r.ValueTextEquals(allowed[i]); }
            catch (InvalidOperationException) { throw Fail(src, at, "a key " + InvalidString); }
            if (!equal) continue;
            string field = at.Length == 0 ? allowed[i] : at + "." + allowed[i];
            if ((seen & (1 << i)) != 0) throw Fail(src, field, "appears twice");
            seen |= 1 << i;
            return i;
        }
        string name = Name(ref r, src, at);
        throw Fail(src, at.Length == 0 ? InputLimits.Excerpt(name, 40) : at + "." + InputLimits.Excerpt(name, 40), "unknown field");
    }

    private static void AddSupply(Dictionary<uint, UInt128> supply, uint token, ulong amount, string src, string field)
    {
        supply.TryGetValue(token, out var total);
        total += amount;
        if (total > ulong.MaxValue)
            throw Fail(src, field, $"total supply of token {token} exceeds 2^64-1 (SPEC section 1 supply invariant)");
        supply[token] = total;
    }

    /// <summary>
    /// A string value, or null and <paramref name="error"/>. SPEC section 7 says strings are valid
    /// UTF-8; the reader hands invalid bytes and lone surrogate escapes (<c>"\ud800"</c>) through,
    /// and only decoding finds them.
    /// </summary>
    private static string? TryStr(ref Utf8JsonReader r, string src, string field, out StateFormatException? error)
    {
        error = null;
        try { return r.GetString(); }
        catch (InvalidOperationException)
        {
            error = Fail(src, field, InvalidString);
            return null;
        }
    }

    /// <summary>The name of the property the reader is at.</summary>
    private static string Name(ref Utf8JsonReader r, string src, string at)
    {
        try { return r.GetString()!; }
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

    private static ulong U64(ref Utf8JsonReader r, string src, string field)
    {
        if (r.TokenType != JsonTokenType.Number) throw Fail(src, field, $"must be an integer, not {KindName(r.TokenType)}");
        if (r.TryGetUInt64(out ulong v)) return v;
        string raw = JsonInput.Raw(ref r);
        if (raw.StartsWith('-')) throw Fail(src, field, $"{raw} is negative; amounts are unsigned");
        if (raw.AsSpan().IndexOfAny('.', 'e', 'E') >= 0) throw Fail(src, field, $"{raw} is not an integer");
        throw Fail(src, field, $"{raw} is out of range for u64 (max 18446744073709551615)");
    }

    private static uint U32(ref Utf8JsonReader r, string src, string field)
    {
        ulong v = U64(ref r, src, field);
        if (v > uint.MaxValue) throw Fail(src, field, $"{v} is out of range for u32 (max 4294967295)");
        return (uint)v;
    }

    private static string KindName(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "object",
        JsonTokenType.StartArray => "array",
        JsonTokenType.String => "string",
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        JsonTokenType.Null => "null",
        _ => token.ToString().ToLowerInvariant(),
    };

    private static StateFormatException Fail(string src, string field, string what) =>
        new(field.Length == 0 ? $"{src}: {what}" : $"{src}: {field}: {what}");

    /// <summary>
    /// Writes the canonical dump of SPEC section 7: chain_id, height, state_root, accounts sorted by
    /// address (empty ones left out), balances by token (zeros left out), pools by id.
    /// </summary>
    /// <exception cref="GpuExecException">The dump would be larger than <see cref="InputLimits.MaxStateBytes"/>,
    /// so it would not read back as a genesis; what was written of it is to be discarded (as an
    /// atomic write does).</exception>
    public static void WriteDump(WorldState state, Stream output) => WriteDump(state, output, InputLimits.MaxStateBytes);

    /// <summary>Writes the dump, refusing one over <paramref name="limit"/> bytes (tests prove the limit's edge with a small one).</summary>
    internal static void WriteDump(WorldState state, Stream output, long limit)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(output);
        var root = state.StateRoot;
        using var bounded = new BoundedOutput(output, limit, state);
        using var w = new Utf8JsonWriter(bounded, new JsonWriterOptions { Indented = true, IndentSize = 1, SkipValidation = true });
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
            // The writer holds what it wrote until it is flushed: flush as it goes, so that a dump
            // of any size costs a few kilobytes beside the state.
            if (w.BytesPending >= 1 << 16) w.Flush();
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

    /// <summary>Passes writes on, refusing the one that would take the total over the limit.</summary>
    private sealed class BoundedOutput(Stream inner, long limit, WorldState state) : Stream
    {
        private long _written;

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (_written + buffer.Length > limit)
            {
                throw new GpuExecException(ErrorKind.InvalidInput,
                    $"the dump of the state at height {state.Height} ({state.AccountCount} accounts) would be larger than {limit} bytes, "
                    + "the limit of a genesis or dump file, so it could not be read back; it is not written");
            }
            _written += buffer.Length;
            inner.Write(buffer);
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Flush() => inner.Flush();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _written;
        public override long Position { get => _written; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>Writes a dump to <paramref name="path"/> atomically: a temporary file, then a rename.</summary>
    public static void WriteDumpFile(WorldState state, string path) => AtomicFile.Write(path, s => WriteDump(state, s));
}
