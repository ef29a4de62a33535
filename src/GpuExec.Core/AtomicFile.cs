namespace GpuExec;

/// <summary>
/// Writes files so that a failure leaves the old ones: each content goes to a temporary file beside
/// its target and is synced; only when all are written are they renamed over their targets. The
/// one implementation of that for dumps, receipts and bench outputs.
/// </summary>
internal static class AtomicFile
{
    /// <summary>Writes one file atomically.</summary>
    public static void Write(string path, Action<Stream> write) => WriteAll((path, write));

    /// <summary>Writes several files as a set: a failure while writing (a full disk, a target that is a directory) leaves every target as it was.</summary>
    public static void WriteAll(params (string Path, Action<Stream> Write)[] files)
    {
        var temps = new List<(string Tmp, string Full)>();
        try
        {
            foreach (var (path, write) in files)
            {
                string full = Path.GetFullPath(path);
                string? dir = Path.GetDirectoryName(full);
                if (dir is not null && !Directory.Exists(dir))
                    throw new GpuExecException(ErrorKind.InvalidInput, $"{path}: the directory {dir} does not exist");
                if (Directory.Exists(full))
                    throw new IOException($"{path}: is a directory");
                string tmp = full + ".tmp-" + Environment.ProcessId;
                temps.Add((tmp, full));
                using var f = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
                write(f);
                f.Flush(true);
            }
            foreach (var (tmp, full) in temps) File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            foreach (var (tmp, _) in temps)
            {
                try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
            throw;
        }
    }
}
