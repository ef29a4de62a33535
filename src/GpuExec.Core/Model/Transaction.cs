using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace GpuExec.Model;

public enum TxKind : byte
{
    Transfer = 1,
    Swap = 2,
}

/// <summary>
/// A zero-copy view of one transaction record (SPEC section 2): <c>body || signature</c>.
/// <code>
/// offset  size  field
///      0     1  version (1)
///      1     1  kind (1 transfer, 2 swap)
///      2     4  chain_id
///      6    32  sender
///     38     8  nonce
///     46     8  fee
/// transfer: 54 to[32]  86 token:u32  90 amount:u64              (body 98,  record 162)
/// swap:     54 pool:u32 58 a_to_b:u8 59 amount_in:u64 67 min_out (body 75,  record 139)
/// </code>
/// </summary>
public readonly ref struct TransactionView
{
    public const int SignatureSize = 64;
    public const int PrefixSize = 54;
    public const int TransferBodySize = 98;
    public const int SwapBodySize = 75;
    public const int TransferSize = TransferBodySize + SignatureSize;
    public const int SwapSize = SwapBodySize + SignatureSize;
    public const int SenderOffset = 6;

    public readonly ReadOnlySpan<byte> Raw;

    public TransactionView(ReadOnlySpan<byte> raw) => Raw = raw;

    /// <summary>SPEC section 2: length matches the kind, version 1, kind 1 or 2, a_to_b 0 or 1.</summary>
    public bool IsWellFormed
    {
        get
        {
            var r = Raw;
            if (r.Length < 2 || r[0] != 1) return false;
            return r[1] switch
            {
                1 => r.Length == TransferSize,
                2 => r.Length == SwapSize && r[58] <= 1,
                _ => false,
            };
        }
    }

    /// <summary>Body length for a well-formed record (the bytes the signature covers).</summary>
    public static int BodyLength(TxKind kind) => kind == TxKind.Transfer ? TransferBodySize : SwapBodySize;

    public TxKind Kind => (TxKind)Raw[1];
    public uint ChainId => BinaryPrimitives.ReadUInt32LittleEndian(Raw[2..]);
    public ReadOnlySpan<byte> SenderBytes => Raw.Slice(SenderOffset, 32);
    public Address Sender => new(Raw.Slice(SenderOffset, 32));
    public ulong Nonce => BinaryPrimitives.ReadUInt64LittleEndian(Raw[38..]);
    public ulong Fee => BinaryPrimitives.ReadUInt64LittleEndian(Raw[46..]);
    public ReadOnlySpan<byte> Body => Raw[..^SignatureSize];
    public ReadOnlySpan<byte> Signature => Raw[^SignatureSize..];

    // Transfer payload
    public Address To => new(Raw.Slice(54, 32));
    public uint Token => BinaryPrimitives.ReadUInt32LittleEndian(Raw[86..]);
    public ulong Amount => BinaryPrimitives.ReadUInt64LittleEndian(Raw[90..]);

    // Swap payload
    public uint PoolId => BinaryPrimitives.ReadUInt32LittleEndian(Raw[54..]);
    public bool AToB => Raw[58] == 1;
    public ulong AmountIn => BinaryPrimitives.ReadUInt64LittleEndian(Raw[59..]);
    public ulong MinOut => BinaryPrimitives.ReadUInt64LittleEndian(Raw[67..]);
}

/// <summary>Writes transaction bodies (the generator and tests build blocks with it).</summary>
public static class TransactionEncoder
{
    public static void WriteTransferBody(Span<byte> body, uint chainId, Address sender, ulong nonce, ulong fee, Address to, uint token, ulong amount)
    {
        WritePrefix(body, TxKind.Transfer, chainId, sender, nonce, fee);
        to.WriteTo(body[54..]);
        BinaryPrimitives.WriteUInt32LittleEndian(body[86..], token);
        BinaryPrimitives.WriteUInt64LittleEndian(body[90..], amount);
    }

    public static void WriteSwapBody(Span<byte> body, uint chainId, Address sender, ulong nonce, ulong fee, uint pool, bool aToB, ulong amountIn, ulong minOut)
    {
        WritePrefix(body, TxKind.Swap, chainId, sender, nonce, fee);
        BinaryPrimitives.WriteUInt32LittleEndian(body[54..], pool);
        body[58] = aToB ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt64LittleEndian(body[59..], amountIn);
        BinaryPrimitives.WriteUInt64LittleEndian(body[67..], minOut);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WritePrefix(Span<byte> body, TxKind kind, uint chainId, Address sender, ulong nonce, ulong fee)
    {
        body[0] = 1;
        body[1] = (byte)kind;
        BinaryPrimitives.WriteUInt32LittleEndian(body[2..], chainId);
        sender.WriteTo(body[6..]);
        BinaryPrimitives.WriteUInt64LittleEndian(body[38..], nonce);
        BinaryPrimitives.WriteUInt64LittleEndian(body[46..], fee);
    }
}
