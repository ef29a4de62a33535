using GpuExec.Commitments;
using System.Buffers.Binary;
using GpuExec.Model;
using GpuExec.State;

namespace GpuExec.Storage;

/// <summary>
/// The key/value layout of a <see cref="RocksDbStateStore"/> (format version 3: SPEC v2 state roots,
/// the state tree's buckets on disk). For accounts and pools <c>key || value</c> <em>is</em> the leaf
/// data of SPEC section 6. One key space, partitioned by the first byte (so a range of one kind is
/// one contiguous run of keys, written in bulk as one sorted table file):
/// <code>
/// key                              value
/// 0x00 || "magic"                  "GpuExec state store"
/// 0x00 || "format"                 u32 format version (3; 1 and 2 hold SPEC v1 roots or no tree)
/// 0x00 || "tree_depth"             u32 D: the state tree's buckets are its 2^D subtrees at depth D
/// 0x00 || "leaf_count"             u64: leaves in the state tree (accounts with a leaf, and pools)
/// 0x00 || "chain_id"               u32
/// 0x00 || "genesis_height"         u64
/// 0x00 || "genesis_root"           32 bytes: state root of the genesis the store was made from
/// 0x00 || "height"                 u64: height of the last committed block
/// 0x00 || "state_root"             32 bytes: state root after that block
/// 0x00 || "commit_record"          u32 1: the directory has a commit record file (CommitRecord) and must keep it
/// 0x01 || address[32]              nonce:u64 || n:u32 || n x (token:u32, balance:u64), ascending tokens, no zeros
/// 0x02 || id:u32 big-endian        token_a:u32 || token_b:u32 || reserve_a:u64 || reserve_b:u64 || fee_bps:u16
/// 0x03 || height:u64 big-endian    state_root[32] || n:u32 || n x (txid[32], status:u8)   (receipts)
/// 0x04 || height:u64 big-endian    n x bucket:u32   (the tree buckets the block changed: the journal
///                                  that brings the bucket level's snapshot file up to date on open)
/// 0x05 || bucket:u32 big-endian    n x (key[32], value_hash[32], leaf_hash[32]), ascending keys
///                                  (a state tree bucket: the leaves whose keys start with its D bits)
/// </code>
/// Beside RocksDB's files, <c>GPUEXEC-TREE</c> (<see cref="TreeSnapshot"/>) holds the bucket level
/// (every bucket's root and kind) as of some height, and <c>GPUEXEC-COMMITTED</c> (<see cref="CommitRecord"/>)
/// the height and root of the last acknowledged block.
/// Integers in values are little-endian like the SPEC's; integers in keys are big-endian so that
/// bytewise order is numeric order. Accounts with no leaf (nonce 0, no balance) are not stored.
/// </summary>
internal static class StoreLayout
{
    public const uint FormatVersion = 3;
    public const byte MetaPrefix = 0x00, AccountPrefix = 0x01, PoolPrefix = 0x02, ReceiptsPrefix = 0x03, JournalPrefix = 0x04, BucketPrefix = 0x05;
    public const int AccountKeySize = 1 + Address.Size, PoolKeySize = 1 + 4, ReceiptsKeySize = 1 + 8, BucketKeySize = 1 + 4;
    /// <summary>The bucket depth a store gets at least: a chain that starts small and grows keeps small buckets for a long while.</summary>
    public const int MinTreeDepth = 16;
    public const int PoolValueSize = 4 + 4 + 8 + 8 + 2;
    public static ReadOnlySpan<byte> MagicValue => "GpuExec state store"u8;

    public static readonly byte[] MagicKey = Meta("magic");
    public static readonly byte[] FormatKey = Meta("format");
    public static readonly byte[] ChainIdKey = Meta("chain_id");
    public static readonly byte[] GenesisHeightKey = Meta("genesis_height");
    public static readonly byte[] GenesisRootKey = Meta("genesis_root");
    public static readonly byte[] HeightKey = Meta("height");
    public static readonly byte[] StateRootKey = Meta("state_root");
    public static readonly byte[] CommitRecordKey = Meta("commit_record");
    public static readonly byte[] TreeDepthKey = Meta("tree_depth");
    public static readonly byte[] LeafCountKey = Meta("leaf_count");

    public static byte[] BucketKey(uint bucket)
    {
        var k = new byte[BucketKeySize];
        BucketKey(bucket, k);
        return k;
    }

    public static void BucketKey(uint bucket, Span<byte> key)
    {
        key[0] = BucketPrefix;
        BinaryPrimitives.WriteUInt32BigEndian(key[1..], bucket);
    }

    public static byte[] JournalKey(ulong height)
    {
        var k = new byte[ReceiptsKeySize];
        k[0] = JournalPrefix;
        BinaryPrimitives.WriteUInt64BigEndian(k.AsSpan(1), height);
        return k;
    }

    /// <summary>The bucket depth of a store of <paramref name="leaves"/> leaves.</summary>
    public static int TreeDepthFor(long leaves) => Math.Max(MinTreeDepth, SparseMerkleTree.TopFor(leaves));

