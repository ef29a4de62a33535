using System.Numerics;
using GpuExec.Crypto;
using GpuExec.Engine.Verify;
using GpuExec.Engine.Verify.Simd;
using GpuExec.Kernels.Tests;
using GpuExec.Kernels.Verify;

namespace GpuExec.Engine.Tests.Verify;

/// <summary>
/// The SIMD verifier == libsodium, bit for bit, on every path: each test runs with 8 lanes
/// (AVX-512F), 4 lanes (AVX2) and 1 (libsodium alone), skipping a width the machine (or
/// DOTNET_EnableAVX512=0 / DOTNET_EnableAVX2=0; .NET 10 ignores DOTNET_EnableAVX512F) does not
/// offer. The expected verdict is always
/// libsodium's own, called here.
/// </summary>
public class SimdVerifierTests
{
    /// <summary>Each width with the key tables (the default) and without (every signature the plain way).</summary>
    public static TheoryData<int, int> Widths => new()
    {
        { 8, SimdSignatureVerifier.DefaultKeyTables }, { 8, 0 },
        { 4, SimdSignatureVerifier.DefaultKeyTables }, { 4, 0 },
        { 1, 0 },
    };

    private static SimdSignatureVerifier Make(int lanes, int dop = 1, int keyTables = SimdSignatureVerifier.DefaultKeyTables)
    {
        if (!SimdSignatureVerifier.IsSupported(lanes))
            Assert.Skip($"{lanes} lanes are not supported here");
        return new SimdSignatureVerifier(dop, lanes, keyTables);
    }

    private static bool[] Libsodium(IReadOnlyList<SigVector> cases) =>
        cases.Select(c => GpuExec.Crypto.Libsodium.Ed25519Verify(c.PublicKey, c.Message, c.Signature)).ToArray();

