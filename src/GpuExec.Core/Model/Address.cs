using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace GpuExec.Model;

/// <summary>
/// A 32-byte account address (an Ed25519 public key). Stored as four big-endian words so that
/// comparing the words compares the bytes: the state root sorts leaves by byte order.
/// </summary>
public readonly struct Address : IEquatable<Address>, IComparable<Address>
{
    /// <summary>Size in bytes of an address (an Ed25519 public key).</summary>
    public const int Size = 32;
    private readonly ulong _w0, _w1, _w2, _w3;

    /// <summary>The address in the first 32 bytes of <paramref name="bytes"/>; throws if there are fewer.</summary>
    public Address(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < Size) throw new ArgumentException("an address is 32 bytes", nameof(bytes));
        _w0 = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _w1 = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _w2 = BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]);
        _w3 = BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]);
    }

    /// <summary>Writes the 32 bytes to <paramref name="dest"/>.</summary>
    public void WriteTo(Span<byte> dest)
    {
        BinaryPrimitives.WriteUInt64BigEndian(dest, _w0);
        BinaryPrimitives.WriteUInt64BigEndian(dest[8..], _w1);
        BinaryPrimitives.WriteUInt64BigEndian(dest[16..], _w2);
        BinaryPrimitives.WriteUInt64BigEndian(dest[24..], _w3);
    }

    /// <summary>The 32 bytes as a new array.</summary>
    public byte[] ToArray() { var b = new byte[Size]; WriteTo(b); return b; }

    /// <summary>Parses 64 hex digits.</summary>
    public static Address FromHex(string hex) => new(Convert.FromHexString(hex));

    /// <summary>The 32 bytes as 64 lowercase hex digits.</summary>
    public string ToHex() { Span<byte> b = stackalloc byte[Size]; WriteTo(b); return Convert.ToHexStringLower(b); }

    /// <inheritdoc/>
    public override string ToString() => ToHex();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Equals(Address other) => _w0 == other._w0 && _w1 == other._w1 && _w2 == other._w2 && _w3 == other._w3;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Address a && Equals(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public override int GetHashCode()
    {
        // Addresses are public keys: uniformly distributed, so a cheap fold is a good hash.
        ulong h = _w0 ^ (_w1 * 0x9E3779B97F4A7C15UL) ^ _w2 ^ _w3;
        return (int)(h ^ (h >> 32));
    }

    /// <summary>Orders addresses by their bytes, big-endian (the order of the state tree's leaves).</summary>
    public int CompareTo(Address other)
    {
        int c = _w0.CompareTo(other._w0);
        if (c != 0) return c;
        c = _w1.CompareTo(other._w1);
        if (c != 0) return c;
        c = _w2.CompareTo(other._w2);
        return c != 0 ? c : _w3.CompareTo(other._w3);
    }

    /// <summary>Whether the two addresses are the same bytes.</summary>
    public static bool operator ==(Address a, Address b) => a.Equals(b);
    /// <summary>Whether the two addresses differ.</summary>
    public static bool operator !=(Address a, Address b) => !a.Equals(b);
    /// <summary>Byte order, as <see cref="CompareTo"/>.</summary>
    public static bool operator <(Address a, Address b) => a.CompareTo(b) < 0;
    /// <summary>Byte order, as <see cref="CompareTo"/>.</summary>
    public static bool operator >(Address a, Address b) => a.CompareTo(b) > 0;
    /// <summary>Byte order, as <see cref="CompareTo"/>.</summary>
    public static bool operator <=(Address a, Address b) => a.CompareTo(b) <= 0;
    /// <summary>Byte order, as <see cref="CompareTo"/>.</summary>
    public static bool operator >=(Address a, Address b) => a.CompareTo(b) >= 0;
}
