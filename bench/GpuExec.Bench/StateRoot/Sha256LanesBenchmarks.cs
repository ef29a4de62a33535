using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using GpuExec.Commitments;

namespace GpuExec.Bench.StateRoot;

/// <summary>
/// 20,000 Merkle node hashes (65 bytes each) on one thread: one platform call per node against
/// the lane-parallel SHA-256 at each width this machine has. tx_root, txids and the state root hash
/// batches like this.
/// </summary>
public class Sha256LanesBenchmarks
{
    private const int Nodes = 20_000;
    private readonly byte[] _level = new byte[64 * Nodes];
    private readonly byte[] _digests = new byte[32 * Nodes];

    [Params(1, 8, 16)]
    public int Lanes { get; set; }

    [GlobalSetup]
    public void Setup() => RandomNumberGenerator.Fill(_level);

    [Benchmark(Baseline = true)]
    public byte OneCallPerNode()
    {
        for (int i = 0; i < Nodes; i++)
            Merkle.NodeHash(_level.AsSpan(64 * i, 32), _level.AsSpan(64 * i + 32, 32), _digests.AsSpan(32 * i, 32));
        return _digests[0];
    }

    [Benchmark]
    public byte LanesOneThread()
    {
        if (Lanes > Sha256Lanes.Width) return 0;
        Sha256Lanes.Hash(_level, new PairMessages(Nodes), 1, _digests, Lanes, parallel: false);
        return _digests[0];
    }
}
