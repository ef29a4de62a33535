namespace GpuExec.Cli;

/// <summary>Helpers shared by the commands: error lines, output checks and atomic output files.</summary>
internal static class CliOutput
{
    /// <summary>Longest error line: a message never echoes a megabyte-long value.</summary>
    public const int MaxErrorLength = 600;

    /// <summary>One line on stderr: <c>gpuexec: message</c>, line breaks folded and cut to <see cref="MaxErrorLength"/>.</summary>
    public static void Error(string message) => Console.Error.WriteLine("gpuexec: " + OneLine(message));

    /// <summary><paramref name="message"/> as one line of at most <see cref="MaxErrorLength"/> characters.</summary>
    public static string OneLine(string message)
    {
        var line = message.ReplaceLineEndings(" ");
        return line.Length <= MaxErrorLength ? line : string.Concat(line.AsSpan(0, MaxErrorLength), $"... ({line.Length} characters)");
    }

    /// <summary>
    /// Checks, before any work, that each output path can be written: its directory exists, it is not
    /// a directory itself, and no two outputs are the same file. Returns the first problem, or null.
    /// </summary>
    public static string? CheckOutputs(params (string Option, string? Path)[] outputs)
    {
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (option, path) in outputs)
        {
            if (path is null) continue;
            string full = Resolve(path);
            if (Directory.Exists(full)) return $"{option} {path}: is a directory";
            string? dir = Path.GetDirectoryName(full);
            if (dir is not null && !Directory.Exists(dir)) return $"{option} {path}: the directory {dir} does not exist";
            if (seen.TryGetValue(full, out var other)) return $"{option} and {other} name the same file {path}";
            seen.Add(full, option);
        }
        return null;
    }

    /// <summary>The full path with symbolic links resolved, so two names of one file compare equal.</summary>
    private static string Resolve(string path)
    {
        string full = Path.GetFullPath(path);
        try
        {
            if (new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true) is { } target) return Path.GetFullPath(target.FullName);
        }
        catch (IOException) { }
        return full;
    }

    /// <summary>
    /// Writes a file atomically: the content goes to a temporary file beside it, which is renamed
    /// over the target only when complete, so a failure leaves the target as it was.
    /// </summary>
    public static void WriteAtomically(string path, Action<Stream> write) => WriteAllAtomically((path, write));

    /// <summary>
    /// Writes several files as a set: every temporary file is written and synced first, and only then
    /// are they renamed over their targets. A failure while writing (a full disk, a target that is a
    /// directory) leaves every target as it was.
    /// </summary>
    public static void WriteAllAtomically(params (string Path, Action<Stream> Write)[] files)
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
