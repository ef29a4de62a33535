using BenchmarkDotNet.Attributes;
using GpuExec.Commitments;
using GpuExec.Model;
using GpuExec.State;

namespace GpuExec.Bench.StateRoot;

/// <summary>
/// The state_root stage's SPEC v2 tree: one block's update (50,000 changed accounts, a third of
/// them new: keys and value hashes computed, buckets and dense paths rehashed) over 10^5, 10^6
/// and 10^7 accounts in memory. Each iteration's setup undoes the previous block (not timed), so
/// every timed block meets a tree of the same size. The update should grow with log n, not n.
/// </summary>
[MemoryDiagnoser]
public class StateTreeUpdateBenchmarks
{
    private SparseMerkleTree _tree = null!;
    private ChangeSet _forward = null!, _back = null!;
    private bool _applied;

    [Params(100_000, 1_000_000, 10_000_000)]
    public int Accounts { get; set; }

    public const int Changed = 50_000;

    [GlobalSetup]
    public void Setup()
    {
        _tree = StateTrees.Build(Accounts);
        var rng = new Random(7);
        var forward = new List<AccountChange>();
        var back = new List<AccountChange>();
        var picked = new HashSet<int>();
        while (picked.Count < Changed * 2 / 3) picked.Add(rng.Next(Accounts));
        foreach (int i in picked)
        {
            var before = StateTrees.Account(i);
            var after = before.Clone();
            after.Nonce++;
            after.SetBalance(1, 5);
            forward.Add(new AccountChange(before.Address, before, after));
            back.Add(new AccountChange(before.Address, after, before));
        }
        for (int k = 0; k < Changed / 3; k++)
        {
            var created = StateTrees.Account(Accounts + k);
            forward.Add(new AccountChange(created.Address, null, created));
            back.Add(new AccountChange(created.Address, created, null));
        }
        _forward = new ChangeSet([.. forward.OrderBy(c => c.Address)], []);
        _back = new ChangeSet([.. back.OrderBy(c => c.Address)], []);
    }

    [IterationSetup]
    public void Undo()
    {
        if (_applied) _tree.Apply(_back);
        _applied = false;
    }

    [Benchmark]
    public int UpdateOneBlock()
    {
        _applied = true;
        return _tree.Apply(_forward).GetHashCode();
    }
}

/// <summary>The whole-state root (a genesis, a dump): every leaf's key, value hash and leaf hash, the buckets and the dense levels, on all cores.</summary>
[MemoryDiagnoser]
public class StateTreeBuildBenchmarks
{
    private TreeLeaf[] _leaves = [];

    [Params(1_000_000, 10_000_000)]
    public int Accounts { get; set; }

    [GlobalSetup]
    public void Setup() => _leaves = StateTrees.Leaves(Accounts);

    [Benchmark]
    public int WholeStateRoot() => SparseMerkleTree.Build(_leaves).Root.GetHashCode();
}

/// <summary>Deterministic accounts (address from the index) and the trees of their leaves.</summary>
internal static class StateTrees
{
    public static Account Account(int i)
    {
        var b = new byte[32];
        BitConverter.TryWriteBytes(b, (ulong)i * 0x9E3779B97F4A7C15UL);
        BitConverter.TryWriteBytes(b.AsSpan(8), (ulong)i);
        System.Security.Cryptography.SHA256.HashData(b, b);
        var a = new Account(new Address(b)) { Nonce = (ulong)(i % 7) };
        a.SetBalance(0, 1_000_000 + (ulong)i);
        return a;
    }

    /// <summary>Leaves of accounts 0..n-1 (keys and value hashes, made a million accounts at a time).</summary>
    public static TreeLeaf[] Leaves(int n)
    {
        var leaves = new TreeLeaf[n];
        const int Batch = 1 << 20;
        for (int from = 0; from < n; from += Batch)
        {
            int count = Math.Min(Batch, n - from);
            var accounts = new Account[count];
            Parallel.For(0, count, i => accounts[i] = Account(from + i));
            TreeUpdates.Leaves(accounts, []).CopyTo(leaves, from);
        }
        return leaves;
    }

    public static SparseMerkleTree Build(int n) => SparseMerkleTree.Build(Leaves(n));
}
