using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using GpuExec.Model;
using GpuExec.Wire;

namespace GpuExec.Commitments;

/// <summary>
/// A leaf's 256-bit key in the state tree (SPEC section 6): <c>H(0x01 || address)</c> for an
/// account, <c>H(0x02 || id:u32 big-endian)</c> for a pool. In memory it is the key's 32 bytes in
/// order (so arrays of keys and leaves hash without copying); comparisons and bit tests read the
/// words big-endian, so comparing words compares bytes and bit i (most significant bit of byte 0
/// first) is a shift.
/// </summary>
[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
public readonly struct TreeKey : IEquatable<TreeKey>, IComparable<TreeKey>
{
    /// <summary>Size in bytes of a key.</summary>
    public const int Size = 32;

    // The bytes as they lie in memory (little-endian loads); Word() gives the big-endian value.
    private readonly ulong _r0, _r1, _r2, _r3;

    /// <summary>The key in the first 32 bytes of <paramref name="bytes"/>; throws if there are fewer.</summary>
    public TreeKey(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < Size) throw new ArgumentException("a tree key is 32 bytes", nameof(bytes));
        _r0 = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        _r1 = BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]);
        _r2 = BinaryPrimitives.ReadUInt64LittleEndian(bytes[16..]);
        _r3 = BinaryPrimitives.ReadUInt64LittleEndian(bytes[24..]);
    }

    private ulong Be0 => BinaryPrimitives.ReverseEndianness(_r0);

    /// <summary>The key's first 8 bytes as a big-endian number: keys in this order are in <see cref="CompareTo"/>'s, but for ties.</summary>
    internal ulong Head => Be0;
    private ulong Be1 => BinaryPrimitives.ReverseEndianness(_r1);
    private ulong Be2 => BinaryPrimitives.ReverseEndianness(_r2);
    private ulong Be3 => BinaryPrimitives.ReverseEndianness(_r3);

    /// <summary>The key of the account at <paramref name="address"/>.</summary>
    public static TreeKey ForAccount(Address address)
    {
        Span<byte> m = stackalloc byte[1 + Address.Size];
        m[0] = 1;
        address.WriteTo(m[1..]);
        Span<byte> h = stackalloc byte[Size];
        SHA256.HashData(m, h);
        return new TreeKey(h);
    }

    /// <summary>The key of pool <paramref name="id"/>.</summary>
    public static TreeKey ForPool(uint id)
    {
        Span<byte> m = stackalloc byte[5];
        m[0] = 2;
        BinaryPrimitives.WriteUInt32BigEndian(m[1..], id);
        Span<byte> h = stackalloc byte[Size];
        SHA256.HashData(m, h);
        return new TreeKey(h);
    }

    /// <summary>Bit <paramref name="i"/> (0..255): <c>(k[i / 8] >> (7 - i % 8)) &amp; 1</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Bit(int i) => (int)((Word(i >> 6) >> (63 - (i & 63))) & 1);

    /// <summary>The first <paramref name="bits"/> bits (0..32) as a number: the index of the key's node at that depth.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Prefix(int bits) => bits == 0 ? 0 : (uint)(Be0 >> (64 - bits));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong Word(int w) => w switch { 0 => Be0, 1 => Be1, 2 => Be2, _ => Be3 };

    /// <summary>How many leading bits this key shares with <paramref name="other"/> (256 when equal).</summary>
    public int CommonPrefix(TreeKey other)
    {
        for (int w = 0; w < 4; w++)
        {
            ulong x = Word(w) ^ other.Word(w);
            if (x != 0) return 64 * w + System.Numerics.BitOperations.LeadingZeroCount(x);
        }
        return 256;
    }

    /// <summary>Writes the 32 bytes to <paramref name="dest"/>.</summary>
    public void WriteTo(Span<byte> dest)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(dest, _r0);
        BinaryPrimitives.WriteUInt64LittleEndian(dest[8..], _r1);
        BinaryPrimitives.WriteUInt64LittleEndian(dest[16..], _r2);
        BinaryPrimitives.WriteUInt64LittleEndian(dest[24..], _r3);
    }

    /// <summary>The key as a <see cref="Hash32"/> (the same 32 bytes).</summary>
    public Hash32 ToHash32()
    {
        Span<byte> b = stackalloc byte[Size];
        WriteTo(b);
        return new Hash32(b);
    }

    /// <summary>The key of the same 32 bytes as <paramref name="h"/>.</summary>
    public static TreeKey FromHash32(Hash32 h)
    {
        Span<byte> b = stackalloc byte[Size];
        h.WriteTo(b);
        return new TreeKey(b);
    }

    /// <summary>The 32 bytes as 64 lowercase hex digits.</summary>
    public string ToHex() => ToHash32().ToHex();

    /// <inheritdoc/>
    public override string ToString() => ToHex();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Equals(TreeKey other) => _r0 == other._r0 && _r1 == other._r1 && _r2 == other._r2 && _r3 == other._r3;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is TreeKey k && Equals(k);

    /// <inheritdoc/>
    public override int GetHashCode() => (int)(_r0 ^ (_r0 >> 32));

    /// <summary>Byte order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int CompareTo(TreeKey other)
    {
        if (_r0 != other._r0) return Be0 < other.Be0 ? -1 : 1;
        if (_r1 != other._r1) return Be1 < other.Be1 ? -1 : 1;
        if (_r2 != other._r2) return Be2 < other.Be2 ? -1 : 1;
        return _r3 == other._r3 ? 0 : Be3 < other.Be3 ? -1 : 1;
    }

    /// <summary>Whether the keys are the same bytes.</summary>
    public static bool operator ==(TreeKey a, TreeKey b) => a.Equals(b);
    /// <summary>Whether the keys differ.</summary>
    public static bool operator !=(TreeKey a, TreeKey b) => !a.Equals(b);
    /// <summary>Byte order.</summary>
    public static bool operator <(TreeKey a, TreeKey b) => a.CompareTo(b) < 0;
    /// <summary>Byte order.</summary>
    public static bool operator >(TreeKey a, TreeKey b) => a.CompareTo(b) > 0;
    /// <summary>Byte order.</summary>
    public static bool operator <=(TreeKey a, TreeKey b) => a.CompareTo(b) <= 0;
    /// <summary>Byte order.</summary>
    public static bool operator >=(TreeKey a, TreeKey b) => a.CompareTo(b) >= 0;
}
