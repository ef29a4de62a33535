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
    /// Checks, before any work, that each output path may be written (<see cref="AtomicFile.Resolve"/>:
    /// a regular file or a new name in an existing folder, a link to a regular file, a character
    /// device or a FIFO), that no two outputs are the same file, and that none lies inside
    /// <paramref name="stateDirectory"/>, whose files a dump or receipts would overwrite. Returns
    /// the first problem, or null.
    /// </summary>
    public static string? CheckOutputs(string? stateDirectory, params (string Option, string? Path)[] outputs)
    {
        var seen = new List<(string Option, AtomicFile.Target Target)>();
        foreach (var (option, path) in outputs)
        {
            if (path is null) continue;
            if (AtomicFile.Resolve(path, out var target) is { } problem) return $"{option} {path}: {problem}";
            foreach (var (other, earlier) in seen)
            {
                bool same = target.Node.SameNodeAs(earlier.Node) || string.Equals(target.Path, earlier.Path, StringComparison.Ordinal);
                // Two outputs into one device (both into /dev/null) overwrite nothing of each other.
                if (same && !(target.Mode == AtomicFile.Mode.Stream && target.Node.Kind == IO.NodeKind.CharacterDevice))
                    return $"{option} and {other} name the same file {path}";
            }
            seen.Add((option, target));
            if (stateDirectory is not null && (Inside(Path.GetFullPath(path), stateDirectory) || Inside(target.Path, stateDirectory)))
                return $"{option} {path}: is inside the state directory {Path.GetFullPath(stateDirectory)}, whose files it would overwrite; write it elsewhere";
        }
        return null;
    }

    /// <summary>The same checks with no state directory.</summary>
    public static string? CheckOutputs(params (string Option, string? Path)[] outputs) => CheckOutputs(null, outputs);

    /// <summary>
    /// Whether the folder of <paramref name="path"/> is <paramref name="directory"/> or lies below it.
    /// Compared by device and inode up the real parent chain (<c>folder/..</c>, as the kernel resolves
    /// it), so symbolic links, <c>..</c> and other spellings of either path are seen through.
    /// </summary>
    private static bool Inside(string path, string directory)
    {
        var dir = IO.FileNode.Stat(directory);
        if (dir.Kind != IO.NodeKind.Directory) return false;
        string? folder = Path.GetDirectoryName(path);
        if (folder is null) return false;
        if (!dir.HasIdentity)
        {
            string d = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)) + Path.DirectorySeparatorChar;
            return (Path.TrimEndingDirectorySeparator(folder) + Path.DirectorySeparatorChar).StartsWith(d, StringComparison.OrdinalIgnoreCase);
        }
        var current = IO.FileNode.Stat(folder);
        for (int depth = 0; depth < 4096 && current.Kind == IO.NodeKind.Directory; depth++)
        {
            if (current.SameNodeAs(dir)) return true;
            folder = Path.Combine(folder, "..");
            var parent = IO.FileNode.Stat(folder);
            if (parent.SameNodeAs(current)) return false; // the root
            current = parent;
        }
        return false;
    }

    /// <summary>Writes a file atomically (<see cref="AtomicFile"/>): a failure leaves the target as it was.</summary>
    public static void WriteAtomically(string path, Action<Stream> write) => AtomicFile.Write(path, write);

    /// <summary>Writes several files as a set (<see cref="AtomicFile.WriteAll"/>): a failure while writing leaves every target as it was.</summary>
    public static void WriteAllAtomically(params (string Path, Action<Stream> Write)[] files) => AtomicFile.WriteAll(files);
}
