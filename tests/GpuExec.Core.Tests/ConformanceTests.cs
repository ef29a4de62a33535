using System.Text.Json;
using GpuExec.Execution;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Core.Tests;

public class ConformanceTests
{
    [Fact]
    public void Conformance_1_dump_and_receipts_equal_the_expected_files()
    {
        var state = StateJson.ReadFile(TestPaths.Shared("examples", "conformance-1", "genesis.json"));
        var block = BlockCodec.ReadFile(TestPaths.Shared("examples", "conformance-1", "block.gxb"));
        var result = SequentialExecutor.Execute(state, block);

        using var ms = new MemoryStream();
        StateJson.WriteDump(state, ms);
        var expectedDump = File.ReadAllBytes(TestPaths.Shared("examples", "conformance-1", "expected-dump.json"));
        AssertJsonEqual(expectedDump, ms.ToArray());

        var expected = File.ReadAllLines(TestPaths.Shared("examples", "conformance-1", "expected-receipts.jsonl"))
            .Where(l => l.Length > 0).ToArray();
        var sw = new StringWriter();
        result.WriteReceipts(sw);
        var actual = sw.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            AssertJsonEqual(System.Text.Encoding.UTF8.GetBytes(expected[i]), System.Text.Encoding.UTF8.GetBytes(actual[i]));
    }

    internal static void AssertJsonEqual(byte[] expected, byte[] actual)
    {
        using var e = JsonDocument.Parse(expected);
        using var a = JsonDocument.Parse(actual);
        Assert.True(JsonElement.DeepEquals(e.RootElement, a.RootElement),
            $"JSON differs:\nexpected {System.Text.Encoding.UTF8.GetString(expected)[..Math.Min(2000, expected.Length)]}\nactual   {System.Text.Encoding.UTF8.GetString(actual)[..Math.Min(2000, actual.Length)]}");
    }
}
