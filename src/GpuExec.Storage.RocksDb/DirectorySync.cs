using System.Runtime.InteropServices;

namespace GpuExec.Storage;

/// <summary>
/// fsync of a directory, which .NET does not offer: a file created, renamed or removed is durable only
/// once its directory is synced, and the store's creation and commit record depend on that.
/// </summary>
internal static partial class DirectorySync
{
    private const int ReadOnly = 0, Directory = 0x10000; // O_RDONLY, O_DIRECTORY (Linux)

    /// <summary>Syncs <paramref name="dir"/> on Linux; elsewhere a no-op (Windows has no directory fsync; the rest is not supported here).</summary>
    /// <exception cref="IOException">The sync failed.</exception>
    public static void Flush(string dir)
    {
        if (!OperatingSystem.IsLinux()) return;
        int fd = Open(dir, ReadOnly | Directory);
        if (fd < 0) throw new IOException($"{dir}: cannot open the directory to sync it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Fsync(fd) != 0) throw new IOException($"{dir}: cannot sync the directory (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
