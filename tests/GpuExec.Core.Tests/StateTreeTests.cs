using System.Security.Cryptography;
using CsCheck;
using GpuExec.Commitments;
using GpuExec.Generation;
using GpuExec.Wire;

namespace GpuExec.Core.Tests;

/// <summary>
/// The sparse Merkle state tree against <see cref="SpecTree"/>, the SPEC's recursion written out:
/// whole trees, incremental updates with insertions and deletions across re-layouts of the
/// buckets, keys that share long prefixes, and proofs of present and absent keys.
/// </summary>
public class StateTreeTests
{
    /// <summary>A random key; with <paramref name="near"/>, one that shares a random-length prefix with it (deep single-child chains).</summary>
    private static byte[] NewKey(DeterministicRandom rng, byte[]? near = null)
    {
        var k = new byte[32];
        rng.Fill(k);
        if (near is not null)
        {
            int shared = rng.Below(200);
            for (int i = 0; i < shared; i++)
            {
                int mask = 0x80 >> (i % 8);
                k[i / 8] = (byte)((k[i / 8] & ~mask) | (near[i / 8] & mask));
            }
        }
        return k;
    }

    private static Hash32 H(byte[] b) => new(b);

    private static Hash32 SpecRoot(Dictionary<string, (byte[] Key, byte[] Vh)> set) =>
        H(SpecTree.RootOfValueHashes(set.Values.Select(v => (v.Key, v.Vh)).ToList()));

    [Fact]
    public void Roots_of_whole_trees_equal_the_specification()
    {
        Gen.Select(Gen.Int[0, 600], Gen.ULong, Gen.Double[0, 0.5]).Sample((n, seed, nearShare) =>
        {
            var rng = new DeterministicRandom(seed);
            var set = new Dictionary<string, (byte[] Key, byte[] Vh)>();
            var leaves = new List<TreeLeaf>();
            byte[]? last = null;
            for (int i = 0; i < n; i++)
            {
                var k = NewKey(rng, last is not null && rng.Chance(nearShare) ? last : null);
                if (!set.TryAdd(Convert.ToHexString(k), (k, SHA256.HashData(k.AsSpan(0, 7)))) ) continue;
                leaves.Add(new TreeLeaf { Key = new TreeKey(k), ValueHash = H(set[Convert.ToHexString(k)].Vh) });
                last = k;
            }
            var tree = SparseMerkleTree.Build([.. leaves]);
            Assert.Equal(SpecRoot(set), tree.Root);
            Assert.Equal(set.Count, tree.Count);
        }, iter: 200);
    }

    [Fact]
    public void The_empty_tree_is_ZERO_and_a_single_leaf_is_its_own_hash()
    {
        Assert.Equal(default, new SparseMerkleTree().Root);
        var k = new byte[32];
        k[0] = 0x80;
        var vh = SHA256.HashData([7]);
        var tree = SparseMerkleTree.Build([new TreeLeaf { Key = new TreeKey(k), ValueHash = H(vh) }]);
        Assert.Equal(H(SHA256.HashData([0, .. k, .. vh])), tree.Root);
    }

