using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using GpuExec.Engine;
using GpuExec.Engine.Devices;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;
using NSec.Cryptography;

namespace GpuExec.PublicApi.Tests;

/// <summary>A small chain built with the public API alone: keys, builders, a genesis in SPEC section 7's JSON, blocks, pipelines.</summary>
internal sealed class World
{
    public const uint Chain = 11;

    public World(int accounts, int pools = 3, ulong balance = 1_000_000, int seed = 1)
    {
        Keys = new Key[accounts];
        Builders = new TransactionBuilder[accounts];
        for (int i = 0; i < accounts; i++)
        {
            Keys[i] = KeyFrom(seed * 1000 + i);
            Builders[i] = new TransactionBuilder(Keys[i], Chain);
        }
        Collector = Builders[0].Sender;
        var json = new StringBuilder();
        json.Append(CultureInfo.InvariantCulture, $"{{\"chain_id\": {Chain}, \"accounts\": [");
        for (int i = 1; i < accounts; i++)
        {
            if (i > 1) json.Append(',');
            json.Append(CultureInfo.InvariantCulture, $"{{\"address\": \"{Hex(Builders[i].Sender)}\", \"balances\": {{\"0\": {balance}, \"1\": {balance}, \"2\": {balance}, \"3\": {balance}}}}}");
        }
        json.Append("], \"pools\": [");
        for (int p = 0; p < pools; p++)
        {
            if (p > 0) json.Append(',');
            json.Append(CultureInfo.InvariantCulture, $"{{\"id\": {p}, \"token_a\": {p % 4}, \"token_b\": {(p + 1) % 4}, \"reserve_a\": {10_000_000 + p}, \"reserve_b\": {5_000_000 + 7 * p}, \"fee_bps\": {30 * p % 100}}}");
        }
        json.Append("]}");
        Genesis = StateJson.Parse(Encoding.UTF8.GetBytes(json.ToString()));
    }

    public Key[] Keys { get; }
    public TransactionBuilder[] Builders { get; }
    /// <summary>Account 0 collects the fees; it holds nothing at genesis.</summary>
    public Address Collector { get; }
    public WorldState Genesis { get; }

    public static Key KeyFrom(int n)
    {
        Span<byte> seed = stackalloc byte[32];
        SHA256.HashData(BitConverter.GetBytes(n), seed);
        return Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey);
    }

    public static string Hex(Address a) => Convert.ToHexStringLower(a.ToArray());

    /// <summary>The next block on <paramref name="state"/> holding <paramref name="records"/>.</summary>
    public Block Next(IStateReader state, IEnumerable<byte[]> records, Address? collector = null) =>
        BlockCodec.Decode(BlockCodec.Encode(state.ChainId, state.Height + 1, collector ?? Collector, state.StateRoot, records.ToList()));

    /// <summary>A mix of every kind and every status: valid transfers, swaps and routes with wrong nonces, fees, balances, pools, hops and limits, bad signatures, malformed records and another chain's.</summary>
    public List<byte[]> Mix(int count, int seed)
    {
        var rng = new Random(seed);
        var nonces = new ulong[Builders.Length];
        var records = new List<byte[]>();
        for (int k = 0; k < count; k++)
        {
            int i = 1 + rng.Next(Builders.Length - 1);
            var b = Builders[i];
            ulong nonce = rng.Next(20) == 0 ? nonces[i] + 1 : nonces[i];
            ulong fee = rng.Next(30) == 0 ? 5_000_000 : (ulong)rng.Next(0, 50);
            SignedTransaction tx;
            switch (rng.Next(3))
            {
                case 0:
                    var to = rng.Next(10) == 0 ? Builders[0].Sender : Builders[1 + rng.Next(Builders.Length - 1)].Sender;
                    tx = b.Transfer(nonce, fee, to, (uint)rng.Next(4), rng.Next(15) == 0 ? 9_000_000 : (ulong)rng.Next(0, 20_000));
                    break;
                case 1:
                    tx = b.Swap(nonce, fee, (uint)rng.Next(4), rng.Next(2) == 0, rng.Next(15) == 0 ? 1 : (ulong)rng.Next(1, 50_000), rng.Next(10) == 0 ? ulong.MaxValue : 0);
                    break;
                default:
                    var hops = new RouteHop[1 + rng.Next(4)];
                    uint token = (uint)rng.Next(4);
                    for (int h = 0; h < hops.Length; h++)
                    {
                        // Mostly chained hops through pool (token) or (token - 1), sometimes a broken or missing one.
                        bool forward = rng.Next(2) == 0;
                        uint pool = forward ? token : (token + 3) % 4;
                        if (rng.Next(12) == 0) pool = (uint)rng.Next(5);
                        hops[h] = new RouteHop(pool, forward);
                        token = forward ? (token + 1) % 4 : (token + 3) % 4;
                    }
                    tx = b.Route(nonce, fee, hops, rng.Next(15) == 0 ? 2 : (ulong)rng.Next(1, 40_000), rng.Next(12) == 0 ? ulong.MaxValue / 2 : 1);
                    break;
            }
            var record = tx.Record;
            switch (rng.Next(40))
            {
                case 0: record = (byte[])record.Clone(); record[^1] ^= 1; break;            // bad signature
                case 1: record = record[..^1]; break;                                     // malformed
                case 2: record = Builders[i].Transfer(nonce, fee, Collector, 0, 1).Record; record = (byte[])record.Clone(); record[2] ^= 1; break; // another chain (and so a bad signature too)
                default: nonces[i] = nonce + 1; break;
            }
            records.Add(record);
        }
        return records;
    }

    public static BlockPipeline Pipeline(ApplyMode mode, int threads = 2) =>
        new(new GpuExecOptions { Device = DeviceKind.Cpu, Threads = threads, Apply = mode, Lanes = mode == ApplyMode.Lanes ? threads : 0 });
}
