using System.Buffers.Binary;

namespace GpuExec.Wire;

/// <summary>
/// The fixed header of a <c>.gxb</c> block (SPEC section 3), 116 bytes:
/// <code>
/// offset size field
///      0    4 magic "GXB1"
///      4    4 chain_id
///      8    8 height
///     16   32 fee_collector
///     48   32 parent_state_root
///     80   32 tx_root
///    112    4 tx_count
/// </code>
/// </summary>
public readonly record struct BlockHeader(uint ChainId, ulong Height, Model.Address FeeCollector, Hash32 ParentStateRoot, Hash32 TxRoot, int TxCount)
{
    /// <summary>Size in bytes of the encoded header.</summary>
    public const int Size = 116;
    /// <summary>The four bytes every block file starts with.</summary>
    public static ReadOnlySpan<byte> Magic => "GXB1"u8;
}

/// <summary>
/// A decoded block: the file's bytes, untouched, and where each transaction record starts.
/// Records are sliced from <see cref="Data"/>; nothing is copied per transaction.
/// </summary>
public sealed class Block
{
    internal Block(byte[] data, BlockHeader header, int[] offsets, ushort[] lengths, string source)
    {
        Source = source;
        Data = data;
        Header = header;
        RecordOffsets = offsets;
        RecordLengths = lengths;
    }

    /// <summary>What the block was decoded from (a file path, or "block"): refusals name it.</summary>
    public string Source { get; }

    /// <summary>The whole block file.</summary>
    public byte[] Data { get; }
    /// <summary>The decoded header.</summary>
    public BlockHeader Header { get; }
    /// <summary>Offset of each record's bytes (after its <c>len:u16</c>) in <see cref="Data"/>.</summary>
    public int[] RecordOffsets { get; }
    /// <summary>Length of each record in <see cref="Data"/>.</summary>
    public ushort[] RecordLengths { get; }
    /// <summary>Number of transactions.</summary>
    public int Count => RecordOffsets.Length;

    /// <summary>The bytes of record <paramref name="i"/>, in place.</summary>
    public ReadOnlySpan<byte> Record(int i) => new(Data, RecordOffsets[i], RecordLengths[i]);
}

/// <summary>A 32-byte digest as a value (roots, txids).</summary>
public readonly struct Hash32 : IEquatable<Hash32>
{
    private readonly ulong _a, _b, _c, _d;

    /// <summary>The digest in the first 32 bytes of <paramref name="bytes"/>; throws if there are fewer.</summary>
    public Hash32(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 32) throw new ArgumentException("a hash is 32 bytes", nameof(bytes));
        _a = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        _b = BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]);
        _c = BinaryPrimitives.ReadUInt64LittleEndian(bytes[16..]);
        _d = BinaryPrimitives.ReadUInt64LittleEndian(bytes[24..]);
    }

    /// <summary>Writes the 32 bytes to <paramref name="dest"/>.</summary>
    public void WriteTo(Span<byte> dest)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(dest, _a);
        BinaryPrimitives.WriteUInt64LittleEndian(dest[8..], _b);
        BinaryPrimitives.WriteUInt64LittleEndian(dest[16..], _c);
        BinaryPrimitives.WriteUInt64LittleEndian(dest[24..], _d);
    }

    /// <summary>The 32 bytes as a new array.</summary>
    public byte[] ToArray() { var b = new byte[32]; WriteTo(b); return b; }
    /// <summary>The 32 bytes as 64 lowercase hex digits.</summary>
    public string ToHex() { Span<byte> b = stackalloc byte[32]; WriteTo(b); return Convert.ToHexStringLower(b); }
    /// <summary>Parses 64 hex digits.</summary>
    public static Hash32 FromHex(string hex) => new(Convert.FromHexString(hex));
    /// <inheritdoc/>
    public override string ToString() => ToHex();
    /// <inheritdoc/>
    public bool Equals(Hash32 o) => _a == o._a && _b == o._b && _c == o._c && _d == o._d;
    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Hash32 h && Equals(h);
    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_a, _b, _c, _d);
    /// <summary>Whether the two digests are the same bytes.</summary>
    public static bool operator ==(Hash32 x, Hash32 y) => x.Equals(y);
    /// <summary>Whether the two digests differ.</summary>
    public static bool operator !=(Hash32 x, Hash32 y) => !x.Equals(y);
}