    /// <summary>
    /// Batches of insertions, changes and removals (a leaf emptied lets its sibling collapse
    /// upward), growing a tree from nothing past several re-layouts and shrinking it back: after
    /// every batch, the kept root equals the SPEC's and a tree built from scratch.
    /// </summary>
    [Fact]
    public void Incremental_updates_equal_the_specification_after_every_batch()
    {
        Gen.Select(Gen.ULong, Gen.Int[1, 60]).Sample((seed, rounds) =>
        {
            var rng = new DeterministicRandom(seed);
            var set = new Dictionary<string, (byte[] Key, byte[] Vh)>();
            var tree = new SparseMerkleTree();
            for (int r = 0; r < rounds; r++)
            {
                // Grow for the first half, then shrink: the buckets are re-laid both ways.
                bool growing = r < rounds / 2;
                int changes = 1 + rng.Below(growing ? 120 : 60);
                var batch = new Dictionary<string, TreeUpdate>();
                var keys = set.Values.Select(v => v.Key).ToList();
                for (int c = 0; c < changes; c++)
                {
                    int what = rng.Below(10);
                    if (keys.Count > 0 && (what < 3 || (!growing && what < 8)))
                    {
                        var k = keys[rng.Below(keys.Count)];
                        bool delete = !growing || rng.Chance(0.5);
                        var vh = SHA256.HashData([.. k, (byte)r, (byte)c]);
                        batch[Convert.ToHexString(k)] = new TreeUpdate { Key = new TreeKey(k), ValueHash = delete ? default : H(vh), Delete = delete };
                    }
                    else
                    {
                        var k = NewKey(rng, keys.Count > 0 && rng.Chance(0.3) ? keys[rng.Below(keys.Count)] : null);
                        if (set.ContainsKey(Convert.ToHexString(k))) continue;
                        batch[Convert.ToHexString(k)] = new TreeUpdate { Key = new TreeKey(k), ValueHash = H(SHA256.HashData(k)) };
                    }
                }
                foreach (var (hex, u) in batch)
                {
                    if (u.Delete) set.Remove(hex);
                    else
                    {
                        var kb = new byte[32];
                        u.Key.WriteTo(kb);
                        set[hex] = (kb, u.ValueHash.ToArray());
                    }
                }
                var sorted = batch.Values.OrderBy(u => u.Key).ToArray();
                var root = tree.Apply(sorted);
                Assert.Equal(SpecRoot(set), root);
                Assert.Equal(set.Count, tree.Count);
                Assert.InRange(tree.TopDepth, SparseMerkleTree.TopFor(set.Count) - 1, SparseMerkleTree.TopFor(set.Count) + 1);
            }
            var fresh = SparseMerkleTree.Build(set.Values.Select(v => new TreeLeaf { Key = new TreeKey(v.Key), ValueHash = H(v.Vh) }).ToArray());
            Assert.Equal(fresh.Root, tree.Root);
        }, iter: 60);
    }

    /// <summary>
    /// Blocks that touch thousands of buckets are planned in chunks on all cores, each chunk hashed
    /// on its own before the dense levels: the same roots as the SPEC's, through growth, changes and
    /// removals, with leaves whose keys share long prefixes.
    /// </summary>
    [Fact]
    public void Large_batches_planned_on_all_cores_equal_the_specification()
    {
        var rng = new DeterministicRandom(77);
        var set = new Dictionary<string, (byte[] Key, byte[] Vh)>();
        var tree = new SparseMerkleTree();
        for (int round = 0; round < 4; round++)
        {
            var batch = new Dictionary<string, TreeUpdate>();
            var keys = set.Values.Select(v => v.Key).ToList();
            for (int c = 0; c < 30_000; c++)
            {
                if (keys.Count > 0 && rng.Chance(0.5))
                {
                    var k = keys[rng.Below(keys.Count)];
                    bool delete = rng.Chance(0.3);
                    batch[Convert.ToHexString(k)] = new TreeUpdate { Key = new TreeKey(k), ValueHash = delete ? default : H(SHA256.HashData([.. k, (byte)round])), Delete = delete };
                }
                else
                {
                    var k = NewKey(rng, keys.Count > 0 && rng.Chance(0.1) ? keys[rng.Below(keys.Count)] : null);
                    if (!set.ContainsKey(Convert.ToHexString(k))) batch[Convert.ToHexString(k)] = new TreeUpdate { Key = new TreeKey(k), ValueHash = H(SHA256.HashData(k)) };
                }
            }
            foreach (var (hex, u) in batch)
            {
                if (u.Delete) { set.Remove(hex); continue; }
                var kb = new byte[32];
                u.Key.WriteTo(kb);
                set[hex] = (kb, u.ValueHash.ToArray());
            }
            var root = tree.Apply(batch.Values.OrderBy(u => u.Key).ToArray());
            var fresh = SparseMerkleTree.Build(set.Values.Select(v => new TreeLeaf { Key = new TreeKey(v.Key), ValueHash = H(v.Vh) }).ToArray());
            Assert.Equal(fresh.Root, root);
            Assert.Equal(set.Count, tree.Count);
        }
        // The SPEC's recursion once, on the final set (it is slow).
        Assert.Equal(SpecRoot(set), tree.Root);
    }

