using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using GpuExec.Commitments;
using GpuExec.State;

namespace GpuExec.Bench.StateRoot;

/// <summary>The state_root stage: the Merkle root over n leaves, and a full state root after every account changed.</summary>
[MemoryDiagnoser]
public class MerkleBenchmarks
{
    private byte[] _leaves = [];
    private byte[] _work = [];
    private WorldState _state = null!;

    [Params(100_000, 1_000_000)]
    public int Leaves { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _leaves = new byte[Leaves * 32];
        RandomNumberGenerator.Fill(_leaves);
        _work = new byte[_leaves.Length];
        _state = Workloads.Make(0, 0, 0, accounts: Math.Min(Leaves, 200_000)).genesis;
    }

    [Benchmark]
    public byte MerkleRoot()
    {
        _leaves.CopyTo(_work, 0);
        Span<byte> root = stackalloc byte[32];
        Merkle.RootFromLeafHashes(_work, Leaves, root);
        return root[0];
    }

    [Benchmark]
    public int StateRootAllDirty()
    {
        var changes = new List<AccountChange>();
        foreach (var a in _state.Accounts.OrderBy(a => a.Address))
        {
            if (a.IsEmpty) continue;
            var after = a.Clone();
            after.Nonce++;
            changes.Add(new AccountChange(a.Address, a, after));
        }
        return _state.Apply(new ChangeSet([.. changes], []), _state.Height + 1).GetHashCode();
    }
}
