using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace GpuExec.IO;

/// <summary>What a path names, as <c>stat(2)</c> tells it.</summary>
internal enum NodeKind
{
    /// <summary>Nothing (or a link to nothing, when links are followed).</summary>
    Missing,
    RegularFile,
    Directory,
    CharacterDevice,
    Fifo,
    BlockDevice,
    Socket,
    SymbolicLink,
    /// <summary>A link loop, a path through a non-directory, or a node of an unknown kind.</summary>
    Other,
}

/// <summary>A node's kind and identity; two paths name one node when <see cref="Device"/> and <see cref="Inode"/> are equal.</summary>
internal readonly record struct NodeInfo(NodeKind Kind, long Device, long Inode)
{
    public bool Exists => Kind is not (NodeKind.Missing or NodeKind.Other);

    public bool SameNodeAs(NodeInfo other) => Exists && other.Exists && HasIdentity && Device == other.Device && Inode == other.Inode;

    /// <summary>False where the platform gives no device and inode numbers (Windows).</summary>
    public bool HasIdentity => Inode != 0;
}

/// <summary>
/// The file type of a path. .NET tells a directory from a file but not a regular file from a device,
/// a FIFO or a socket, and those must never be replaced by a rename nor written through a temporary
/// file; so on Unix this asks the runtime's own native shim (<c>libSystem.Native</c>, the library
/// <c>System.IO</c> itself calls), whose <c>FileStatus</c> has one layout on every Unix platform.
/// </summary>
internal static partial class FileNode
{
    // FileStatus of the runtime's pal_io.h: Flags (int32) at 0, Mode (int32) at 4, Dev (int64) at
    // 88, Ino (int64) at 104, 120 bytes in all. The buffer is larger so that a runtime whose
    // struct grew cannot write past it.
    private const int StatusBufferSize = 512, ModeOffset = 4, DevOffset = 88, InoOffset = 104;
    private const int TypeMask = 0xF000;
    private const int Fifo = 0x1000, CharacterDevice = 0x2000, Directory = 0x4000, BlockDevice = 0x6000, Regular = 0x8000, Link = 0xA000, Socket = 0xC000;

    /// <summary>What <paramref name="path"/> names, following symbolic links.</summary>
    public static NodeInfo Stat(string path) => Query(path, followLinks: true);

    /// <summary>What <paramref name="path"/> names, not following a symbolic link at its end.</summary>
    public static NodeInfo LStat(string path) => Query(path, followLinks: false);

    /// <summary>What an open handle names (so that a node swapped after a path was checked is seen).</summary>
    public static NodeInfo Stat(SafeFileHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (OperatingSystem.IsWindows()) return new NodeInfo(NodeKind.RegularFile, 0, 0);
        Span<byte> status = stackalloc byte[StatusBufferSize];
        status.Clear();
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            int rc = FStat(handle.DangerousGetHandle(), ref MemoryMarshal.GetReference(status));
            return rc == 0 ? Decode(status) : new NodeInfo(NodeKind.Other, 0, 0);
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    private static NodeInfo Query(string path, bool followLinks)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (OperatingSystem.IsWindows())
        {
            if (System.IO.Directory.Exists(path)) return new NodeInfo(NodeKind.Directory, 0, 0);
            return File.Exists(path) ? new NodeInfo(NodeKind.RegularFile, 0, 0) : new NodeInfo(NodeKind.Missing, 0, 0);
        }
        Span<byte> status = stackalloc byte[StatusBufferSize];
        status.Clear();
        int rc = followLinks ? StatPath(path, ref MemoryMarshal.GetReference(status)) : LStatPath(path, ref MemoryMarshal.GetReference(status));
        if (rc != 0)
        {
            // ENOENT is 2 and ENOTDIR 20 on Linux and macOS alike: nothing there. Anything else
            // (ELOOP, EACCES, ...) is a path that cannot be used as it is.
            int errno = Marshal.GetLastPInvokeError();
            return new NodeInfo(errno is 2 or 20 ? NodeKind.Missing : NodeKind.Other, 0, 0);
        }
        return Decode(status);
    }

    private static NodeInfo Decode(ReadOnlySpan<byte> status)
    {
        int mode = BitConverter.ToInt32(status[ModeOffset..]);
        var kind = (mode & TypeMask) switch
        {
            Regular => NodeKind.RegularFile,
            Directory => NodeKind.Directory,
            CharacterDevice => NodeKind.CharacterDevice,
            Fifo => NodeKind.Fifo,
            BlockDevice => NodeKind.BlockDevice,
            Socket => NodeKind.Socket,
            Link => NodeKind.SymbolicLink,
            _ => NodeKind.Other,
        };
        return new NodeInfo(kind, BitConverter.ToInt64(status[DevOffset..]), BitConverter.ToInt64(status[InoOffset..]));
    }

    /// <summary>A kind in words, for error messages.</summary>
    public static string Describe(NodeKind kind) => kind switch
    {
        NodeKind.Missing => "nothing",
        NodeKind.RegularFile => "a regular file",
        NodeKind.Directory => "a directory",
        NodeKind.CharacterDevice => "a character device",
        NodeKind.Fifo => "a FIFO",
        NodeKind.BlockDevice => "a block device",
        NodeKind.Socket => "a socket",
        NodeKind.SymbolicLink => "a symbolic link",
        _ => "not usable (a symbolic link loop, or not accessible)",
    };

    /// <summary>
    /// Gives the file at <paramref name="existing"/> a second name, <paramref name="link"/> (a hard
    /// link: one file, no copy). False where that cannot be done (Windows, another file system, a
    /// name already taken): the caller copies instead.
    /// </summary>
    public static bool TryHardLink(string existing, string link) =>
        !OperatingSystem.IsWindows() && HardLink(existing, link) == 0;

    [LibraryImport("libSystem.Native", EntryPoint = "SystemNative_Link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int HardLink(string source, string linkTarget);

    [LibraryImport("libSystem.Native", EntryPoint = "SystemNative_Stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int StatPath(string path, ref byte status);

    [LibraryImport("libSystem.Native", EntryPoint = "SystemNative_LStat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int LStatPath(string path, ref byte status);

    [LibraryImport("libSystem.Native", EntryPoint = "SystemNative_FStat", SetLastError = true)]
    private static partial int FStat(nint fd, ref byte status);
}
