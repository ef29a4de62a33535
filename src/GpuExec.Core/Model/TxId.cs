using System.Security.Cryptography;
using GpuExec.Wire;

namespace GpuExec.Model;

/// <summary>
/// Transaction ids (SPEC section 2): <c>txid = SHA-256(record)</c>, over the whole record, signature
/// included, so two records that differ in any byte have different ids. A block's receipts, the
/// signature cache and pre-verification verdicts all name transactions by it.
/// </summary>
public static class TxId
{
    /// <summary>The txid of <paramref name="record"/> (a whole transaction record: body and signature).</summary>
    public static Hash32 Of(ReadOnlySpan<byte> record)
    {
        Span<byte> id = stackalloc byte[32];
        SHA256.HashData(record, id);
        return new Hash32(id);
    }

    /// <summary>Writes the 32-byte txid of <paramref name="record"/> to <paramref name="destination"/>.</summary>
    public static void Write(ReadOnlySpan<byte> record, Span<byte> destination)
    {
        if (destination.Length < 32) throw new ArgumentException("a txid is 32 bytes", nameof(destination));
        SHA256.HashData(record, destination);
    }
}
