using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace GpuExec.Model;

/// <summary>
/// A 32-byte account address (an Ed25519 public key). Stored as four big-endian words so that
/// comparing the words compares the bytes: the state root sorts leaves by byte order.
/// </summary>
public readonly struct Address : IEquatable<Address>, IComparable<Address>
{
    public const int Size = 32;
    private readonly ulong _w0, _w1, _w2, _w3;

    public Address(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < Size) throw new ArgumentException("an address is 32 bytes", nameof(bytes));
        _w0 = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _w1 = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _w2 = BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]);
        _w3 = BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]);
    }

    public void WriteTo(Span<byte> dest)
    {
        BinaryPrimitives.WriteUInt64BigEndian(dest, _w0);
        BinaryPrimitives.WriteUInt64BigEndian(dest[8..], _w1);
        BinaryPrimitives.WriteUInt64BigEndian(dest[16..], _w2);
        BinaryPrimitives.WriteUInt64BigEndian(dest[24..], _w3);
    }

    public byte[] ToArray() { var b = new byte[Size]; WriteTo(b); return b; }

    public static Address FromHex(string hex) => new(Convert.FromHexString(hex));

    public string ToHex() { Span<byte> b = stackalloc byte[Size]; WriteTo(b); return Convert.ToHexStringLower(b); }

    public override string ToString() => ToHex();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Equals(Address other) => _w0 == other._w0 && _w1 == other._w1 && _w2 == other._w2 && _w3 == other._w3;

    public override bool Equals(object? obj) => obj is Address a && Equals(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public override int GetHashCode()
    {
        // Addresses are public keys: uniformly distributed, so a cheap fold is a good hash.
        ulong h = _w0 ^ (_w1 * 0x9E3779B97F4A7C15UL) ^ _w2 ^ _w3;
        return (int)(h ^ (h >> 32));
    }

    public int CompareTo(Address other)
    {
        int c = _w0.CompareTo(other._w0);
        if (c != 0) return c;
        c = _w1.CompareTo(other._w1);
        if (c != 0) return c;
        c = _w2.CompareTo(other._w2);
        return c != 0 ? c : _w3.CompareTo(other._w3);
    }

    public static bool operator ==(Address a, Address b) => a.Equals(b);
    public static bool operator !=(Address a, Address b) => !a.Equals(b);
    public static bool operator <(Address a, Address b) => a.CompareTo(b) < 0;
    public static bool operator >(Address a, Address b) => a.CompareTo(b) > 0;
    public static bool operator <=(Address a, Address b) => a.CompareTo(b) <= 0;
    public static bool operator >=(Address a, Address b) => a.CompareTo(b) >= 0;
}
