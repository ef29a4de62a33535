using System.Buffers.Binary;
using GpuExec.Commitments;
using GpuExec.Model;

namespace GpuExec.Wire;

/// <summary>Reads and writes <c>.gxb</c> blocks (SPEC section 3).</summary>
public static class BlockCodec
{
    /// <summary>
    /// Decodes the structure of a block: magic, header, record lengths, no trailing bytes.
    /// Transactions are not interpreted here (a malformed one gets a receipt, not a refusal);
    /// chain, height, parent root and tx_root are checked against the state by <see cref="Execution.BlockChecks"/>.
    /// </summary>
    /// <param name="data">The file's bytes; the block keeps them.</param>
    /// <param name="source">A name for errors, e.g. the file path.</param>
    /// <exception cref="BlockFormatException">The bytes are not a block.</exception>
    public static Block Decode(byte[] data, string source = "block")
    {
        ArgumentNullException.ThrowIfNull(data);
        var span = data.AsSpan();
        if (span.Length < 4 || !span[..4].SequenceEqual(BlockHeader.Magic))
            throw new BlockFormatException(BlockRefusal.BadMagic, Convert.ToHexStringLower(BlockHeader.Magic), Convert.ToHexStringLower(span[..Math.Min(4, span.Length)]),
                $"{source}: bad magic (expected ASCII \"GXB1\")");
        if (span.Length < BlockHeader.Size)
            throw Truncated(BlockHeader.Size, span.Length, $"{source}: truncated header ({span.Length} of {BlockHeader.Size} bytes)");
        uint chainId = BinaryPrimitives.ReadUInt32LittleEndian(span[4..]);
        ulong height = BinaryPrimitives.ReadUInt64LittleEndian(span[8..]);
        var collector = new Address(span.Slice(16, 32));
        var parent = new Hash32(span.Slice(48, 32));
        var txRoot = new Hash32(span.Slice(80, 32));
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(span[112..]);
        // Each record needs at least its 2-byte length: a count the file cannot hold is truncation.
        long maxRecords = (span.Length - BlockHeader.Size) / 2;
        if (count > maxRecords)
            throw Truncated(BlockHeader.Size + 2L * count, span.Length, $"{source}: truncated: tx_count is {count} but the file holds at most {maxRecords} records");
        if (count > InputLimits.MaxTransactions)
            throw new BlockFormatException(BlockRefusal.OverLimit, Num(InputLimits.MaxTransactions), Num(count),
                $"{source}: tx_count {count} is over the limit of {InputLimits.MaxTransactions} transactions per block");
        var offsets = new int[count];
        var lengths = new ushort[count];
        int pos = BlockHeader.Size;
        for (int i = 0; i < count; i++)
        {
            if (span.Length - pos < 2)
                throw Truncated(pos + 2L, span.Length, $"{source}: truncated: record {i} of {count} has no length field (offset {pos})");
            ushort len = BinaryPrimitives.ReadUInt16LittleEndian(span[pos..]);
            pos += 2;
            if (span.Length - pos < len)
                throw Truncated((long)pos + len, span.Length, $"{source}: truncated: record {i} of {count} needs {len} bytes at offset {pos}, {span.Length - pos} remain");
            offsets[i] = pos;
            lengths[i] = len;
            pos += len;
        }
        if (pos != span.Length)
            throw new BlockFormatException(BlockRefusal.TrailingBytes, Num(pos), Num(span.Length),
                $"{source}: {span.Length - pos} trailing bytes after record {count} (offset {pos})");
        return new Block(data, new BlockHeader(chainId, height, collector, parent, txRoot, (int)count), offsets, lengths, source);
    }

    private static string Num(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static BlockFormatException Truncated(long needed, long length, string message) =>
        new(BlockRefusal.Truncated, Num(needed), Num(length), message);

    /// <summary>
    /// Reads and decodes a block file of at most <see cref="InputLimits.MaxBlockBytes"/>; a missing,
    /// unreadable or larger file is an <see cref="ErrorKind.InvalidInput"/> error.
    /// </summary>
    /// <exception cref="BlockFormatException">The bytes are not a block, or the file is larger than the limit (<see cref="BlockRefusal.OverLimit"/>).</exception>
    public static Block ReadFile(string path) =>
        Decode(InputLimits.ReadFile(path, InputLimits.MaxBlockBytes, "block file",
            (message, limit, length) => new BlockFormatException(BlockRefusal.OverLimit, Num(limit), length is { } l ? Num(l) : null, message)), path);

    /// <summary>Encodes a block; <c>tx_root</c> is computed from the records.</summary>
    public static byte[] Encode(uint chainId, ulong height, Address feeCollector, Hash32 parentStateRoot, IReadOnlyList<byte[]> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count > InputLimits.MaxTransactions)
            throw new ArgumentException($"a block holds at most {InputLimits.MaxTransactions} transactions", nameof(records));
        long size = BlockHeader.Size;
        foreach (var r in records)
        {
            if (r.Length > ushort.MaxValue) throw new ArgumentException("a record is at most 65535 bytes");
            size += 2 + r.Length;
        }
        var data = new byte[size];
        var span = data.AsSpan();
        BlockHeader.Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], chainId);
        BinaryPrimitives.WriteUInt64LittleEndian(span[8..], height);
        feeCollector.WriteTo(span[16..]);
        parentStateRoot.WriteTo(span[48..]);
        BinaryPrimitives.WriteUInt32LittleEndian(span[112..], (uint)records.Count);
        int pos = BlockHeader.Size;
        var offsets = new int[records.Count];
        var lengths = new ushort[records.Count];
        for (int i = 0; i < records.Count; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(span[pos..], (ushort)records[i].Length);
            pos += 2;
            records[i].CopyTo(span[pos..]);
            offsets[i] = pos;
            lengths[i] = (ushort)records[i].Length;
            pos += records[i].Length;
        }
        Span<byte> root = stackalloc byte[32];
        Merkle.TxRoot(data, offsets, lengths, root);
        root.CopyTo(span[80..]);
        return data;
    }
}
