using System.Text.Json;
using GpuExec.Execution;
using GpuExec.State;

namespace GpuExec.Testing;

/// <summary>The shared SPEC v2 example, <c>../shared/examples/conformance-2</c>: its files and how a run is compared with them.</summary>
internal static class ConformanceExample
{
    public static string File(string name) => TestPaths.Shared("examples", "conformance-2", name);

    /// <summary>The dump equals <c>expected-dump.json</c> as JSON, and every receipt of the last block its expected line.</summary>
    public static void AssertMatchesExpected(WorldState state, BlockResult last)
    {
        using var ms = new MemoryStream();
        StateJson.WriteDump(state, ms);
        AssertJsonEqual(System.IO.File.ReadAllBytes(File("expected-dump.json")), ms.ToArray());
        var expected = System.IO.File.ReadAllLines(File("expected-receipts.jsonl")).Where(l => l.Length > 0).ToArray();
        var sw = new StringWriter();
        last.WriteReceipts(sw);
        var actual = sw.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            AssertJsonEqual(System.Text.Encoding.UTF8.GetBytes(expected[i]), System.Text.Encoding.UTF8.GetBytes(actual[i]));
    }

    public static void AssertJsonEqual(byte[] expected, byte[] actual)
    {
        using var e = JsonDocument.Parse(expected);
        using var a = JsonDocument.Parse(actual);
        Assert.True(JsonElement.DeepEquals(e.RootElement, a.RootElement),
            $"JSON differs:\nexpected {System.Text.Encoding.UTF8.GetString(expected)[..Math.Min(2000, expected.Length)]}\nactual   {System.Text.Encoding.UTF8.GetString(actual)[..Math.Min(2000, actual.Length)]}");
    }
}
