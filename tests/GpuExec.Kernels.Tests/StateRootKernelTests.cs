using System.Security.Cryptography;
using GpuExec.Commitments;
using GpuExec.Engine.StateRoot;
using GpuExec.Wire;

namespace GpuExec.Kernels.Tests;

/// <summary>
/// The state tree's per-block update run by the device kernels (one launch per wave) against the
/// same tree on the host, after every batch of insertions, changes and removals, and against
/// <see cref="SpecTree"/>'s recursion.
/// </summary>
public abstract class StateRootKernelTests(AcceleratorFixture fixture)
{
    [Fact]
    public void Device_updates_give_the_hosts_roots_and_the_specifications()
    {
        using var runner = new IlgpuHashPlanRunner(fixture.Accelerator);
        var rng = new Random(42);
        var device = new SparseMerkleTree(runner);
        var host = new SparseMerkleTree();
        var set = new Dictionary<string, (byte[] Key, byte[] Vh)>();
        int rounds = fixture.IsEmulator ? 6 : 20, perRound = fixture.IsEmulator ? 150 : 5000;
        var kb = new byte[32];
        for (int r = 0; r < rounds; r++)
        {
            var batch = new Dictionary<string, TreeUpdate>();
            var keys = set.Values.Select(v => v.Key).ToList();
            for (int c = 0; c < perRound; c++)
            {
                if (keys.Count > 0 && rng.NextDouble() < 0.4)
                {
                    var k = keys[rng.Next(keys.Count)];
                    bool delete = rng.NextDouble() < 0.3;
                    batch[Convert.ToHexString(k)] = new TreeUpdate { Key = new TreeKey(k), ValueHash = delete ? default : new Hash32(SHA256.HashData([.. k, (byte)r])), Delete = delete };
                }
                else
                {
                    rng.NextBytes(kb);
                    var k = (byte[])kb.Clone();
                    if (keys.Count > 0 && rng.NextDouble() < 0.2) keys[rng.Next(keys.Count)].AsSpan(0, 3).CopyTo(k); // a shared prefix
                    if (!set.ContainsKey(Convert.ToHexString(k))) batch[Convert.ToHexString(k)] = new TreeUpdate { Key = new TreeKey(k), ValueHash = new Hash32(SHA256.HashData(k)) };
                }
            }
            foreach (var (hex, u) in batch)
            {
                if (u.Delete) { set.Remove(hex); continue; }
                var key = new byte[32];
                u.Key.WriteTo(key);
                set[hex] = (key, u.ValueHash.ToArray());
            }
            var sorted = batch.Values.OrderBy(u => u.Key).ToArray();
            Assert.Equal(host.Apply(sorted), device.Apply(sorted));
        }
        Assert.Equal(new Hash32(SpecTree.RootOfValueHashes(set.Values.Select(v => (v.Key, v.Vh)).ToList())), device.Root);
    }
}

[Collection("ilgpu-cpu")]
public sealed class StateRootKernelTestsIlgpuCpu(IlgpuCpuFixture f) : StateRootKernelTests(f);

[Collection("cuda")]
public sealed class StateRootKernelTestsCuda(CudaFixture f) : StateRootKernelTests(f);