    /// <summary>
    /// Twice on the same verifier: with key tables, the first call meets each key once (plain
    /// lanes) and the second verifies every key met before from its table.
    /// </summary>
    private static void AssertAgree(ISignatureVerifier v, IReadOnlyList<SigVector> cases)
    {
        var want = Libsodium(cases);
        var failures = new List<string>();
        for (int call = 0; call < 2; call++)
        {
            var got = Vectors.Run(v, cases);
            for (int i = 0; i < cases.Count; i++)
            {
                if (got[i] != want[i])
                    failures.Add($"call {call + 1}: {cases[i].Source}/{cases[i].Id} (position {i}): simd {got[i]}, libsodium {want[i]}");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} disagreements of {cases.Count}:\n" + string.Join("\n", failures.Take(20)));
    }

    /// <summary>A key pair from a seed drawn from <paramref name="r"/>.</summary>
    internal static (byte[] Pk, byte[] Sk) Key(Random r)
    {
        var seed = new byte[32];
        r.NextBytes(seed);
        var pk = new byte[32];
        var sk = new byte[64];
        GpuExec.Crypto.Libsodium.Ed25519KeyPairFromSeed(seed, pk, sk);
        return (pk, sk);
    }

    private static SigVector Valid(Random r, int id, int msgLen)
    {
        var (pk, sk) = Key(r);
        var msg = new byte[msgLen];
        r.NextBytes(msg);
        var sig = new byte[64];
        GpuExec.Crypto.Libsodium.Ed25519Sign(sk, msg, sig);
        return new SigVector("random", $"valid-{id}", pk, msg, sig, true);
    }

    /// <summary>Cases that pass the encoding checks and still fail (or pass) only in the lanes' arithmetic, and ones that fail the checks.</summary>
    private static List<SigVector> Mixed()
    {
        var list = Adversarial.Constructed().ToList();
        list.AddRange(Adversarial.RandomAndMutated(seed: 3, count: 30));
        return list;
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Shared_vectors_get_libsodiums_verdict(int lanes, int keyTables)
    {
        var cases = Vectors.LibsodiumVerdicts;
        Assert.True(cases.Count > 1000);
        var v = Make(lanes, dop: -1, keyTables);
        for (int call = 0; call < 2; call++)
        {
            var got = Vectors.Run(v, cases);
            for (int i = 0; i < cases.Count; i++)
                Assert.True(got[i] == cases[i].Valid, $"call {call + 1}: {cases[i].Source}/{cases[i].Id}");
        }
        if (keyTables > 0 && lanes > 1)
            Assert.InRange(v.KeyTablesHeld, 1, cases.Select(c => Convert.ToHexString(c.PublicKey)).Distinct().Count());
        AssertAgree(Make(lanes, dop: -1, keyTables), cases);
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Rfc8032_and_adversarial_cases_match_libsodium(int lanes, int keyTables)
    {
        var v = Make(lanes, keyTables: keyTables);
        AssertAgree(v, Rfc8032.Cases());
        var constructed = Adversarial.Constructed();
        Assert.Contains(constructed, c => c.Id.StartsWith("mixed-A-", StringComparison.Ordinal) && c.Valid);
        AssertAgree(v, constructed);
        AssertAgree(v, Adversarial.RandomAndMutated(seed: 7, count: 400));
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Random_valid_signatures_verify(int lanes, int keyTables)
    {
        var r = new Random(20_000 + lanes);
        var cases = Enumerable.Range(0, 20_000).Select(i => Valid(r, i, i % 300)).ToList();
        var got = Vectors.Run(Make(lanes, dop: -1, keyTables), cases);
        Assert.All(got, Assert.True);
    }

    /// <summary>The 1M-signature run; explicit: <c>dotnet test ... --filter ... -- --explicit on</c>.</summary>
    [Fact(Explicit = true)]
    public void A_million_random_valid_signatures_verify()
    {
        var r = new Random(1_000_000);
        var v = new SimdSignatureVerifier();
        for (int round = 0; round < 50; round++)
        {
            var cases = Enumerable.Range(0, 20_000).Select(i => Valid(r, i, 100 + i % 150)).ToList();
            var got = Vectors.Run(v, cases);
            Assert.All(got, Assert.True);
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Every_bit_flip_of_key_signature_and_message_matches_libsodium(int lanes, int keyTables)
    {
        var r = new Random(5);
        var baseCase = Valid(r, 0, 40);
        var cases = new List<SigVector>();
        for (int bit = 0; bit < 8 * 32; bit++)
        {
            var pk = (byte[])baseCase.PublicKey.Clone();
            pk[bit / 8] ^= (byte)(1 << (bit % 8));
            cases.Add(baseCase with { Id = $"A-bit{bit}", PublicKey = pk });
        }
        for (int bit = 0; bit < 8 * 64; bit++)
        {
            var sig = (byte[])baseCase.Signature.Clone();
            sig[bit / 8] ^= (byte)(1 << (bit % 8));
            cases.Add(baseCase with { Id = $"sig-bit{bit}", Signature = sig });
        }
        for (int bit = 0; bit < 8 * baseCase.Message.Length; bit++)
        {
            var msg = (byte[])baseCase.Message.Clone();
            msg[bit / 8] ^= (byte)(1 << (bit % 8));
            cases.Add(baseCase with { Id = $"M-bit{bit}", Message = msg });
        }
        cases.Add(baseCase);
        AssertAgree(Make(lanes, keyTables: keyTables), cases);
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void A_lanes_verdict_does_not_depend_on_its_neighbours(int lanes, int keyTables)
    {
        var r = new Random(9);
        var valids = Enumerable.Range(0, 16).Select(i => Valid(r, i, 10 + i)).ToList();
        var odd = Mixed();
        var v = Make(lanes, keyTables: keyTables);
        int w = Math.Max(lanes, 1);
        // Every odd case in every position of a batch of valid ones.
        for (int pos = 0; pos < w; pos++)
        {
            var cases = new List<SigVector>();
            foreach (var c in odd)
            {
                for (int k = 0; k < w; k++)
                    cases.Add(k == pos ? c : valids[(k + cases.Count) % valids.Count]);
            }
            AssertAgree(v, cases);
        }
        // Valid ones among odd ones, and shuffles of everything.
        var all = odd.Concat(valids).ToList();
        for (int round = 0; round < 4; round++)
        {
            var shuffled = all.OrderBy(_ => r.Next()).ToList();
            AssertAgree(v, shuffled);
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Ragged_batches_of_every_size_match_libsodium(int lanes, int keyTables)
    {
        var r = new Random(17);
        var odd = Mixed();
        var v = Make(lanes, keyTables: keyTables);
        for (int n = 0; n <= 17; n++)
        {
            for (int round = 0; round < 3; round++)
            {
                var cases = Enumerable.Range(0, n)
                    .Select(i => r.Next(3) == 0 ? odd[r.Next(odd.Count)] : Valid(r, i, r.Next(200)))
                    .ToList();
                AssertAgree(v, cases);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Long_messages_among_short_ones_match_libsodium(int lanes, int keyTables)
    {
        var r = new Random(23);
        var cases = new List<SigVector>();
        foreach (int len in new[] { 70_000, 10, 5_000, 65_536, 65_537, 3, 200_000, 1, 40_000, 0, 2, 4 })
        {
            var c = Valid(r, len, len);
            cases.Add(c);
            var bad = (byte[])c.Message.Clone();
            if (bad.Length > 0) bad[^1] ^= 1;
            cases.Add(c with { Id = c.Id + "-M", Message = bad });
        }
        AssertAgree(Make(lanes, keyTables: keyTables), cases);
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Marked_invalid_jobs_are_false_and_ranges_are_checked(int lanes, int keyTables)
    {
        var v = Make(lanes, keyTables: keyTables);
        var arena = new byte[100];
        var valid = new bool[1];
        v.Verify(arena, [new SignatureJob(0, 0, -1, -1)], valid);
        Assert.False(valid[0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => v.Verify(arena, [new SignatureJob(0, 10, 90, 0)], new bool[1]));
    }

    [Fact]
    public void The_widest_supported_width_is_the_default()
    {
        int best = SimdSignatureVerifier.BestLanes;
        Assert.Equal(best, new SimdSignatureVerifier().Lanes);
        Assert.Equal(best == 8, System.Runtime.Intrinsics.X86.Avx512F.IsSupported);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SimdSignatureVerifier(1, 3));
        TestContext.Current.SendDiagnosticMessage($"best lanes here: {best}");
    }

    [Theory]
    [InlineData(8)]
    [InlineData(4)]
    public unsafe void Lane_parallel_SHA512_matches_dotnets_on_mixed_lengths(int lanes)
    {
        Make(lanes);
        var r = new Random(lanes);
        int[] edge = [0, 1, 111, 112, 113, 127, 128, 129, 239, 240, 255, 256, 300, 1000];
        const int stride = 1152;
        byte* msgs = (byte*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(8 * stride, 64);
        int* blocks = stackalloc int[8];
        byte* digests = stackalloc byte[8 * 64];
        try
        {
            for (int round = 0; round < 200; round++)
            {
                var inputs = new byte[lanes][];
                for (int j = 0; j < lanes; j++)
                {
                    inputs[j] = new byte[round < 50 ? edge[(round + j) % edge.Length] : r.Next(1000)];
                    r.NextBytes(inputs[j]);
                    inputs[j].CopyTo(new Span<byte>(msgs + j * stride, stride));
                    blocks[j] = Ed25519Scalar.Sha512Pad(msgs + j * stride, inputs[j].Length);
                }
                if (lanes == 8)
                    Lanes512.Sha512(msgs, stride, blocks, digests);
                else
                    Lanes256.Sha512(msgs, stride, blocks, digests);
                for (int j = 0; j < lanes; j++)
                    Assert.Equal(System.Security.Cryptography.SHA512.HashData(inputs[j]), new ReadOnlySpan<byte>(digests + 64 * j, 64).ToArray());
            }
        }
        finally
        {
            System.Runtime.InteropServices.NativeMemory.AlignedFree(msgs);
        }
    }

    [Fact]
    public void Digest_reduction_mod_L_matches_BigInteger()
    {
        var L = BigInteger.Pow(2, 252) + BigInteger.Parse("27742317777372353535851937790883648493");
        var r = new Random(1);
        var inputs = new List<byte[]> { new byte[64], Enumerable.Repeat((byte)0xFF, 64).ToArray() };
        foreach (var k in new[] { L, L - 1, L + 1, 2 * L, 3 * L - 1, BigInteger.Pow(2, 252), BigInteger.Pow(2, 504) * L })
        {
            var b = new byte[64];
            k.TryWriteBytes(b, out _, isUnsigned: true);
            inputs.Add(b);
        }
        for (int i = 0; i < 5000; i++)
        {
            var b = new byte[64];
            r.NextBytes(b);
            if (i % 4 == 1) b.AsSpan(32).Clear();
            if (i % 4 == 2) b.AsSpan(0, 32).Fill(0xFF);
            inputs.Add(b);
        }
        Span<byte> got = stackalloc byte[32];
        foreach (var b in inputs)
        {
            Ed25519Scalar.ReduceDigest(b, got);
            var want = new BigInteger(b, isUnsigned: true) % L;
            Assert.Equal(want, new BigInteger(got, isUnsigned: true));
        }
    }
}

/// <summary>The 4-lane files are the 8-lane ones with the width renamed (tools/gen-simd-verifier.py): a hand edit to one side shows here.</summary>
public class SimdGeneratedFilesTests
{
    private static string SimdDir()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var p = Path.Combine(d.FullName, "src", "GpuExec.Engine", "Verify", "Simd");
            if (Directory.Exists(p))
                return p;
        }
        throw new DirectoryNotFoundException("src/GpuExec.Engine/Verify/Simd above " + AppContext.BaseDirectory);
    }

    [Theory]
    [InlineData("Lanes512.cs", "Lanes256.Generated.cs")]
    [InlineData("Sha512Lanes512.cs", "Sha512Lanes256.Generated.cs")]
    public void The_AVX2_copy_is_up_to_date(string source, string generated)
    {
        var src = File.ReadAllText(Path.Combine(SimdDir(), source));
        var gen = File.ReadAllText(Path.Combine(SimdDir(), generated));
        var want = src.Replace("Vector512", "Vector256", StringComparison.Ordinal).Replace("Lanes512", "Lanes256", StringComparison.Ordinal)
            .Replace("Avx512F", "Avx2", StringComparison.Ordinal);
        Assert.True(gen.EndsWith(want, StringComparison.Ordinal), $"{generated} is stale: run python3 tools/gen-simd-verifier.py");
    }
}
