using GpuExec.Engine.Devices;
using GpuExec.Engine.Verify;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Engine.Tests;

/// <summary>
/// The shared v2 example (two blocks, every status, routes of one to four hops) through every
/// executor, device, apply mode, verifier and lane count: the dump after both blocks and the
/// second block's receipts equal the expected files, and each block's change set is the same.
/// On <c>ilgpu-cpu</c> the state root runs as kernels.
/// </summary>
[Collection(IlgpuCollection.Name)]
public class ConformanceTwoTests(IlgpuFixture ilgpu)
{
    private static string Example(string file) => TestPaths.Shared("examples", "conformance-2", file);

    private static readonly Block[] Chain = [BlockCodec.ReadFile(Example("block-1.gxb")), BlockCodec.ReadFile(Example("block-2.gxb"))];

    public static TheoryData<string, string, int, string> Configurations() => new()
    {
        { "cpu", "in-order", 1, "simd" },
        { "cpu", "in-order", 2, "libsodium" },
        { "cpu", "lanes", 1, "simd" },
        { "cpu", "lanes", 2, "simd" },
        { "cpu", "lanes", 4, "libsodium" },
        { "ilgpu-cpu", "lanes", 2, "device" },
        { "ilgpu-cpu", "in-order", 1, "device" },
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public async Task Conformance_2_through_the_pipeline_equals_the_expected_files(string device, string apply, int threads, string verifier)
    {
        var mode = apply == "lanes" ? ApplyMode.Lanes : ApplyMode.InOrder;
        var options = new GpuExecOptions
        {
            Device = DeviceKindNames.Parse(device), Apply = mode, Threads = threads, Lanes = mode == ApplyMode.Lanes ? threads : 0,
            Verifier = verifier == "libsodium" ? VerifierKind.Libsodium : VerifierKind.Auto,
        };
        using var pipeline = device == "cpu" ? new BlockPipeline(options) : new BlockPipeline(options, ilgpu.Device);
        var reference = StateJson.ReadFile(Example("genesis.json"));
        var state = StateJson.ReadFile(Example("genesis.json"));
        BlockExecution? last = null;
        int i = 0;
        await foreach (var run in pipeline.ExecuteStreamAsync(Chain, state, TestContext.Current.CancellationToken))
        {
            var expected = Execution.SequentialExecutor.Execute(reference, Chain[i++]);
            ChangeSetAssert.Equal(expected.Changes, run.Result.Changes);
            Assert.Equal(expected.StateRoot, run.Result.StateRoot);
            last = run;
        }
        Assert.Equal(2, i);
        ConformanceExample.AssertMatchesExpected(state, last!.Result);
    }
}
