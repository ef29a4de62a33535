using System.Text;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Core.Tests;

/// <summary>
/// "A dump is a valid genesis" at the size limit: the writer and the reader refuse at the same byte,
/// so a dump that is written always reads back. The real limit (2 GiB, some 13 million accounts) is
/// too large for a unit test; the writer and the reader take the limit as a parameter, and these
/// tests put it at a dump's exact size. One run at the real limit is recorded in docs/BENCHMARKS.md.
/// </summary>
public class StateSizeLimitTests
{
    /// <summary>A state of <paramref name="accounts"/> accounts with two balances each, and a pool.</summary>
    private static WorldState State(int accounts, int seed = 5)
    {
        var rng = new Random(seed);
        var state = new WorldState(9, 41);
        var bytes = new byte[32];
        for (int i = 0; i < accounts; i++)
        {
            rng.NextBytes(bytes);
            var a = new Account(new Address(bytes));
            a.SetBalance(0, (ulong)rng.NextInt64(1, 1L << 40)); // the supply stays under 2^64
            a.SetBalance(7, (ulong)rng.Next(1, 1000));
            a.Nonce = (ulong)rng.Next(0, 50);
            state.AddAccount(a);
        }
        state.SetPool(new Pool { Id = 3, TokenA = 0, TokenB = 7, ReserveA = 1000, ReserveB = 2000, FeeBps = 30 });
        return state;
    }

    private static byte[] Dump(WorldState state, long limit = long.MaxValue)
    {
        using var m = new MemoryStream();
        StateJson.WriteDump(state, m, limit);
        return m.ToArray();
    }

    [Fact]
    public void Writer_and_reader_refuse_at_the_same_byte_and_a_dump_at_the_limit_round_trips()
    {
        var state = State(5_000);
        var dump = Dump(state);
        long limit = dump.Length;

        // The largest dump the limit allows is written, reads back as a genesis, and dumps again
        // byte for byte.
        Assert.Equal(dump, Dump(state, limit));
        using (var m = new MemoryStream(dump))
        {
            var back = StateJson.Read(m, "dump.json", limit);
            Assert.Equal(state.StateRoot, back.StateRoot);
            Assert.Equal(41UL, back.Height);
            Assert.Equal(dump, Dump(back, limit));
        }

        // One byte less: both sides refuse.
        var w = Assert.Throws<GpuExecException>(() => Dump(state, limit - 1));
        Assert.Contains($"would be larger than {limit - 1} bytes, the limit of a genesis or dump file", w.Message);
        using (var m = new MemoryStream(dump))
        {
            var r = Assert.Throws<StateFormatException>(() => StateJson.Read(m, "dump.json", limit - 1));
            Assert.Contains($"dump.json: state file is larger than the limit of {limit - 1} bytes", r.Message);
        }
    }

    [Fact]
    public void A_dump_file_over_the_limit_is_refused_and_the_old_file_stays()
    {
        var dir = Path.Combine(Path.GetTempPath(), "gpuexec-limit-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        try
        {
            var state = State(2_000);
            var dump = Dump(state);
            string path = Path.Combine(dir, "d.json");
            File.WriteAllText(path, "old");
            Assert.Throws<GpuExecException>(() => AtomicFile.Write(path, s => StateJson.WriteDump(state, s, dump.Length - 1)));
            Assert.Equal("old", File.ReadAllText(path));
            Assert.Equal(["d.json"], Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName));

            AtomicFile.Write(path, s => StateJson.WriteDump(state, s, dump.Length));
            Assert.Equal(dump, File.ReadAllBytes(path));
            Assert.Equal(state.StateRoot, StateJson.ReadFile(path, dump.Length).StateRoot);
            // A file whose length is known is refused before it is read.
            var e = Assert.Throws<StateFormatException>(() => StateJson.ReadFile(path, dump.Length - 1));
            Assert.Contains("larger than the limit", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Records the largest single write: the dump must reach its stream as it is made.</summary>
    private sealed class WriteRecorder : Stream
    {
        public long Total { get; private set; }
        public int Largest { get; private set; }
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Total += buffer.Length;
            Largest = Math.Max(Largest, buffer.Length);
        }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Total;
        public override long Position { get => Total; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    [Fact]
    public void A_dump_is_written_as_it_is_made_not_held_whole()
    {
        var recorder = new WriteRecorder();
        StateJson.WriteDump(State(100_000), recorder);
        Assert.True(recorder.Total > 15_000_000, recorder.Total.ToString());
        Assert.True(recorder.Largest < 1 << 20, $"a single write of {recorder.Largest} bytes");
    }

    [Fact]
    public void The_reader_takes_any_key_order_long_whitespace_and_splits_anywhere()
    {
        var state = State(300);
        var dump = Encoding.UTF8.GetString(Dump(state));
        // chain_id and height after the accounts and pools (the state is built before the chain id is known).
        int accounts = dump.IndexOf("\"accounts\"", StringComparison.Ordinal);
        string head = dump[..accounts], body = dump[accounts..dump.LastIndexOf('}')].TrimEnd();
        string reordered = "{" + body + ", " + head.TrimStart('{').Trim().TrimEnd(',') + new string(' ', 3 << 20) + "}";
        var back = StateJson.Parse(Encoding.UTF8.GetBytes(reordered), "reordered");
        Assert.Equal(9U, back.ChainId);
        Assert.Equal(41UL, back.Height);
        Assert.Equal(state.StateRoot, back.StateRoot);

        // A stream that hands out one byte at a time splits every token.
        using var trickle = new OneByteAtATime(Encoding.UTF8.GetBytes(dump));
        Assert.Equal(state.StateRoot, StateJson.Read(trickle, "trickle", long.MaxValue).StateRoot);
    }

    private sealed class OneByteAtATime(byte[] data) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, 1));
    }

    [Fact]
    public void A_token_longer_than_the_window_bound_is_refused()
    {
        string json = "{\"chain_id\": 1, \"accounts\": [{\"address\": \"" + new string('a', JsonInput.MaxTokenBytes + 10) + "\"}], \"pools\": []}";
        var e = Assert.Throws<StateFormatException>(() => StateJson.Parse(Encoding.UTF8.GetBytes(json), "g.json"));
        Assert.StartsWith("g.json: malformed JSON: a token longer than 1048576 bytes", e.Message);
    }
}
