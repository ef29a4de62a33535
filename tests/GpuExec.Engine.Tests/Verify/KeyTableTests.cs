using GpuExec.Engine.Verify;
using GpuExec.Engine.Verify.Simd;
using GpuExec.Kernels.Tests;

namespace GpuExec.Engine.Tests.Verify;

/// <summary>
/// The SIMD verifier's key tables: a key that signs again is verified from its table (fewer
/// doublings, no decompression), and the verdict is still libsodium's, called here, for valid and
/// broken signatures of the same keys, keys with a torsion part, keys off the curve, caches too
/// small for the keys, and calls running at once on one verifier.
/// </summary>
public class KeyTableTests
{
    public static TheoryData<int, int> WidthsAndThreads => new() { { 8, 1 }, { 8, -1 }, { 4, 1 }, { 4, -1 } };

    private static SimdSignatureVerifier Make(int lanes, int dop = 1, int keyTables = SimdSignatureVerifier.DefaultKeyTables)
    {
        if (!SimdSignatureVerifier.IsSupported(lanes))
            Assert.Skip($"{lanes} lanes are not supported here");
        return new SimdSignatureVerifier(dop, lanes, keyTables);
    }

    private static (byte[] Pk, byte[] Sk) Key(Random r) => SimdVerifierTests.Key(r);

    private static SigVector Judge(string id, byte[] pk, byte[] msg, byte[] sig) =>
        new("keyed", id, pk, msg, sig, GpuExec.Crypto.Libsodium.Ed25519Verify(pk, msg, sig));

    /// <summary>
    /// <paramref name="perKey"/> signatures by each of <paramref name="keys"/> signers, about a
    /// third of them broken (a bit of S, R or the message flipped, or another signer's key), shuffled.
    /// </summary>
    private static List<SigVector> Signers(Random r, List<(byte[] Pk, byte[] Sk)> keys, int perKey)
    {
        var list = new List<SigVector>();
        for (int k = 0; k < keys.Count; k++)
        {
            for (int s = 0; s < perKey; s++)
            {
                var msg = new byte[r.Next(0, 200)];
                r.NextBytes(msg);
                var sig = new byte[64];
                GpuExec.Crypto.Libsodium.Ed25519Sign(keys[k].Sk, msg, sig);
                var pk = keys[k].Pk;
                switch (r.Next(9))
                {
                    case 0: sig[32 + r.Next(32)] ^= (byte)(1 << r.Next(8)); break;
                    case 1: sig[r.Next(32)] ^= (byte)(1 << r.Next(8)); break;
                    case 2 when msg.Length > 0: msg[r.Next(msg.Length)] ^= (byte)(1 << r.Next(8)); break;
                    case 3: pk = keys[(k + 1) % keys.Count].Pk; break;
                }
                list.Add(Judge($"key{k}-sig{s}", pk, msg, sig));
            }
        }
        return list.OrderBy(_ => r.Next()).ToList();
    }

    private static void AssertAgree(ISignatureVerifier v, IReadOnlyList<SigVector> cases)
    {
        var got = Vectors.Run(v, cases);
        var failures = new List<string>();
        for (int i = 0; i < cases.Count; i++)
        {
            if (got[i] != cases[i].Valid)
                failures.Add($"{cases[i].Source}/{cases[i].Id} (position {i}): simd {got[i]}, libsodium {cases[i].Valid}");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} disagreements of {cases.Count}:\n" + string.Join("\n", failures.Take(20)));
    }

    [Theory]
    [MemberData(nameof(WidthsAndThreads))]
    public void Signers_that_sign_again_get_libsodiums_verdict(int lanes, int dop)
    {
        var r = new Random(100 + lanes * 10 + dop);
        var keys = Enumerable.Range(0, 40).Select(_ => Key(r)).ToList();
        var v = Make(lanes, dop);
        for (int call = 0; call < 3; call++)
        {
            var cases = Signers(r, keys, 60);
            Assert.Contains(cases, c => c.Valid);
            Assert.Contains(cases, c => !c.Valid);
            AssertAgree(v, cases);
        }
        // Every signer's table was built once (two threads may both claim a key they meet at the same moment).
        if (dop == 1)
            Assert.Equal(keys.Count, v.KeyTablesHeld);
        else
            Assert.InRange(v.KeyTablesHeld, keys.Count, 2 * keys.Count);
    }

    [Theory]
    [MemberData(nameof(WidthsAndThreads))]
    public void Keys_with_a_torsion_part_or_off_the_curve_signing_again_get_libsodiums_verdict(int lanes, int dop)
    {
        var r = new Random(200 + lanes * 10 + dop);
        var odd = Adversarial.Constructed().Concat(Adversarial.RandomAndMutated(seed: 11, count: 60)).ToList();
        Assert.Contains(odd, c => c.Id.StartsWith("mixed-A-", StringComparison.Ordinal) && c.Valid);
        // Canonical y, not small order, no x: passes the encoding checks and fails decompression.
        var offCurve = new List<byte[]>();
        while (offCurve.Count < 12)
        {
            var y = new byte[32];
            r.NextBytes(y);
            y[31] &= 0x7F;
            if (r.Next(2) == 0) y[31] |= 0x80;
            if (Adversarial.IsCanonicalY(y) && !Adversarial.IsSmallOrderEncoding(y) && !Adversarial.OnCurve(y))
                offCurve.Add(y);
        }
        var (_, sk) = Key(r);
        foreach (var pk in offCurve)
        {
            var msg = new byte[16];
            r.NextBytes(msg);
            odd.Add(Judge("off-curve", pk, msg, Adversarial.SignFor(sk, pk, msg, r)));
        }
        var v = Make(lanes, dop);
        for (int call = 0; call < 3; call++)
        {
            var cases = Enumerable.Range(0, 5).SelectMany(_ => odd).OrderBy(_ => r.Next()).ToList();
            AssertAgree(v, cases);
        }
    }

