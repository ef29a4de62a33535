using System.Buffers.Binary;
using System.Security.Cryptography;
using GpuExec.Crypto;
using GpuExec.Model;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Generation;

/// <summary>An Ed25519 key pair made from a number (tests, examples and benchmarks use it).</summary>
public sealed class Signer
{
    private readonly byte[] _secret = new byte[64];

    public Signer(ulong index)
    {
        Span<byte> input = stackalloc byte[16];
        Span<byte> seed = stackalloc byte[32];
        BinaryPrimitives.WriteUInt64LittleEndian(input, 0x5349474E4552UL);
        BinaryPrimitives.WriteUInt64LittleEndian(input[8..], index);
        SHA256.HashData(input, seed);
        Span<byte> pk = stackalloc byte[32];
        Libsodium.Ed25519KeyPairFromSeed(seed, pk, _secret);
        Address = new Address(pk);
    }

    public Address Address { get; }

    /// <summary>A signed transfer record.</summary>
    public byte[] Transfer(uint chainId, ulong nonce, ulong fee, Address to, uint token, ulong amount)
    {
        var rec = new byte[TransactionView.TransferSize];
        TransactionEncoder.WriteTransferBody(rec, chainId, Address, nonce, fee, to, token, amount);
        Sign(rec);
        return rec;
    }

    /// <summary>A signed swap record.</summary>
    public byte[] Swap(uint chainId, ulong nonce, ulong fee, uint pool, bool aToB, ulong amountIn, ulong minOut)
    {
        var rec = new byte[TransactionView.SwapSize];
        TransactionEncoder.WriteSwapBody(rec, chainId, Address, nonce, fee, pool, aToB, amountIn, minOut);
        Sign(rec);
        return rec;
    }

    /// <summary>
    /// A signed route record: hop <c>i</c> through <c>pools[i]</c>, paying token A when
    /// <c>aToB[i]</c>. Any hop count up to 255 is written (more than 4 is malformed, for tests).
    /// </summary>
    public byte[] Route(uint chainId, ulong nonce, ulong fee, ReadOnlySpan<uint> pools, ReadOnlySpan<bool> aToB, ulong amountIn, ulong minOut)
    {
        var rec = new byte[TransactionView.RouteSize(pools.Length)];
        TransactionEncoder.WriteRouteBody(rec, chainId, Address, nonce, fee, pools, aToB, amountIn, minOut);
        Sign(rec);
        return rec;
    }

    /// <summary>Signs <c>record[..^64]</c> into its last 64 bytes.</summary>
    public void Sign(byte[] record)
    {
        ArgumentNullException.ThrowIfNull(record);
        int body = record.Length - TransactionView.SignatureSize;
        Libsodium.Ed25519Sign(_secret, record.AsSpan(0, body), record.AsSpan(body));
    }

    /// <summary>Encodes the next block on <paramref name="state"/> (height + 1, its current root as parent).</summary>
    public static byte[] NextBlock(WorldState state, Address feeCollector, params byte[][] records)
    {
        ArgumentNullException.ThrowIfNull(state);
        return BlockCodec.Encode(state.ChainId, state.Height + 1, feeCollector, state.StateRoot, records);
    }
}
