using System.Buffers.Binary;
using System.Text;
using GpuExec.Commitments;
using GpuExec.Execution;
using GpuExec.Generation;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Core.Tests;

/// <summary>Hostile input at the core: sizes, wraps, strings, and what a failing transaction leaves behind.</summary>
public class SafetyTests
{
    private static Exception Fails(string json) => Assert.ThrowsAny<GpuExecException>(() => StateJson.Parse(Encoding.UTF8.GetBytes(json), "g.json"));

    /// <summary>A header claiming <paramref name="count"/> records, followed by that many zero-length records.</summary>
    private static byte[] ZeroRecordBlock(uint count)
    {
        var data = new byte[BlockHeader.Size + 2L * count];
        BlockHeader.Magic.CopyTo(data);
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(112), count);
        return data;
    }

    [Fact]
    public void A_block_of_2_pow_26_records_is_refused_by_the_documented_limit_not_a_crash()
    {
        var data = ZeroRecordBlock(1u << 26); // 128 MiB: the count overflowed an int in the tx_root's buffer
        var e = Assert.Throws<BlockFormatException>(() => BlockCodec.Decode(data, "big.gxb"));
        Assert.Contains($"tx_count 67108864 is over the limit of {InputLimits.MaxTransactions}", e.Message);
    }

    [Fact]
    public void A_block_at_the_limit_decodes_and_its_tx_root_is_computed()
    {
        var data = ZeroRecordBlock(InputLimits.MaxTransactions);
        var block = BlockCodec.Decode(data);
        Assert.Equal(InputLimits.MaxTransactions, block.Count);
        Span<byte> root = stackalloc byte[32];
        Merkle.TxRoot(block.Data, block.RecordOffsets, block.RecordLengths, root);
        // Every leaf is H(0x00): the root is deterministic and not the empty tree's.
        Assert.NotEqual(new Hash32(System.Security.Cryptography.SHA256.HashData(ReadOnlySpan<byte>.Empty)), new Hash32(root));
    }

    [Fact]
    public void A_sender_at_nonce_2_pow_64_minus_1_gets_BAD_NONCE_and_keeps_it()
    {
        var alice = new Signer(1);
        var bob = new Signer(2);
        var state = new WorldState(1);
        var a = state.GenesisAccount(alice.Address);
        a.Nonce = ulong.MaxValue;
        a.SetBalance(0, 100);
        var block = BlockCodec.Decode(Signer.NextBlock(state, bob.Address,
            alice.Transfer(1, ulong.MaxValue, 1, bob.Address, 0, 1), alice.Transfer(1, 0, 1, bob.Address, 0, 1)));
        var result = SequentialExecutor.Execute(state, block);
        Assert.Equal([TxStatus.BadNonce, TxStatus.BadNonce], result.Statuses);
        Assert.Equal(ulong.MaxValue, state.TryGetAccount(alice.Address)!.Nonce);
        Assert.Equal(100UL, state.TryGetAccount(alice.Address)!.Balance(0));
    }

    [Fact]
    public void No_block_follows_height_2_pow_64_minus_1()
    {
        var state = new WorldState(1, ulong.MaxValue);
        var block = BlockCodec.Decode(BlockCodec.Encode(1, 0, new Signer(1).Address, state.StateRoot, []));
        var e = Assert.Throws<BlockRejectedException>(() => SequentialExecutor.Execute(state, block));
        Assert.Contains("no block can follow height 18446744073709551615", e.Message);
        Assert.Equal(ulong.MaxValue, state.Height);
    }

    [Fact]
    public void Failing_transactions_from_fresh_keys_add_no_accounts()
    {
        var collector = new Signer(0);
        var state = new WorldState(1);
        state.GenesisAccount(collector.Address).SetBalance(0, 10);
        var records = new List<byte[]>();
        for (int i = 0; i < 1000; i++)
        {
            var stranger = new Signer(1000 + (ulong)i);
            records.Add(i % 2 == 0 ? stranger.Transfer(1, 3, 0, new Signer(5000 + (ulong)i).Address, 0, 1) // bad nonce
                : stranger.Transfer(1, 0, 1, new Signer(5000 + (ulong)i).Address, 0, 0));                     // no fee
        }
        var block = BlockCodec.Decode(Signer.NextBlock(state, new Signer(9).Address, [.. records]));
        int before = state.AccountCount;
        var result = SequentialExecutor.Execute(state, block);
        Assert.All(result.Statuses, s => Assert.True(s is TxStatus.BadNonce or TxStatus.InsufficientFee));
        Assert.Equal(before, state.AccountCount);
    }

    [Theory]
    [InlineData("{\"chain_id\": 1, \"pools\": []}", "g.json: accounts: is missing")]
    [InlineData("{\"chain_id\": 1, \"accounts\": []}", "g.json: pools: is missing")]
    [InlineData("{\"chain_id\": 1, \"accounts\": [], \"pools\": [{\"token_a\": 1, \"token_b\": 2, \"reserve_a\": 1, \"reserve_b\": 1, \"fee_bps\": 0}]}", "pools[0].id: is missing")]
    [InlineData("{\"chain_id\": 1, \"accounts\": [], \"pools\": [{\"id\": 0, \"token_b\": 2, \"reserve_a\": 1, \"reserve_b\": 1, \"fee_bps\": 0}]}", "pools[0].token_a: is missing")]
    [InlineData("{\"chain_id\": 1, \"accounts\": [], \"pools\": [{\"id\": 0, \"token_a\": 1, \"token_b\": 2, \"reserve_b\": 1, \"fee_bps\": 0}]}", "pools[0].reserve_a: is missing")]
    [InlineData("{\"chain_id\": 1, \"accounts\": [{\"nonce\": 1}], \"pools\": []}", "accounts[0].address: is missing")]
    public void Fields_SPEC_v1_1_requires_are_refused_when_missing(string json, string expected) =>
        Assert.Contains(expected, Fails(json).Message);

    [Fact]
    public void Optional_account_fields_may_be_left_out()
    {
        var s = StateJson.Parse(Encoding.UTF8.GetBytes("{\"chain_id\": 1, \"accounts\": [{\"address\": \"" + new string('a', 64) + "\"}], \"pools\": []}"));
        Assert.Equal(1, s.AccountCount);
    }

    [Theory]
    [InlineData("{\"chain_id\": 1, \"accounts\": [{\"address\": \"\\ud800\"}], \"pools\": []}", "accounts[0].address: is not valid UTF-8 text")]
    [InlineData("{\"chain_id\": 1, \"accounts\": [{\"address\": \"aa\", \"\\udfff\": 1}], \"pools\": []}", "accounts[0]: a key is not valid UTF-8 text")]
    [InlineData("{\"chain_id\": 1, \"accounts\": [{\"address\": \"" + "0000000000000000000000000000000000000000000000000000000000000001" + "\", \"balances\": {\"\\ud800\": 1}}], \"pools\": []}", "accounts[0].balances: a key is not valid UTF-8 text")]
    [InlineData("{\"chain_id\": 1, \"\\ud800x\": 1, \"accounts\": [], \"pools\": []}", "g.json: a key is not valid UTF-8 text")]
    [InlineData("{\"chain_id\": 1, \"accounts\": [], \"pools\": [], \"state_root\": \"\\udc00\"}", "state_root: is not valid UTF-8 text")]
    public void Lone_surrogate_escapes_are_refused_naming_the_field(string json, string expected) =>
        Assert.Contains(expected, Fails(json).Message);

    [Fact]
    public void Invalid_utf8_bytes_are_refused_naming_the_field()
    {
        var json = Encoding.UTF8.GetBytes("{\"chain_id\": 1, \"accounts\": [{\"address\": \"XX\"}], \"pools\": []}");
        int at = Array.IndexOf(json, (byte)'X');
        json[at] = 0xFF;
        json[at + 1] = 0xFE;
        var e = Assert.ThrowsAny<GpuExecException>(() => StateJson.Parse(json, "g.json"));
        Assert.Contains("g.json", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void Messages_do_not_echo_long_values()
    {
        string huge = new('7', 200_000);
        var e = Fails("{\"chain_id\": " + huge + ", \"accounts\": [], \"pools\": []}");
        Assert.Contains("chain_id", e.Message);
        Assert.True(e.Message.Length < 300, e.Message.Length.ToString());
        e = Fails("{\"chain_id\": 1, \"" + new string('k', 100_000) + "\": 1, \"accounts\": [], \"pools\": []}");
        Assert.True(e.Message.Length < 300, e.Message.Length.ToString());
    }

    [Fact]
    public void Reads_are_bounded_even_when_the_file_has_no_length()
    {
        if (!File.Exists("/dev/zero")) return;
        var e = Assert.Throws<GpuExecException>(() => InputLimits.ReadFile("/dev/zero", 1 << 20, "state file"));
        Assert.Contains("larger than the limit of 1048576 bytes", e.Message);
        // A genesis is parsed as it is read: /dev/zero is refused at its first byte.
        var s = Assert.Throws<StateFormatException>(() => StateJson.ReadFile("/dev/zero"));
        Assert.StartsWith("/dev/zero: malformed JSON", s.Message);
    }

    /// <summary>A stream with no length that never ends but stays valid JSON so far (whitespace after an opening brace).</summary>
    private sealed class EndlessWhitespace : Stream
    {
        private bool _opened;
        public long Served { get; private set; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var span = buffer.AsSpan(offset, count);
            span.Fill((byte)' ');
            if (!_opened && count > 0) { span[0] = (byte)'{'; _opened = true; }
            Served += count;
            return count;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Served; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public void A_genesis_stream_that_never_ends_is_refused_at_the_limit()
    {
        using var endless = new EndlessWhitespace();
        var e = Assert.Throws<StateFormatException>(() => StateJson.Read(endless, "pipe", 4 << 20));
        Assert.Contains("pipe: state file is larger than the limit of 4194304 bytes", e.Message);
        // Read a window at a time: no more than the limit and one window.
        Assert.InRange(endless.Served, 4 << 20, (4 << 20) + (1 << 16));
    }
}
