using BenchmarkDotNet.Attributes;
using GpuExec.Engine.Devices;
using GpuExec.Engine.Verify;
using GpuExec.Generation;
using GpuExec.Kernels.Verify;

namespace GpuExec.Bench.Verify;

/// <summary>
/// Ed25519 verifications per second (1 / the reported time per operation): libsodium on one core
/// and on all cores, the SIMD verifier on one core with each vector width the machine has (8 lanes:
/// AVX-512F, 4 lanes: AVX2) and on all cores, and the ILGPU kernel on each GPU present. ILGPU's CPU accelerator is an
/// emulator (tens of verifications per second) and is left out. On a shared machine compare Min
/// (the least disturbed iteration) as well as Mean.
/// The SIMD verifier runs three ways: <c>plain</c> without key tables, <c>new-keys</c> meeting every
/// signer for the first time in the call (each key's table built, then used for each of its
/// signatures), <c>known-keys</c> with every table already held.
/// </summary>
[MemoryDiagnoser, MinColumn, MedianColumn]
public class SignatureBenchmarks
{
    private const int Count = 16_384;

    /// <summary>Signers of the 16,384 signatures: 1,024 (16 each; their tables, 3.75 MiB, stay in cache) or 16,384 (one each; 60 MiB of tables, read from memory).</summary>
    [Params(1_024, 16_384)]
    public int Signers { get; set; } = 1_024;
    private byte[] _arena = [];
    private SignatureJob[] _jobs = [];
    private bool[] _valid = [];
    private ISignatureVerifier _verifier = null!;
    private ComputeDevice? _device;

    public static IEnumerable<string> Verifiers()
    {
        yield return "libsodium-1-core";
        yield return "libsodium-all-cores";
        foreach (string keys in new[] { "plain", "new-keys", "known-keys" })
        {
            if (SimdSignatureVerifier.IsSupported(8)) yield return "simd8-1-core-" + keys;
            if (SimdSignatureVerifier.IsSupported(4)) yield return "simd4-1-core-" + keys;
            yield return "simd-all-cores-" + keys;
        }
        foreach (var d in ComputeDevice.List())
            if (d.Kind is DeviceKind.Cuda or DeviceKind.OpenCl) yield return d.Kind.ToName();
    }

    [ParamsSource(nameof(Verifiers))]
    public string Verifier { get; set; } = "libsodium-1-core";

    [GlobalSetup]
    public void Setup()
    {
        var signers = Enumerable.Range(0, Signers).Select(i => new Signer((ulong)i + 1)).ToArray();
        var to = new Signer((ulong)Signers + 1).Address;
        var arena = new List<byte>();
        var jobs = new List<SignatureJob>();
        for (int i = 0; i < Count; i++)
        {
            var rec = signers[i % Signers].Transfer(1, (ulong)(i / Signers), 1, to, 0, (ulong)i);
            jobs.Add(SignatureJobs.Append(arena, rec.AsSpan(6, 32), rec.AsSpan(0, rec.Length - 64), rec.AsSpan(rec.Length - 64)));
        }
        _arena = arena.ToArray();
        _jobs = jobs.ToArray();
        _valid = new bool[Count];
        _verifier = Verifier switch
        {
            "libsodium-1-core" => new CpuSignatureVerifier(1),
            "libsodium-all-cores" => new CpuSignatureVerifier(),
            _ when Verifier.StartsWith("simd", StringComparison.Ordinal) => Simd(Verifier),
            _ => new IlgpuSignatureVerifier((_device = ComputeDevice.Open(DeviceKindNames.Parse(Verifier))).RequireAccelerator()),
        };
    }

    private SimdSignatureVerifier Simd(string name)
    {
        int threads = name.Contains("-1-core", StringComparison.Ordinal) ? 1 : -1;
        int lanes = name.StartsWith("simd8", StringComparison.Ordinal) ? 8 : name.StartsWith("simd4", StringComparison.Ordinal) ? 4 : 0;
        var v = new SimdSignatureVerifier(threads, lanes, name.EndsWith("-plain", StringComparison.Ordinal) ? 0 : SimdSignatureVerifier.DefaultKeyTables);
        _forget = name.EndsWith("-new-keys", StringComparison.Ordinal);
        if (name.EndsWith("-known-keys", StringComparison.Ordinal))
            v.Verify(_arena, _jobs, _valid);
        return v;
    }

    private bool _forget;

    [GlobalCleanup]
    public void Cleanup()
    {
        (_verifier as IDisposable)?.Dispose();
        _device?.Dispose();
    }

    [Benchmark(OperationsPerInvoke = Count)]
    public bool Verify()
    {
        if (_forget)
            ((SimdSignatureVerifier)_verifier).ForgetKeyTables();
        _verifier.Verify(_arena, _jobs, _valid);
        return _valid[^1];
    }
}

/// <summary>Hashed MB/s: SHA-256 of transaction-sized messages (txids) and a Merkle root, per device.</summary>
[MemoryDiagnoser]
public class HashBenchmarks
{
    private const int Count = 65_536;
    private const int Size = 162;
    private byte[] _arena = [];
    private HashJob[] _jobs = [];
    private byte[] _digests = [];
    private IHasher _hasher = null!;
    private ComputeDevice? _device;

    public static IEnumerable<string> Hashers()
    {
        yield return "cpu";
        foreach (var d in ComputeDevice.List())
            if (d.Kind is DeviceKind.Cuda or DeviceKind.OpenCl) yield return d.Kind.ToName();
    }

    [ParamsSource(nameof(Hashers))]
    public string Device { get; set; } = "cpu";

    [GlobalSetup]
    public void Setup()
    {
        _arena = new byte[Count * Size];
        new Random(1).NextBytes(_arena);
        _jobs = new HashJob[Count];
        for (int i = 0; i < Count; i++) _jobs[i] = new HashJob(i * Size, Size);
        _digests = new byte[Count * 32];
        _hasher = Device == "cpu" ? CpuHasher.Instance : new IlgpuHasher((_device = ComputeDevice.Open(DeviceKindNames.Parse(Device))).RequireAccelerator());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        (_hasher as IDisposable)?.Dispose();
        _device?.Dispose();
    }

    /// <summary>10.6 MB per operation: MB/s = 10.6 / seconds per operation.</summary>
    [Benchmark]
    public byte Sha256_10MB()
    {
        _hasher.Sha256(_arena, _jobs, _digests);
        return _digests[^1];
    }

    [Benchmark]
    public byte Keccak256_10MB()
    {
        _hasher.Keccak256(_arena, _jobs, _digests);
        return _digests[^1];
    }

    [Benchmark]
    public byte MerkleRoot_64k_leaves()
    {
        Span<byte> root = stackalloc byte[32];
        _hasher.MerkleRoot(_arena, _jobs, root);
        return root[0];
    }
}
