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
        return Wire.InputLimits.Excerpt(message.ReplaceLineEndings(" "), MaxErrorLength);
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

    /// <summary>Writes a file atomically (<see cref="AtomicFile"/>): a failure leaves the target as it was.</summary>
    public static void WriteAtomically(string path, Action<Stream> write) => AtomicFile.Write(path, write);

    /// <summary>Writes several files as a set (<see cref="AtomicFile.WriteAll"/>): a failure while writing leaves every target as it was.</summary>
    public static void WriteAllAtomically(params (string Path, Action<Stream> Write)[] files) => AtomicFile.WriteAll(files);
}
