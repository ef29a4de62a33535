using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace GpuExec.Model;

/// <summary>The transaction kinds of SPEC section 2 (the record's second byte).</summary>
public enum TxKind : byte
{
    /// <summary>Moves an amount of a token to another account.</summary>
    Transfer = 1,
    /// <summary>Swaps through a constant-product pool.</summary>
    Swap = 2,
    /// <summary>Swaps through one to four pools in a row, atomically (a multi-hop swap).</summary>
    Route = 3,
}

/// <summary>
/// A zero-copy view of one transaction record (SPEC section 2): <c>body || signature</c>.
/// <code>
/// offset  size  field
///      0     1  version (1)
///      1     1  kind (1 transfer, 2 swap, 3 route)
///      2     4  chain_id
///      6    32  sender
///     38     8  nonce
///     46     8  fee
/// transfer: 54 to[32]  86 token:u32  90 amount:u64              (body 98,  record 162)
/// swap:     54 pool:u32 58 a_to_b:u8 59 amount_in:u64 67 min_out (body 75,  record 139)
/// route:    54 hops:u8 (n, 1..4), then per hop i: 55+5i pool:u32 59+5i a_to_b:u8,
///           then 55+5n amount_in:u64 63+5n min_out:u64          (body 71+5n, record 135+5n)
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
    /// <summary>The most hops a route may have.</summary>
    public const int MaxHops = 4;
    /// <summary>Size of one hop of a route (pool id and direction).</summary>
    public const int HopSize = 5;

    /// <summary>Size of a route's signed body with <paramref name="hops"/> hops (71 + 5 hops).</summary>
    public static int RouteBodySize(int hops) => PrefixSize + 17 + HopSize * hops;

    /// <summary>Size of a whole route record with <paramref name="hops"/> hops (135 + 5 hops).</summary>
    public static int RouteSize(int hops) => RouteBodySize(hops) + SignatureSize;

    /// <summary>The record's bytes.</summary>
    public readonly ReadOnlySpan<byte> Raw;

    /// <summary>A view of <paramref name="raw"/>; nothing is checked or copied (see <see cref="IsWellFormed"/>).</summary>
    public TransactionView(ReadOnlySpan<byte> raw) => Raw = raw;

    /// <summary>
    /// SPEC section 2: version 1, kind 1, 2 or 3, the length of its kind (a route's from its hop
    /// count, 1..4), every a_to_b 0 or 1.
    /// </summary>
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
                3 => IsWellFormedRoute(r),
                _ => false,
            };
        }
    }

    private static bool IsWellFormedRoute(ReadOnlySpan<byte> r)
    {
        if (r.Length < RouteSize(1)) return false;
        int hops = r[54];
        if (hops is < 1 or > MaxHops || r.Length != RouteSize(hops)) return false;
        for (int i = 0; i < hops; i++)
            if (r[59 + HopSize * i] > 1) return false;
        return true;
    }

    /// <summary>Body length of a well-formed transfer or swap (the bytes the signature covers); a route's depends on its hops (<see cref="RouteBodySize"/>).</summary>
    public static int BodyLength(TxKind kind) => kind switch
    {
        TxKind.Transfer => TransferBodySize,
        TxKind.Swap => SwapBodySize,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "a route's body length depends on its hop count: RouteBodySize(hops)"),
    };

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
    /// <summary>Swap or route: the amount paid in (of the first hop's input token, for a route).</summary>
    public ulong AmountIn => BinaryPrimitives.ReadUInt64LittleEndian(Raw[AmountsOffset..]);
    /// <summary>Swap or route: the least output accepted (of the last hop, for a route; else the status is slippage).</summary>
    public ulong MinOut => BinaryPrimitives.ReadUInt64LittleEndian(Raw[(AmountsOffset + 8)..]);

    // A swap's amounts follow its pool and direction; a route's follow its hops.
    private int AmountsOffset => Raw[1] == (byte)TxKind.Route ? 55 + HopSize * Raw[54] : 59;

    // Route payload
    /// <summary>Route: the number of hops (1..4 when well-formed).</summary>
    public int Hops => Raw[54];
    /// <summary>Route: the pool of hop <paramref name="hop"/> (0-based).</summary>
    public uint HopPool(int hop) => BinaryPrimitives.ReadUInt32LittleEndian(Raw[(55 + HopSize * hop)..]);
    /// <summary>Route: true when hop <paramref name="hop"/> pays its pool's token A and receives token B.</summary>
    public bool HopAToB(int hop) => Raw[59 + HopSize * hop] == 1;
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

    /// <summary>
    /// Writes a route's body (<see cref="TransactionView.RouteBodySize"/> of the hop count), the
    /// bytes to sign (<paramref name="body"/> may be the whole record: the signature's bytes are
    /// left alone). Hop <c>i</c> goes through <c>pools[i]</c> in direction <c>aToB[i]</c>. The hop
    /// count is not checked against the SPEC's 1..4, so tests can write malformed routes.
    /// </summary>
    public static void WriteRouteBody(Span<byte> body, uint chainId, Address sender, ulong nonce, ulong fee,
        ReadOnlySpan<uint> pools, ReadOnlySpan<bool> aToB, ulong amountIn, ulong minOut)
    {
        if (aToB.Length != pools.Length) throw new ArgumentException("one direction per pool", nameof(aToB));
        if (pools.Length > byte.MaxValue) throw new ArgumentOutOfRangeException(nameof(pools), pools.Length, "the hop count is one byte");
        if (body.Length < TransactionView.RouteBodySize(pools.Length)) throw new ArgumentException("the body needs RouteBodySize(hops) bytes", nameof(body));
        WritePrefix(body, TxKind.Route, chainId, sender, nonce, fee);
        body[54] = (byte)pools.Length;
        int at = 55;
        for (int i = 0; i < pools.Length; i++, at += TransactionView.HopSize)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(body[at..], pools[i]);
            body[at + 4] = aToB[i] ? (byte)1 : (byte)0;
        }
        BinaryPrimitives.WriteUInt64LittleEndian(body[at..], amountIn);
        BinaryPrimitives.WriteUInt64LittleEndian(body[(at + 8)..], minOut);
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
