using GpuExec.Commitments;
using GpuExec.Execution;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Core.Tests;

public class ConformanceTests
{
    private static WorldState Final(out BlockResult last)
    {
        var state = StateJson.ReadFile(ConformanceExample.File("genesis.json"));
        SequentialExecutor.Execute(state, BlockCodec.ReadFile(ConformanceExample.File("block-1.gxb")));
        last = SequentialExecutor.Execute(state, BlockCodec.ReadFile(ConformanceExample.File("block-2.gxb")));
        return state;
    }

    /// <summary>The reference executor on the shared v2 example: the dump after both blocks and block 2's receipts equal the expected files.</summary>
    [Fact]
    public void Conformance_2_dump_and_receipts_equal_the_expected_files()
    {
        var state = Final(out var last);
        ConformanceExample.AssertMatchesExpected(state, last);
    }

    /// <summary>
    /// The state's proofs for every account and pool of the example's final state, and for 1,000
    /// random absent keys, verify by the SPEC's algorithm written out in tests (<see cref="SpecTree"/>)
    /// with the right verdict; the example's own valid proofs are exactly the state's.
    /// </summary>
    [Fact]
    public void Proofs_of_every_account_pool_and_1000_absent_keys_verify_by_the_specification()
    {
        var state = Final(out _);
        var root = state.StateRoot;
        foreach (var a in state.Accounts)
            Check(state.GetProof(a.Address), !a.IsEmpty);
        foreach (var p in state.Pools)
            Check(state.GetProof(p.Id), true);
        var rng = new Generation.DeterministicRandom(12);
        var b = new byte[32];
        for (int i = 0; i < 1000; i++)
        {
            rng.Fill(b);
            Check(state.GetProof(new Model.Address(b)), false);
        }
        Check(state.GetProof(uint.MaxValue), false);

        foreach (var file in new[] { "inclusion-account.json", "inclusion-pool.json", "exclusion-account.json", "exclusion-pool.json", "exclusion-empty.json" })
        {
            var expected = StateProof.Parse(File.ReadAllBytes(ConformanceExample.File(Path.Combine("proofs", file))), file);
            // The key of an inclusion names the account or pool through its data; an exclusion's key is H(0x01 || some address) we cannot invert, so compare the proof the tree gives for that key.
            var (siblings, leaf) = state.Tree.Prove(expected.Key);
            Assert.Equal(expected.Siblings, siblings);
            Assert.Equal(expected.Leaf, leaf is { } l ? new ProofLeaf(l.Key, l.ValueHash) : null);
            Assert.Equal(expected.Root, root);
        }

        void Check(StateProof proof, bool present)
        {
            Assert.Equal(root, proof.Root);
            Assert.Equal(2UL, proof.Height);
            var verdict = ConformanceTwoTreeTests.Spec(proof, root);
            Assert.Equal(present ? "inclusion" : "exclusion", verdict);
            Assert.Equal(new ProofVerdict(true, present, ""), proof.Verify());
            using var ms = new MemoryStream();
            proof.WriteJson(ms);
            var back = StateProof.Parse(ms.ToArray());
            Assert.Equal(verdict, ConformanceTwoTreeTests.Spec(back, root));
            Assert.Equal(proof.Data?.ToArray(), back.Data?.ToArray());
        }
    }
}
