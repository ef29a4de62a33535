using System.Runtime.InteropServices;

namespace GpuExec.Kernels.Verify;

/// <summary>
/// One Ed25519 verification, read in place from a byte arena (a block's raw transaction records).
/// <code>
/// 0        4        8        12       16
/// | msgOff | msgLen | pkOff  | sigOff |
/// </code>
/// The public key is 32 bytes at <see cref="PublicKeyOffset"/>, the signature 64 bytes
/// (R then S) at <see cref="SignatureOffset"/>, the message <see cref="MessageLength"/> bytes at
/// <see cref="MessageOffset"/>. A job whose key or signature offset is negative is invalid
/// (the host uses that for wrong-length inputs).
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal struct SignatureJob
{
    public int MessageOffset;
    public int MessageLength;
    public int PublicKeyOffset;
    public int SignatureOffset;

    public SignatureJob(int messageOffset, int messageLength, int publicKeyOffset, int signatureOffset)
    {
        MessageOffset = messageOffset;
        MessageLength = messageLength;
        PublicKeyOffset = publicKeyOffset;
        SignatureOffset = signatureOffset;
    }
}

/// <summary>One message to hash: <see cref="Length"/> bytes at <see cref="Offset"/> in the arena.
/// <code>
/// 0        4        8
/// | offset | length |
/// </code></summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal struct HashJob
{
    public int Offset;
    public int Length;

    public HashJob(int offset, int length)
    {
        Offset = offset;
        Length = length;
    }
}

/// <summary>
/// A message as the hashes see it: an optional one-byte prefix, then up to three segments of
/// one source view (Ed25519 hashes R || A || M; RFC 6962 hashes 0x00 || leaf and 0x01 || l || r).
/// </summary>
internal struct MessageSpec
{
    public int PrefixLength; // 0 or 1
    public int Prefix;
    public int Off0, Len0, Off1, Len1, Off2, Len2;

    public readonly long TotalLength => (long)PrefixLength + Len0 + Len1 + Len2;

    public static MessageSpec Single(int offset, int length) => new()
    {
        Off0 = offset, Len0 = length,
    };

    /// <summary>
    /// Where bytes pos..pos+len-1 of the message lie in the source, when they are all inside one
    /// segment (not the prefix); false otherwise.
    /// </summary>
    public readonly bool TryLocate(long pos, int len, out long at)
    {
        at = 0;
        pos -= PrefixLength;
        if (pos < 0)
            return false;
        if (pos < Len0)
        {
            at = Off0 + pos;
            return pos + len <= Len0;
        }
        pos -= Len0;
        if (pos < Len1)
        {
            at = Off1 + pos;
            return pos + len <= Len1;
        }
        pos -= Len1;
        at = Off2 + pos;
        return pos + len <= Len2;
    }

    /// <summary>The byte at <paramref name="pos"/> (0 &lt;= pos &lt; TotalLength).</summary>
    public readonly byte ByteAt(ILGPU.ArrayView<byte> src, long pos)
    {
        if (pos < PrefixLength)
            return (byte)Prefix;
        pos -= PrefixLength;
        if (pos < Len0)
            return src[Off0 + pos];
        pos -= Len0;
        if (pos < Len1)
            return src[Off1 + pos];
        pos -= Len1;
        return src[Off2 + pos];
    }
}