    private static byte[] Meta(string name)
    {
        var k = new byte[1 + name.Length];
        k[0] = MetaPrefix;
        for (int i = 0; i < name.Length; i++) k[1 + i] = (byte)name[i];
        return k;
    }

    public static void AccountKey(Address address, Span<byte> key)
    {
        key[0] = AccountPrefix;
        address.WriteTo(key[1..]);
    }

    /// <summary>Writes the account value into <paramref name="buffer"/> (grown if needed); returns its length.</summary>
    public static int AccountValue(Account a, ref byte[] buffer)
    {
        int size = LeafEncoding.AccountBodySize(a);
        if (buffer.Length < size) buffer = new byte[Math.Max(size, buffer.Length * 2)];
        return LeafEncoding.WriteAccountBody(a, buffer);
    }

    /// <summary>Decodes an account record; null when it is not well-formed.</summary>
    public static Account? ReadAccount(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (key.Length != AccountKeySize || value.Length < 12) return null;
        uint n = BinaryPrimitives.ReadUInt32LittleEndian(value[8..]);
        if (value.Length != 12 + 12L * n) return null;
        var a = new Account(new Address(key[1..]));
        a.Nonce = BinaryPrimitives.ReadUInt64LittleEndian(value);
        long previous = -1;
        for (int i = 0; i < n; i++)
        {
            uint token = BinaryPrimitives.ReadUInt32LittleEndian(value[(12 + 12 * i)..]);
            ulong amount = BinaryPrimitives.ReadUInt64LittleEndian(value[(16 + 12 * i)..]);
            if (token <= previous || amount == 0) return null;
            previous = token;
            a.SetBalance(token, amount);
        }
        return a.IsEmpty ? null : a;
    }

    public static void PoolKey(uint id, Span<byte> key)
    {
        key[0] = PoolPrefix;
        BinaryPrimitives.WriteUInt32BigEndian(key[1..], id);
    }

    /// <summary>The pool's leaf data after <c>0x02 || id</c> (the key holds those).</summary>
    public static void PoolValue(in Pool p, Span<byte> v)
    {
        Span<byte> leaf = stackalloc byte[LeafEncoding.PoolLeafSize];
        LeafEncoding.WritePoolLeaf(p, leaf);
        leaf[5..].CopyTo(v);
    }

    /// <summary>Decodes a pool record; false when it is not well-formed (SPEC section 1).</summary>
    public static bool TryReadPool(ReadOnlySpan<byte> key, ReadOnlySpan<byte> v, out Pool p)
    {
        p = default;
        if (key.Length != PoolKeySize || v.Length != PoolValueSize) return false;
        p = new Pool
        {
            Id = BinaryPrimitives.ReadUInt32BigEndian(key[1..]),
            TokenA = BinaryPrimitives.ReadUInt32LittleEndian(v),
            TokenB = BinaryPrimitives.ReadUInt32LittleEndian(v[4..]),
            ReserveA = BinaryPrimitives.ReadUInt64LittleEndian(v[8..]),
            ReserveB = BinaryPrimitives.ReadUInt64LittleEndian(v[16..]),
            FeeBps = BinaryPrimitives.ReadUInt16LittleEndian(v[24..]),
        };
        return p.TokenA != p.TokenB && p.ReserveA > 0 && p.ReserveB > 0 && p.FeeBps <= Pool.MaxFeeBps;
    }

    public static byte[] ReceiptsKey(ulong height)
    {
        var k = new byte[ReceiptsKeySize];
        k[0] = ReceiptsPrefix;
        BinaryPrimitives.WriteUInt64BigEndian(k.AsSpan(1), height);
        return k;
    }

    public static byte[] ReceiptsValue(Execution.BlockResult r)
    {
        var v = new byte[32 + 4 + 33 * r.Count];
        r.StateRoot.WriteTo(v);
        BinaryPrimitives.WriteUInt32LittleEndian(v.AsSpan(32), (uint)r.Count);
        for (int i = 0; i < r.Count; i++)
        {
            r.TxId(i).CopyTo(v.AsSpan(36 + 33 * i));
            v[36 + 33 * i + 32] = (byte)r.Statuses[i];
        }
        return v;
    }

    public static Execution.BlockResult? ReadReceipts(ReadOnlySpan<byte> v)
    {
        if (v.Length < 36) return null;
        uint n = BinaryPrimitives.ReadUInt32LittleEndian(v[32..]);
        if (v.Length != 36 + 33L * n) return null;
        var statuses = new TxStatus[n];
        var txids = new byte[32 * n];
        for (int i = 0; i < n; i++)
        {
            v.Slice(36 + 33 * i, 32).CopyTo(txids.AsSpan(32 * i));
            byte s = v[36 + 33 * i + 32];
            if (s > (byte)TxStatusNames.Last) return null;
            statuses[i] = (TxStatus)s;
        }
        return new Execution.BlockResult(statuses, txids, new Wire.Hash32(v[..32]));
    }
}
