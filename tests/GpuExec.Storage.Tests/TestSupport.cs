using GpuExec.Generation;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Storage.Tests;

/// <summary>A scratch directory under the temp folder, removed on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "gpuexec-store-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
    }

    /// <summary>The directory; not created (the store creates it).</summary>
    public string Path { get; }

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

/// <summary>A generated genesis and chain of blocks, made once per set of options.</summary>
internal sealed class TestChain
{
    private static readonly Dictionary<GeneratorOptions, TestChain> Cache = [];

    private TestChain(GeneratorOptions o)
    {
        var gen = new BlockGenerator(o);
        _genesis = gen.Genesis.Clone();
        Blocks = new byte[o.Blocks][];
        for (int i = 0; i < o.Blocks; i++) Blocks[i] = gen.NextBlock();
    }

    private readonly WorldState _genesis;

    /// <summary>A fresh copy of the genesis (tests run in parallel; computing a root changes a state's cache).</summary>
    public WorldState Genesis => _genesis.Clone();
    public byte[][] Blocks { get; }

    /// <summary>Block i (0-based; height i+1), decoded afresh.</summary>
    public Block Block(int i) => BlockCodec.Decode(Blocks[i], $"block {i + 1}");

    public static TestChain Get(GeneratorOptions o)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(o, out var c)) Cache[o] = c = new TestChain(o);
            return c;
        }
    }

    /// <summary>Small and quick, with every receipt status: 300 accounts, 6 blocks of 800 transactions.</summary>
    public static TestChain Small => Get(new GeneratorOptions { Accounts = 300, TxsPerBlock = 800, Pools = 3, Blocks = 6, InvalidRatio = 0.1, Skew = 0.8, Seed = 11 });

    public static byte[] Dump(WorldState s)
    {
        using var m = new MemoryStream();
        StateJson.WriteDump(s, m);
        return m.ToArray();
    }
}

/// <summary>Hand-made genesis and signed transfers, for cases the generator does not make.</summary>
internal sealed class Keys
{
    private readonly byte[] _secret = new byte[64];

    public Keys(byte seedByte)
    {
        var seed = new byte[32];
        seed.AsSpan().Fill(seedByte);
        var pk = new byte[32];
        Crypto.Libsodium.Ed25519KeyPairFromSeed(seed, pk, _secret);
        Address = new Model.Address(pk);
    }

    public Model.Address Address { get; }

    public byte[] Transfer(uint chainId, ulong nonce, ulong fee, Model.Address to, uint token, ulong amount)
    {
        var rec = new byte[Model.TransactionView.TransferSize];
        Model.TransactionEncoder.WriteTransferBody(rec, chainId, Address, nonce, fee, to, token, amount);
        Crypto.Libsodium.Ed25519Sign(_secret, rec.AsSpan(0, Model.TransactionView.TransferBodySize), rec.AsSpan(Model.TransactionView.TransferBodySize));
        return rec;
    }

    /// <summary>A genesis JSON of chain <paramref name="chainId"/> where each key holds <paramref name="balance"/> of tokens 0 and 1, plus one pool.</summary>
    public static WorldState Genesis(uint chainId, ulong balance, params Keys[] keys)
    {
        var accounts = string.Join(",", keys.Select(k => $"{{\"address\":\"{k.Address.ToHex()}\",\"balances\":{{\"0\":{balance},\"1\":{balance}}}}}"));
        var json = $"{{\"chain_id\":{chainId},\"accounts\":[{accounts}],\"pools\":[{{\"id\":7,\"token_a\":0,\"token_b\":1,\"reserve_a\":1000000,\"reserve_b\":2000000,\"fee_bps\":30}}]}}";
        return StateJson.Parse(System.Text.Encoding.UTF8.GetBytes(json), "test genesis");
    }
}
