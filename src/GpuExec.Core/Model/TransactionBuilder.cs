using GpuExec.Wire;
using NSec.Cryptography;

namespace GpuExec.Model;

/// <summary>One hop of a route: the pool, and the direction (true pays the pool's token A and receives token B).</summary>
/// <param name="Pool">The pool's id.</param>
/// <param name="AToB">True to pay token A and receive token B.</param>
public readonly record struct RouteHop(uint Pool, bool AToB);

/// <summary>A signed transaction record (SPEC section 2: body and signature) and its txid.</summary>
public sealed class SignedTransaction
{
    internal SignedTransaction(byte[] record)
    {
        Record = record;
        TxId = Model.TxId.Of(record);
    }

    /// <summary>The whole record, as it goes into a block (<see cref="BlockCodec.Encode"/>) or to pre-verification. Not to be changed: the signature and the txid cover every byte.</summary>
    public byte[] Record { get; }

    /// <summary>The record's txid (<see cref="Model.TxId.Of"/>), by which receipts and verdicts name it.</summary>
    public Hash32 TxId { get; }
}

/// <summary>
/// Encodes and signs transactions of one sender for one chain: transfers, swaps and routes, from an
/// Ed25519 key (NSec), so that no caller assembles record bytes by hand. Every record it makes is
/// well-formed (SPEC section 2); whether it applies is the state's to say (see
/// <see cref="Execution.TxCheck"/>). Signatures are deterministic (RFC 8032): the same arguments give
/// the same bytes. Thread-safe; the key is not owned.
/// </summary>
public sealed class TransactionBuilder
{
    private readonly Key _key;

    /// <summary>A builder for the holder of <paramref name="key"/> (an Ed25519 key) on chain <paramref name="chainId"/>.</summary>
    /// <exception cref="ArgumentException">The key is not an Ed25519 key.</exception>
    public TransactionBuilder(Key key, uint chainId)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Algorithm is not Ed25519) throw new ArgumentException("transactions are signed with Ed25519 keys", nameof(key));
        _key = key;
        ChainId = chainId;
        Span<byte> pk = stackalloc byte[32];
        if (!key.PublicKey.TryExport(KeyBlobFormat.RawPublicKey, pk, out int written) || written != 32)
            throw new ArgumentException("the key's public key did not export as 32 raw bytes", nameof(key));
        Sender = new Address(pk);
    }

    /// <summary>The sender's address: the key's public key.</summary>
    public Address Sender { get; }

    /// <summary>The chain the transactions are signed for.</summary>
    public uint ChainId { get; }

    /// <summary>A transfer of <paramref name="amount"/> of <paramref name="token"/> to <paramref name="to"/>.</summary>
    public SignedTransaction Transfer(ulong nonce, ulong fee, Address to, uint token, ulong amount)
    {
        var record = new byte[TransactionView.TransferSize];
        TransactionEncoder.WriteTransferBody(record, ChainId, Sender, nonce, fee, to, token, amount);
        return Sign(record);
    }

    /// <summary>A swap of <paramref name="amountIn"/> through pool <paramref name="pool"/>, failing (SLIPPAGE) below <paramref name="minOut"/>.</summary>
    /// <param name="aToB">True to pay the pool's token A and receive token B.</param>
    public SignedTransaction Swap(ulong nonce, ulong fee, uint pool, bool aToB, ulong amountIn, ulong minOut)
    {
        var record = new byte[TransactionView.SwapSize];
        TransactionEncoder.WriteSwapBody(record, ChainId, Sender, nonce, fee, pool, aToB, amountIn, minOut);
        return Sign(record);
    }

    /// <summary>
    /// A route of 1 to 4 <paramref name="hops"/>: <paramref name="amountIn"/> of the first hop's
    /// input token, each hop's output paid into the next, failing (SLIPPAGE) when the last output is
    /// below <paramref name="minOut"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than 1 or more than <see cref="TransactionView.MaxHops"/> hops.</exception>
    public SignedTransaction Route(ulong nonce, ulong fee, ReadOnlySpan<RouteHop> hops, ulong amountIn, ulong minOut)
    {
        if (hops.Length is < 1 or > TransactionView.MaxHops)
            throw new ArgumentOutOfRangeException(nameof(hops), hops.Length, $"a route has 1 to {TransactionView.MaxHops} hops");
        Span<uint> pools = stackalloc uint[hops.Length];
        Span<bool> aToB = stackalloc bool[hops.Length];
        for (int i = 0; i < hops.Length; i++) (pools[i], aToB[i]) = (hops[i].Pool, hops[i].AToB);
        var record = new byte[TransactionView.RouteSize(hops.Length)];
        TransactionEncoder.WriteRouteBody(record, ChainId, Sender, nonce, fee, pools, aToB, amountIn, minOut);
        return Sign(record);
    }

    private SignedTransaction Sign(byte[] record)
    {
        int body = record.Length - TransactionView.SignatureSize;
        SignatureAlgorithm.Ed25519.Sign(_key, record.AsSpan(0, body), record.AsSpan(body));
        return new SignedTransaction(record);
    }
}