    private static TreeUpdate[] RandomBatch(DeterministicRandom rng, Dictionary<string, (byte[] Key, byte[] Vh)> set, int n, double deletes)
    {
        var batch = new Dictionary<string, TreeUpdate>();
        var keys = set.Values.Select(v => v.Key).ToList();
        for (int c = 0; c < n; c++)
        {
            if (keys.Count > 0 && rng.Chance(0.5))
            {
                var k = keys[rng.Below(keys.Count)];
                bool delete = rng.Chance(deletes);
                batch[Convert.ToHexString(k)] = new TreeUpdate { Key = new TreeKey(k), ValueHash = delete ? default : H(SHA256.HashData([.. k, (byte)c])), Delete = delete };
            }
            else
            {
                var k = NewKey(rng);
                batch[Convert.ToHexString(k)] = new TreeUpdate { Key = new TreeKey(k), ValueHash = H(SHA256.HashData(k)) };
            }
        }
        foreach (var (hex, u) in batch)
        {
            if (u.Delete) { set.Remove(hex); continue; }
            var kb = new byte[32];
            u.Key.WriteTo(kb);
            set[hex] = (kb, u.ValueHash.ToArray());
        }
        return batch.Values.OrderBy(u => u.Key).ToArray();
    }

    /// <summary>
    /// Deltas (blocks executed, not committed): a chain of three and a sibling, each previewed without
    /// changing the tree; their roots and proofs are the SPEC's for the state after them; committed in
    /// order they give those roots, and the sibling whose parent is no longer committed is refused.
    /// </summary>
    [Fact]
    public void Previews_read_as_the_tree_after_them_and_commit_in_order()
    {
        var rng = new DeterministicRandom(31);
        var set = new Dictionary<string, (byte[] Key, byte[] Vh)>();
        var tree = new SparseMerkleTree();
        tree.Apply(RandomBatch(rng, set, 3000, 0));
        var root0 = tree.Root;
        var states = new List<Dictionary<string, (byte[], byte[])>>();
        var deltas = new List<TreeDelta>();
        ITreeView parent = tree;
        for (int i = 0; i < 3; i++)
        {
            var d = tree.Preview(parent, RandomBatch(rng, set, 700 + 2000 * i, 0.3), runner: null);
            Assert.Equal(SpecRoot(set), d.Root);
            Assert.Equal(set.Count, d.Count);
            states.Add(new(set));
            deltas.Add(d);
            parent = d;
            Assert.Equal(root0, tree.Root);
        }
        // Proofs read through the last delta verify under its root.
        foreach (var (key, _) in set.Values.Take(50))
        {
            var (siblings, leaf) = SparseMerkleTree.Prove(deltas[^1], new TreeKey(key));
            var verdict = new StateProof(deltas[^1].Root, 3, new TreeKey(key), leaf is { } l ? new ProofLeaf(l.Key, l.ValueHash) : null, siblings).Verify();
            Assert.True(verdict.Valid && verdict.Inclusion, verdict.Reason);
        }
        var siblingSet = new Dictionary<string, (byte[] Key, byte[] Vh)>(states[0]);
        var sibling = tree.Preview(deltas[0], RandomBatch(rng, siblingSet, 100, 0.2), runner: null);
        for (int i = 0; i < 3; i++) Assert.Equal(deltas[i].Root, tree.Commit(deltas[i]));
        Assert.Equal(SpecRoot(states[2]), tree.Root);
        Assert.Throws<InvalidOperationException>(() => tree.Commit(sibling));
        // The committed tree keeps working from there, as if the blocks had been applied directly.
        var more = RandomBatch(rng, set, 500, 0.3);
        Assert.Equal(SpecRoot(set), tree.Apply(more));
    }

    /// <summary>
    /// A parent whose commit makes the buckets re-lay (the tree grew fourfold): its child, made on the
    /// old layout, still reads as the tree after it and commits by recomputing itself, same root.
    /// </summary>
    [Fact]
    public void A_delta_made_before_a_re_layout_commits_with_the_same_root()
    {
        var rng = new DeterministicRandom(32);
        var set = new Dictionary<string, (byte[] Key, byte[] Vh)>();
        var tree = new SparseMerkleTree();
        tree.Apply(RandomBatch(rng, set, 400, 0));
        int top = tree.TopDepth;
        var grow = tree.Preview(tree, RandomBatch(rng, set, 6000, 0.2), runner: null);
        var child = tree.Preview(grow, RandomBatch(rng, set, 300, 0.3), runner: null);
        var expected = SpecRoot(set);
        tree.Commit(grow);
        Assert.NotEqual(top, tree.TopDepth);
        var (siblings, leaf) = SparseMerkleTree.Prove(child, new TreeKey(set.Values.First().Key));
        Assert.True(new StateProof(child.Root, 2, new TreeKey(set.Values.First().Key), leaf is { } l ? new ProofLeaf(l.Key, l.ValueHash) : null, siblings).Verify().Inclusion);
        Assert.Equal(expected, tree.Commit(child));
    }

