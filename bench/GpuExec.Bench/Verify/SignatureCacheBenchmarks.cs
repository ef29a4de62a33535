using BenchmarkDotNet.Attributes;
using GpuExec.Engine.Verify;
using GpuExec.Model;

namespace GpuExec.Bench.Verify;

/// <summary>
/// The signature cache's cost per transaction (the reported time per operation): a block's lookup
/// when every transaction is cached (hits) and when none is (misses), single lookups, and adds into
/// a full cache (each evicts the oldest). Compare with SignatureBenchmarks' time per verification.
/// </summary>
[MemoryDiagnoser]
public class SignatureCacheBenchmarks
{
    private const int Txs = 100_000;
    private SignatureCache _cache = null!;
    private byte[] _held = [], _absent = [], _fresh = [];
    private TxStatus[] _statuses = [];
    private bool[] _verdicts = [];

    /// <summary>Verdicts held by the cache.</summary>
    [Params(1_000, 100_000, 1_000_000)]
    public int Entries { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        var filled = new byte[32 * Entries];
        rng.NextBytes(filled);
        _cache = new SignatureCache(new SignatureCacheOptions { MaxEntries = Entries });
        for (int i = 0; i < Entries; i++) _cache.Add(filled.AsSpan(32 * i, 32), (i & 7) != 0);
        // A block's worth of the held txids, in another order than they were added.
        _held = new byte[32 * Txs];
        for (int i = 0; i < Txs; i++) filled.AsSpan(32 * rng.Next(Entries), 32).CopyTo(_held.AsSpan(32 * i));
        _absent = new byte[32 * Txs];
        rng.NextBytes(_absent);
        _fresh = new byte[32 * Txs];
        rng.NextBytes(_fresh);
        _statuses = new TxStatus[Txs];
        _verdicts = new bool[Txs];
    }

    [Benchmark(OperationsPerInvoke = Txs)]
    public int BlockLookupHits() => _cache.Lookup(_held, _statuses, _verdicts).Hits;

    [Benchmark(OperationsPerInvoke = Txs)]
    public int BlockLookupMisses() => _cache.Lookup(_absent, _statuses, _verdicts).MissCount;

    [Benchmark(OperationsPerInvoke = Txs)]
    public int TryGetHits()
    {
        int valid = 0;
        for (int i = 0; i < Txs; i++)
            if (_cache.TryGet(_held.AsSpan(32 * i, 32), out bool v) && v) valid++;
        return valid;
    }

    [Benchmark(OperationsPerInvoke = Txs)]
    public int TryGetMisses()
    {
        int found = 0;
        for (int i = 0; i < Txs; i++)
            if (_cache.TryGet(_absent.AsSpan(32 * i, 32), out _)) found++;
        return found;
    }

    private ulong _round;

    /// <summary>Adds into the full cache, each evicting the oldest; the last 8 bytes carry the invocation so the txids are always new.</summary>
    [Benchmark(OperationsPerInvoke = Txs)]
    public int AddEvicting()
    {
        _round++;
        for (int i = 0; i < Txs; i++)
        {
            var key = _fresh.AsSpan(32 * i, 32);
            BitConverter.TryWriteBytes(key[24..], _round);
            _cache.Add(key, true);
        }
        return _cache.Count;
    }
}
