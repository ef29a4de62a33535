using BenchmarkDotNet.Attributes;
using GpuExec.Commitments;
using GpuExec.Execution;
using GpuExec.Wire;

namespace GpuExec.Bench.Decode;

/// <summary>Decode and tx_root: block structure, per-transaction precheck, and the Merkle root of the records.</summary>
[MemoryDiagnoser]
public class DecodeBenchmarks
{
    private byte[] _bytes = [];
    private Block _block = null!;

    [Params(10_000, 100_000)]
    public int Txs { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _bytes = Workloads.Make(Txs, 0.3, 1.0).block;
        _block = BlockCodec.Decode(_bytes);
    }

    [Benchmark]
    public int DecodeAndPrecheck()
    {
        var b = BlockCodec.Decode(_bytes);
        int ok = 0;
        for (int i = 0; i < b.Count; i++) if (TxRules.Precheck(b.Record(i), 1) == Model.TxStatus.Ok) ok++;
        return ok;
    }

    [Benchmark]
    public byte TxRoot()
    {
        Span<byte> root = stackalloc byte[32];
        Merkle.TxRoot(_block.Data, _block.RecordOffsets, _block.RecordLengths, root);
        return root[0];
    }
}
