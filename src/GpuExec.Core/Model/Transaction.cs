using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace GpuExec.Model;

/// <summary>The two transaction kinds of SPEC section 2 (the record's second byte).</summary>
public enum TxKind : byte
{
    /// <summary>Moves an amount of a token to another account.</summary>
    Transfer = 1,
    /// <summary>Swaps through a constant-product pool.</summary>
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
    /// <summary>Size of the Ed25519 signature that ends every record.</summary>
    public const int SignatureSize = 64;
    /// <summary>Size of the fields every kind starts with (version, kind, chain id, sender, nonce, fee).</summary>
    public const int PrefixSize = 54;
    /// <summary>Size of a transfer's signed body.</summary>
    public const int TransferBodySize = 98;
    /// <summary>Size of a swap's signed body.</summary>
    public const int SwapBodySize = 75;
    /// <summary>Size of a whole transfer record.</summary>
    public const int TransferSize = TransferBodySize + SignatureSize;
    /// <summary>Size of a whole swap record.</summary>
    public const int SwapSize = SwapBodySize + SignatureSize;
    /// <summary>Offset of the sender's public key in a record.</summary>
    public const int SenderOffset = 6;

    /// <summary>The record's bytes.</summary>
    public readonly ReadOnlySpan<byte> Raw;

    /// <summary>A view of <paramref name="raw"/>; nothing is checked or copied (see <see cref="IsWellFormed"/>).</summary>
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

    /// <summary>The kind byte.</summary>
    public TxKind Kind => (TxKind)Raw[1];
    /// <summary>The chain id the transaction is signed for.</summary>
    public uint ChainId => BinaryPrimitives.ReadUInt32LittleEndian(Raw[2..]);
    /// <summary>The sender's 32-byte public key, in place.</summary>
    public ReadOnlySpan<byte> SenderBytes => Raw.Slice(SenderOffset, 32);
    /// <summary>The sender's address (its public key).</summary>
    public Address Sender => new(Raw.Slice(SenderOffset, 32));
    /// <summary>The sender's nonce this transaction uses.</summary>
    public ulong Nonce => BinaryPrimitives.ReadUInt64LittleEndian(Raw[38..]);
    /// <summary>The fee, paid in token 0 to the block's fee collector.</summary>
    public ulong Fee => BinaryPrimitives.ReadUInt64LittleEndian(Raw[46..]);
    /// <summary>The signed bytes: everything but the signature.</summary>
    public ReadOnlySpan<byte> Body => Raw[..^SignatureSize];
    /// <summary>The 64-byte Ed25519 signature.</summary>
    public ReadOnlySpan<byte> Signature => Raw[^SignatureSize..];

    // Transfer payload
    /// <summary>Transfer: the recipient.</summary>
    public Address To => new(Raw.Slice(54, 32));
    /// <summary>Transfer: the token moved.</summary>
    public uint Token => BinaryPrimitives.ReadUInt32LittleEndian(Raw[86..]);
    /// <summary>Transfer: the amount moved.</summary>
    public ulong Amount => BinaryPrimitives.ReadUInt64LittleEndian(Raw[90..]);

    // Swap payload
    /// <summary>Swap: the pool.</summary>
    public uint PoolId => BinaryPrimitives.ReadUInt32LittleEndian(Raw[54..]);
    /// <summary>Swap: true to pay token A and receive token B.</summary>
    public bool AToB => Raw[58] == 1;
    /// <summary>Swap: the amount paid in.</summary>
    public ulong AmountIn => BinaryPrimitives.ReadUInt64LittleEndian(Raw[59..]);
    /// <summary>Swap: the least output accepted (else the status is slippage).</summary>
    public ulong MinOut => BinaryPrimitives.ReadUInt64LittleEndian(Raw[67..]);
}

/// <summary>Writes transaction bodies (the generator and tests build blocks with it).</summary>
public static class TransactionEncoder
{
    /// <summary>Writes a transfer's body (<see cref="TransactionView.TransferBodySize"/> bytes), the bytes to sign; the record is the body followed by the signature.</summary>
    public static void WriteTransferBody(Span<byte> body, uint chainId, Address sender, ulong nonce, ulong fee, Address to, uint token, ulong amount)
    {
        WritePrefix(body, TxKind.Transfer, chainId, sender, nonce, fee);
        to.WriteTo(body[54..]);
        BinaryPrimitives.WriteUInt32LittleEndian(body[86..], token);
        BinaryPrimitives.WriteUInt64LittleEndian(body[90..], amount);
    }

    /// <summary>Writes a swap's body (<see cref="TransactionView.SwapBodySize"/> bytes), the bytes to sign; the record is the body followed by the signature.</summary>
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