    [Fact]
    public void Removing_a_key_the_tree_does_not_hold_is_refused_and_changes_nothing()
    {
        var rng = new DeterministicRandom(5);
        var leaves = Enumerable.Range(0, 50).Select(_ => new TreeLeaf { Key = new TreeKey(NewKey(rng)), ValueHash = H(NewKey(rng)) }).ToArray();
        var tree = SparseMerkleTree.Build(leaves);
        var root = tree.Root;
        Assert.Throws<InvalidOperationException>(() => tree.Apply([new TreeUpdate { Key = new TreeKey(NewKey(rng)), Delete = true }]));
        Assert.Equal(root, tree.Root);
        Assert.Equal(50, tree.Count);
        Assert.Throws<ArgumentException>(() => tree.Apply([new TreeUpdate { Key = leaves[1].Key, ValueHash = leaves[0].ValueHash }, new TreeUpdate { Key = leaves[1].Key, Delete = true }]));
    }

    /// <summary>
    /// For every present key and many absent ones (some sharing long prefixes with present keys, so
    /// their paths end at another leaf), the tree's proof verifies by the SPEC's algorithm with the
    /// right verdict, by the library's verifier and by <see cref="SpecTree.Verify"/> alike.
    /// </summary>
    [Fact]
    public void Proofs_of_present_and_absent_keys_verify_by_the_specification()
    {
        foreach (int n in new[] { 0, 1, 2, 7, 40, 300, 3000 })
        {
            var rng = new DeterministicRandom((ulong)n + 11);
            var keys = new List<byte[]>();
            for (int i = 0; i < n; i++) keys.Add(NewKey(rng, keys.Count > 0 && rng.Chance(0.2) ? keys[^1] : null));
            keys = keys.DistinctBy(Convert.ToHexString).ToList();
            var tree = SparseMerkleTree.Build(keys.Select(k => new TreeLeaf { Key = new TreeKey(k), ValueHash = H(SHA256.HashData(k)) }).ToArray());
            var root = tree.Root.ToArray();
            var probes = keys.Select(k => (k, true)).ToList();
            for (int i = 0; i < 200; i++) probes.Add((NewKey(rng, keys.Count > 0 && rng.Chance(0.5) ? keys[rng.Below(keys.Count)] : null), false));
            foreach (var (k, present) in probes)
            {
                var (siblings, leaf) = tree.Prove(new TreeKey(k));
                var proof = new StateProof(tree.Root, 9, new TreeKey(k), leaf is { } l ? new ProofLeaf(l.Key, l.ValueHash) : null, siblings);
                var verdict = proof.Verify();
                Assert.True(verdict.Valid, verdict.Reason);
                Assert.Equal(present, verdict.Inclusion);
                var spec = SpecTree.Verify(root, k, leaf is { } m ? (m.Key.ToHash32().ToArray(), m.ValueHash.ToArray()) : null, siblings.Select(s => s.ToArray()).ToList(), null);
                Assert.Equal(present ? "inclusion" : "exclusion", spec);
            }
        }
    }
}

/// <summary>The shared v2 example: its root and its proofs, checked by the library and by <see cref="SpecTree"/>.</summary>
public class ConformanceTwoTreeTests
{
    private static string Example(params string[] parts) => TestPaths.Shared(["examples", "conformance-2", .. parts]);