    [Theory]
    [InlineData(8, 1)]
    [InlineData(8, 3)]
    [InlineData(8, 17)]
    [InlineData(4, 1)]
    [InlineData(4, 17)]
    public void A_cache_too_small_for_the_keys_fills_starts_again_and_keeps_the_verdicts(int lanes, int capacity)
    {
        var r = new Random(300 + capacity);
        var keys = Enumerable.Range(0, 50).Select(_ => Key(r)).ToList();
        var v = Make(lanes, dop: -1, keyTables: capacity);
        for (int call = 0; call < 4; call++)
        {
            AssertAgree(v, Signers(r, keys, 10));
            Assert.InRange(v.KeyTablesHeld, 1, capacity);
        }
    }

    [Theory]
    [InlineData(8)]
    [InlineData(4)]
    public async Task Calls_at_once_on_one_verifier_share_its_tables(int lanes)
    {
        var r = new Random(400 + lanes);
        var keys = Enumerable.Range(0, 30).Select(_ => Key(r)).ToList();
        var v = Make(lanes, dop: -1);
        var sets = Enumerable.Range(0, 6).Select(_ => Signers(r, keys, 30)).ToList();
        for (int round = 0; round < 3; round++)
            await Task.WhenAll(sets.Select(s => Task.Run(() => AssertAgree(v, s), TestContext.Current.CancellationToken)));
        Assert.InRange(v.KeyTablesHeld, keys.Count, 6 * keys.Count);
    }

    [Fact]
    public void Forgetting_the_tables_starts_cold_and_no_tables_means_none_are_built()
    {
        var once = new Random(499);
        var oneOff = Make(SimdSignatureVerifier.BestLanes == 1 ? 8 : SimdSignatureVerifier.BestLanes);
        var singles = Enumerable.Range(0, 30).Select(_ => Key(once)).ToList();
        AssertAgree(oneOff, singles.Select((k, i) =>
        {
            var msg = new byte[20 + i];
            once.NextBytes(msg);
            var sig = new byte[64];
            GpuExec.Crypto.Libsodium.Ed25519Sign(k.Sk, msg, sig);
            return Judge($"single{i}", k.Pk, msg, sig);
        }).ToList());
        Assert.Equal(0, oneOff.KeyTablesHeld);  // each key met once: only noted

        var r = new Random(500);
        var keys = Enumerable.Range(0, 9).Select(_ => Key(r)).ToList();
        var v = Make(SimdSignatureVerifier.BestLanes == 1 ? 8 : SimdSignatureVerifier.BestLanes);
        AssertAgree(v, Signers(r, keys, 20));
        Assert.Equal(9, v.KeyTablesHeld);
        v.ForgetKeyTables();
        Assert.Equal(0, v.KeyTablesHeld);
        AssertAgree(v, Signers(r, keys, 20));
        Assert.Equal(9, v.KeyTablesHeld);

        var plain = Make(v.Lanes, keyTables: 0);
        AssertAgree(plain, Signers(r, keys, 20));
        Assert.Equal(0, plain.KeyTablesHeld);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SimdSignatureVerifier(1, 0, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SimdSignatureVerifier(1, 0, SimdSignatureVerifier.MaxKeyTables + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GpuExec.Engine.GpuExecOptions { KeyTables = SimdSignatureVerifier.MaxKeyTables + 1 }.Validate());
    }

    [Fact]
    public void The_cache_claims_a_key_once_publishes_it_and_takes_no_key_once_full()
    {
        var c = new KeyTableCache(2);
        var a = Enumerable.Repeat((byte)1, 32).ToArray();
        var b = Enumerable.Repeat((byte)2, 32).ToArray();
        var d = Enumerable.Repeat((byte)3, 32).ToArray();
        Assert.Equal(KeyTableCache.Found.FirstSight, c.Find(a, out int none));
        Assert.Equal(-1, none);
        Assert.Equal(0, c.Count);
        Assert.Equal(KeyTableCache.Found.Claimed, c.Find(a, out int sa));
        Assert.Equal(KeyTableCache.Found.Building, c.Find(a, out int again));
        Assert.Equal(sa, again);
        Assert.False(c.IsReady(sa));
        c.Publish(sa, isPoint: true);
        Assert.Equal(KeyTableCache.Found.Ready, c.Find(a, out _));
        Assert.True(c.IsReady(sa));
        Assert.Equal(KeyTableCache.Found.FirstSight, c.Find(b, out _));
        Assert.Equal(KeyTableCache.Found.Claimed, c.Find(b, out int sb));
        Assert.NotEqual(sa, sb);
        c.Publish(sb, isPoint: false);
        Assert.Equal(KeyTableCache.Found.NotAPoint, c.Find(b, out _));
        Assert.True(c.IsFull);
        Assert.Equal(KeyTableCache.Found.Full, c.Find(d, out int sd));
        Assert.Equal(-1, sd);
        Assert.Equal(2, c.Count);
        // Tables are distinct, whole and writable.
        unsafe
        {
            var ta = new Span<int>(c.Table(sa), KeyTableCache.TableInts);
            var tb = new Span<int>(c.Table(sb), KeyTableCache.TableInts);
            ta.Fill(7);
            tb.Fill(9);
            Assert.All(ta.ToArray(), x => Assert.Equal(7, x));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => new KeyTableCache(0));
    }
}
