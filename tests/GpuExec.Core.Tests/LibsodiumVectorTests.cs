using System.Text.Json;
using GpuExec.Crypto;

namespace GpuExec.Core.Tests;

public class LibsodiumVectorTests
{
    [Fact]
    public void Every_shared_vector_gets_libsodiums_recorded_verdict()
    {
        var path = TestPaths.Shared("vectors", "ed25519-libsodium-verdicts.jsonl");
        int n = 0;
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            var pk = Convert.FromHexString(r.GetProperty("public_key").GetString()!);
            var msg = Convert.FromHexString(r.GetProperty("message").GetString()!);
            var sig = Convert.FromHexString(r.GetProperty("signature").GetString()!);
            bool expected = r.GetProperty("valid").GetBoolean();
            Assert.True(expected == Libsodium.Ed25519Verify(pk, msg, sig), $"vector {r.GetProperty("source")}/{r.GetProperty("id")}");
            n++;
        }
        Assert.True(n > 1000, $"only {n} vectors read");
    }
}