    [Fact]
    public void The_tree_of_the_expected_dump_has_the_expected_root()
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllBytes(Example("expected-dump.json")))!.AsObject();
        var expected = Hash32.FromHex(node["state_root"]!.GetValue<string>());
        node.Remove("state_root");
        var state = State.StateJson.Parse(System.Text.Encoding.UTF8.GetBytes(node.ToJsonString()), "expected-dump.json");
        var tree = SparseMerkleTree.Build(TreeUpdates.Leaves(state.Accounts, state.Pools));
        Assert.Equal(expected, tree.Root);
        // The same from the SPEC's recursion over the leaf data.
        var leaves = new List<(byte[], byte[])>();
        foreach (var a in state.Accounts.Where(a => !a.IsEmpty))
        {
            var data = new byte[LeafEncoding.AccountLeafSize(a)];
            LeafEncoding.WriteAccountLeaf(a, data);
            leaves.Add((SpecTree.KeyOf(data), data));
        }
        foreach (var p in state.Pools)
        {
            var data = new byte[LeafEncoding.PoolLeafSize];
            LeafEncoding.WritePoolLeaf(p, data);
            leaves.Add((SpecTree.KeyOf(data), data));
        }
        Assert.Equal(expected, new Hash32(SpecTree.Root(leaves)));
    }

    [Theory]
    [InlineData("inclusion-account.json", "inclusion")]
    [InlineData("inclusion-pool.json", "inclusion")]
    [InlineData("exclusion-account.json", "exclusion")]
    [InlineData("exclusion-pool.json", "exclusion")]
    [InlineData("exclusion-empty.json", "exclusion")]
    [InlineData("invalid-data.json", "invalid")]
    [InlineData("invalid-short.json", "invalid")]
    public void Each_example_proof_gets_its_verdict(string file, string verdict)
    {
        var proof = StateProof.Parse(File.ReadAllBytes(Example("proofs", file)), file);
        var v = proof.Verify();
        Assert.Equal(verdict != "invalid", v.Valid);
        Assert.Equal(verdict == "inclusion", v.Inclusion);
        Assert.Equal(verdict, Spec(proof, proof.Root));
        if (v.Valid)
        {
            // Against another root, a valid proof fails.
            var other = new Hash32(SHA256.HashData(proof.Root.ToArray()));
            Assert.False(proof.Verify(other).Valid);
        }
    }

    internal static string Spec(StateProof p, Hash32 root) =>
        SpecTree.Verify(root.ToArray(), p.Key.ToHash32().ToArray(), p.Leaf is { } l ? (l.Key.ToHash32().ToArray(), l.ValueHash.ToArray()) : null,
            p.Siblings.Select(s => s.ToArray()).ToList(), p.Data?.ToArray());

    /// <summary>
    /// Any change to a valid proof (a byte of a sibling, of the key, of the leaf's key or value hash,
    /// of the data; a sibling removed or added) makes it invalid, for the library and the SPEC alike.
    /// The one exception is the SPEC's own: a proof without data whose key changes below the end of
    /// its path proves, correctly, that the changed key is absent too (its path ends at the same
    /// empty subtree or other leaf), and stays a valid exclusion, never an inclusion.
    /// </summary>
    [Fact]
    public void A_proof_with_any_byte_changed_or_a_sibling_removed_or_added_is_refused()
    {
        var proofs = Directory.GetFiles(Example("proofs"), "*.json").Select(f => StateProof.Parse(File.ReadAllBytes(f), f)).Where(p => p.Verify().Valid).ToArray();
        Assert.Equal(5, proofs.Length);
        Gen.Select(Gen.Int[0, proofs.Length - 1], Gen.Int[0, 5], Gen.Int[0, 1 << 20], Gen.Int[0, 7]).Sample((which, part, pos, bit) =>
        {
            var p = proofs[which];
            var siblings = p.Siblings.ToList();
            var key = p.Key.ToHash32().ToArray();
            var leaf = p.Leaf;
            var data = p.Data?.ToArray();
            switch (part)
            {
                case 0: { var s = siblings[pos % siblings.Count].ToArray(); s[pos / 7 % 32] ^= (byte)(1 << bit); siblings[pos % siblings.Count] = new Hash32(s); break; }
                case 1: key[pos % 32] ^= (byte)(1 << bit); break; // bit 8 (pos % 32) + 7 - bit of the key
                case 2 when leaf is { } l: { var k = l.Key.ToHash32().ToArray(); k[pos % 32] ^= (byte)(1 << bit); leaf = l with { Key = new TreeKey(k) }; break; }
                case 3 when leaf is { } l: { var v = l.ValueHash.ToArray(); v[pos % 32] ^= (byte)(1 << bit); leaf = l with { ValueHash = new Hash32(v) }; break; }
                case 4 when data is not null: data[pos % data.Length] ^= (byte)(1 << bit); break;
                case 4: siblings.Add(new Hash32(SHA256.HashData(BitConverter.GetBytes(pos)))); break;
                default: siblings.RemoveAt(pos % siblings.Count); break;
            }
            var changed = new StateProof(p.Root, p.Height, new TreeKey(key), leaf, siblings, data, hasData: data is not null);
            if (part == 1 && data is null && 8 * (pos % 32) + 7 - bit >= siblings.Count)
            {
                Assert.Equal(new ProofVerdict(true, false, ""), changed.Verify());
                Assert.Equal("exclusion", Spec(changed, p.Root));
                return;
            }
            Assert.False(changed.Verify().Valid);
            Assert.Equal("invalid", Spec(changed, p.Root));
        }, iter: 3000);
    }
}
