using System.Buffers.Binary;
using System.Security.Cryptography;
using GpuExec.Wire;

namespace GpuExec.Storage;

/// <summary>
/// The state tree's bucket level (every bucket's root and kind) as of one height, in a file beside
/// RocksDB's, so that opening a store never reads every bucket: the store loads it, recomputes the
/// roots of the buckets the blocks after that height touched (their indices are journaled with each
/// block), hashes the levels above and checks the root against the stored one.
/// <code>
/// "GXTREE02"          8 bytes
/// height              u64
/// root                32 bytes: the state root at that height
/// depth D             u32
/// leaf count          u64
/// roots               32 x 2^D bytes
/// kinds               2^D bytes (0 empty, 1 one leaf, 2 more)
/// SHA-256             32 bytes, of everything before it
/// </code>
/// Written to a temporary file, synced, then renamed over the old one: a crash leaves one whole file.
/// </summary>
internal static class TreeSnapshot
{
    public const string FileName = "GPUEXEC-TREE";
    private static ReadOnlySpan<byte> Magic => "GXTREE02"u8;
    private const int HeaderSize = 8 + 8 + 32 + 4 + 8;

    public static string PathIn(string dir) => Path.Combine(dir, FileName);

    public static void Write(string dir, ulong height, Hash32 root, int depth, long count, ReadOnlySpan<byte> roots, ReadOnlySpan<byte> kinds)
    {
        var header = new byte[HeaderSize];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(8), height);
        root.WriteTo(header.AsSpan(16));
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(48), (uint)depth);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(52), (ulong)count);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(header);
        sha.AppendData(roots);
        sha.AppendData(kinds);
        var digest = sha.GetHashAndReset();
        string tmp = Path.Combine(dir, $".{FileName}.tmp-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}");
        try
        {
            using (var f = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                f.Write(header);
                f.Write(roots);
                f.Write(kinds);
                f.Write(digest);
                f.Flush(flushToDisk: true);
            }
            File.Move(tmp, PathIn(dir), overwrite: true);
            DirectorySync.Flush(dir);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { }
            throw;
        }
    }

    /// <summary>The snapshot in <paramref name="dir"/> when there is a whole one of depth <paramref name="depth"/>; null when there is none or it is damaged (the store then rebuilds the level from its buckets).</summary>
    public static (ulong Height, Hash32 Root, long Count, byte[] Roots, byte[] Kinds)? TryRead(string dir, int depth)
    {
        string path = PathIn(dir);
        if (!File.Exists(path)) return null;
        long expected = HeaderSize + (32L << depth) + (1L << depth) + 32;
        try
        {
            using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            if (f.Length != expected) return null;
            var header = new byte[HeaderSize];
            f.ReadExactly(header);
            if (!header.AsSpan(0, 8).SequenceEqual(Magic) || BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(48)) != (uint)depth) return null;
            var roots = new byte[32L << depth];
            var kinds = new byte[1L << depth];
            var digest = new byte[32];
            f.ReadExactly(roots);
            f.ReadExactly(kinds);
            f.ReadExactly(digest);
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            sha.AppendData(header);
            sha.AppendData(roots);
            sha.AppendData(kinds);
            if (!sha.GetHashAndReset().AsSpan().SequenceEqual(digest)) return null;
            return (BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(8)), new Hash32(header.AsSpan(16)),
                (long)BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(52)), roots, kinds);
        }
        catch (IOException) { return null; }
    }
}
