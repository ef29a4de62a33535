using System.Buffers.Binary;
using System.Security.Cryptography;
using GpuExec.Wire;

namespace GpuExec.Storage;

/// <summary>
/// The store's own durable record of the last block it acknowledged, kept beside RocksDB's files in
/// <c>DIR/GPUEXEC-COMMITTED</c>, so that a store which RocksDB reopens at an earlier height than it
/// acknowledged is refused instead of silently losing blocks.
/// <para>Why a separate file: RocksDB recovers its write-ahead log record by record, and a damaged
/// record whose length field points past the end of the file reads exactly like the torn tail of a
/// crash, which every recovery mode but <c>AbsoluteConsistency</c> drops without a word (and that one
/// refuses the torn tail of every SIGKILL). Whatever RocksDB drops, this file still says how far the
/// store had got. It is written after RocksDB's synced write returned, so it never claims more than
/// RocksDB holds: after a crash the store is at this height or at the next one, never below.</para>
/// <para>Layout: two 512-byte slots; each write goes to the slot that does not hold the newest record
/// and is fsynced, so a write torn by a crash (or a power cut, sectors being written whole) leaves
/// the other slot, one block older, intact. A slot is <c>"GXCOMMIT" || height:u64 || root[32] ||
/// SHA-256(the 48 bytes before)[..16]</c>, integers little-endian, then zeros.</para>
/// </summary>
internal sealed class CommitRecord : IDisposable
{
    public const string FileName = "GPUEXEC-COMMITTED";
    private const int SlotSize = 512, RecordSize = 8 + 8 + 32 + 16;
    private static ReadOnlySpan<byte> Magic => "GXCOMMIT"u8;

    private readonly FileStream _file;
    private int _newestSlot;

    private CommitRecord(FileStream file, int newestSlot)
    {
        _file = file;
        _newestSlot = newestSlot;
    }

    public static string PathIn(string dir) => Path.Combine(dir, FileName);

    /// <summary>Creates the file in <paramref name="dir"/> holding (<paramref name="height"/>, <paramref name="root"/>) in both slots, fsynced.</summary>
    /// <remarks>Written under another name and renamed into place, so that another process opening the
    /// store never reads a record that is there but not yet written.</remarks>
    public static CommitRecord Create(string dir, ulong height, Hash32 root)
    {
        string fresh = PathIn(dir) + ".new";
        var file = new FileStream(fresh, FileMode.Create, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
        try
        {
            var image = new byte[2 * SlotSize];
            Encode(height, root, image);
            Encode(height, root, image.AsSpan(SlotSize));
            file.Write(image);
            file.Flush(flushToDisk: true);
            File.Move(fresh, PathIn(dir), overwrite: true);
            return new CommitRecord(file, 0);
        }
        catch
        {
            file.Dispose();
            try { File.Delete(fresh); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>Opens the file for writing; null when it does not exist.</summary>
    /// <exception cref="InvalidDataException">Neither slot holds a valid record.</exception>
    public static CommitRecord? OpenForWriting(string dir)
    {
        if (!File.Exists(PathIn(dir))) return null;
        var file = new FileStream(PathIn(dir), FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        try
        {
            var image = new byte[2 * SlotSize];
            file.ReadAtLeast(image, image.Length, throwOnEndOfStream: false);
            var (slot, _, _) = Newest(image) ?? throw new InvalidDataException("neither of its slots holds a valid record");
            return new CommitRecord(file, slot);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The newest valid record in <paramref name="dir"/>; null when the file does not exist.</summary>
    /// <exception cref="InvalidDataException">The file exists but neither slot holds a valid record.</exception>
    public static (ulong Height, Hash32 Root)? Read(string dir)
    {
        byte[] image;
        try { image = File.ReadAllBytes(PathIn(dir)); }
        catch (FileNotFoundException) { return null; }
        var (_, height, root) = Newest(image) ?? throw new InvalidDataException("neither of its slots holds a valid record");
        return (height, root);
    }

    /// <summary>Records (<paramref name="height"/>, <paramref name="root"/>) durably (fsync) in the older slot.</summary>
    public void Write(ulong height, Hash32 root)
    {
        var slot = new byte[SlotSize];
        Encode(height, root, slot);
        int target = 1 - _newestSlot;
        _file.Position = (long)target * SlotSize;
        _file.Write(slot);
        _file.Flush(flushToDisk: true);
        _newestSlot = target;
    }

    public void Dispose() => _file.Dispose();

    private static void Encode(ulong height, Hash32 root, Span<byte> slot)
    {
        Magic.CopyTo(slot);
        BinaryPrimitives.WriteUInt64LittleEndian(slot[8..], height);
        root.WriteTo(slot[16..]);
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(slot[..48], digest);
        digest[..16].CopyTo(slot[48..]);
    }

    private static bool TryDecode(ReadOnlySpan<byte> slot, out ulong height, out Hash32 root)
    {
        height = 0;
        root = default;
        if (slot.Length < RecordSize || !slot[..8].SequenceEqual(Magic)) return false;
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(slot[..48], digest);
        if (!digest[..16].SequenceEqual(slot.Slice(48, 16))) return false;
        height = BinaryPrimitives.ReadUInt64LittleEndian(slot[8..]);
        root = new Hash32(slot.Slice(16, 32));
        return true;
    }

    private static (int Slot, ulong Height, Hash32 Root)? Newest(ReadOnlySpan<byte> image)
    {
        (int, ulong, Hash32)? best = null;
        for (int s = 0; s < 2; s++)
        {
            if (image.Length < (s * SlotSize) + RecordSize) break;
            if (TryDecode(image.Slice(s * SlotSize, RecordSize), out var h, out var r) && (best is null || h > best.Value.Item2))
                best = (s, h, r);
        }
        return best;
    }
}
