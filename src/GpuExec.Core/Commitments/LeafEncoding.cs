using System.Buffers.Binary;
using GpuExec.Model;
using GpuExec.State;

namespace GpuExec.Commitments;

/// <summary>
/// The state's leaf data of SPEC section 6, the one place it is encoded (the state root hashes it;
/// stores lay their records out the same way):
/// <code>
/// account: 0x01 || address[32] || nonce:u64 || n:u32 || n x (token:u32, balance:u64)   zeros left out
/// pool:    0x02 || id:u32 big-endian || token_a:u32 || token_b:u32 || reserve_a:u64 || reserve_b:u64 || fee_bps:u16
/// </code>
/// </summary>
internal static class LeafEncoding
{
    public const int PoolLeafSize = 1 + 4 + 4 + 4 + 8 + 8 + 2;

    /// <summary>Writes a pool's whole leaf (31 bytes).</summary>
    public static void WritePoolLeaf(in Pool p, Span<byte> leaf)
    {
        leaf[0] = 2;
        BinaryPrimitives.WriteUInt32BigEndian(leaf[1..], p.Id);
        BinaryPrimitives.WriteUInt32LittleEndian(leaf[5..], p.TokenA);
        BinaryPrimitives.WriteUInt32LittleEndian(leaf[9..], p.TokenB);
        BinaryPrimitives.WriteUInt64LittleEndian(leaf[13..], p.ReserveA);
        BinaryPrimitives.WriteUInt64LittleEndian(leaf[21..], p.ReserveB);
        BinaryPrimitives.WriteUInt16LittleEndian(leaf[29..], p.FeeBps);
    }

    /// <summary>Bytes of an account's leaf after <c>0x01 || address</c>: <c>nonce || n || entries</c>.</summary>
    public static int AccountBodySize(Account a)
    {
        ArgumentNullException.ThrowIfNull(a);
        int n = 0;
        for (int i = 0; i < a.EntryCount; i++) if (a.AmountAt(i) != 0) n++;
        return 8 + 4 + 12 * n;
    }

    /// <summary>Writes <c>nonce:u64 || n:u32 || n x (token:u32, balance:u64)</c>, zero balances left out; returns its length.</summary>
    public static int WriteAccountBody(Account a, Span<byte> dest)
    {
        ArgumentNullException.ThrowIfNull(a);
        int size = AccountBodySize(a);
        BinaryPrimitives.WriteUInt64LittleEndian(dest, a.Nonce);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[8..], (uint)((size - 12) / 12));
        int pos = 12;
        for (int i = 0; i < a.EntryCount; i++)
        {
            if (a.AmountAt(i) == 0) continue;
            BinaryPrimitives.WriteUInt32LittleEndian(dest[pos..], a.TokenAt(i));
            BinaryPrimitives.WriteUInt64LittleEndian(dest[(pos + 4)..], a.AmountAt(i));
            pos += 12;
        }
        return size;
    }

    /// <summary>Bytes of an account's leaf: <c>0x01 || address || body</c>.</summary>
    public static int AccountLeafSize(Account a) => 1 + Address.Size + AccountBodySize(a);

    /// <summary>Writes an account's leaf <c>0x01 || address || body</c> (without the RFC 6962 leaf prefix); returns its length.</summary>
    public static int WriteAccountLeaf(Account a, Span<byte> dest)
    {
        ArgumentNullException.ThrowIfNull(a);
        dest[0] = 1;
        a.Address.WriteTo(dest[1..]);
        return 1 + Address.Size + WriteAccountBody(a, dest[(1 + Address.Size)..]);
    }
}
