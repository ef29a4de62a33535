using System.Security.Cryptography;
using GpuExec.IO;

namespace GpuExec;

/// <summary>
/// Writes output files so that a failure leaves the old ones, and so that nothing but the named
/// output is ever changed. The one implementation of that for dumps, receipts and bench outputs.
/// <para>What an output path may name (<see cref="Resolve"/>):</para>
/// <list type="bullet">
/// <item>A regular file, or nothing in an existing folder: the content goes to a temporary file
/// created exclusively (never opening what is already there, so a link planted at that name is
/// not followed) under an unpredictable name in the same folder, is synced, and is renamed over
/// the target once every file of the set is written.</item>
/// <item>A symbolic link is followed to the file it names first: that file is replaced and the
/// link stays as it was.</item>
/// <item>A character device or a FIFO (<c>/dev/null</c>, <c>/dev/stdout</c>, a named pipe): written
/// straight into, never replaced; such output is not atomic.</item>
/// <item>Anything else (a directory, a block device, a socket, a link to nothing or a link loop)
/// is refused.</item>
/// </list>
/// </summary>
internal static class AtomicFile
{
    /// <summary>How an output is written.</summary>
    internal enum Mode
    {
        /// <summary>Through a temporary file renamed over <see cref="Target.Path"/>.</summary>
        Replace,
        /// <summary>Straight into the device or FIFO at <see cref="Target.Path"/>.</summary>
        Stream,
    }

    /// <summary>Where an output goes: the path to replace (links followed) or to write into, and the node now there.</summary>
    internal readonly record struct Target(string Path, Mode Mode, NodeInfo Node);

    /// <summary>Writes one file atomically (or straight into a device or FIFO).</summary>
    public static void Write(string path, Action<Stream> write) => WriteAll((path, write));

    /// <summary>
    /// Writes several files as a set: every temporary file is written and synced, then the devices
    /// and FIFOs are written, then the temporary files are renamed. A failure before the renames (a
    /// full disk, a target that cannot be written) leaves every regular target as it was.
    /// </summary>
    /// <exception cref="GpuExecException">A target that may not be written (<see cref="Resolve"/>).</exception>
    /// <exception cref="IOException">The write failed.</exception>
    public static void WriteAll(params (string Path, Action<Stream> Write)[] files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var targets = new Target[files.Length];
        for (int i = 0; i < files.Length; i++)
        {
            if (Resolve(files[i].Path, out targets[i]) is { } problem)
                throw new GpuExecException(ErrorKind.InvalidInput, $"{files[i].Path}: {problem}");
        }
        var temps = new List<(string Tmp, string Target)>();
        try
        {
            for (int i = 0; i < files.Length; i++)
            {
                if (targets[i].Mode != Mode.Replace) continue;
                using var f = CreateTemporary(targets[i].Path, out string tmp);
                temps.Add((tmp, targets[i].Path));
                files[i].Write(f);
                f.Flush(flushToDisk: true);
            }
            for (int i = 0; i < files.Length; i++)
            {
                if (targets[i].Mode != Mode.Stream) continue;
                using var f = OpenStream(targets[i].Path);
                files[i].Write(f);
                f.Flush();
            }
            foreach (var (tmp, target) in temps) File.Move(tmp, target, overwrite: true);
            temps.Clear();
        }
        finally
        {
            foreach (var (tmp, _) in temps)
            {
                try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
    }

    /// <summary>
    /// What writing <paramref name="path"/> would do: the problem in words when it may not be
    /// written (its folder is missing, it is a directory, a block device, ...), else null and the
    /// <paramref name="target"/>.
    /// </summary>
    public static string? Resolve(string path, out Target target)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = System.IO.Path.GetFullPath(path);
        target = new Target(full, Mode.Replace, default);
        var named = FileNode.LStat(full);
        if (named.Kind == NodeKind.Missing)
        {
            string? dir = System.IO.Path.GetDirectoryName(full);
            if (dir is not null && FileNode.Stat(dir).Kind != NodeKind.Directory) return $"the directory {dir} does not exist";
            return null;
        }
        var node = named.Kind == NodeKind.SymbolicLink ? FileNode.Stat(full) : named;
        switch (node.Kind)
        {
            case NodeKind.RegularFile when named.Kind == NodeKind.SymbolicLink:
                // Replace the file the link names, in that file's folder, and keep the link. A name
                // the link chain does not lead back to (a /proc link to a deleted file) is refused.
                string? final = null;
                try { final = new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName; }
                catch (IOException) { }
                if (final is null || !FileNode.LStat(final).SameNodeAs(node))
                    return "is a symbolic link to a file that cannot be named (deleted, or not reachable by its link)";
                target = new Target(System.IO.Path.GetFullPath(final), Mode.Replace, node);
                return null;
            case NodeKind.RegularFile:
                target = new Target(full, Mode.Replace, node);
                return null;
            case NodeKind.CharacterDevice or NodeKind.Fifo:
                target = new Target(full, Mode.Stream, node);
                return null;
            case NodeKind.Missing:
                return "is a symbolic link to nothing";
            case NodeKind.Directory:
                return "is a directory";
            default:
                return $"is {FileNode.Describe(node.Kind)}: an output must be a regular file, a character device or a FIFO";
        }
    }

    /// <summary>Creates a new file beside <paramref name="target"/>, exclusively, under a name no other process can guess.</summary>
    private static FileStream CreateTemporary(string target, out string tmp)
    {
        for (int attempt = 0; ; attempt++)
        {
            tmp = target + ".tmp-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
            try
            {
                // CreateNew is O_CREAT | O_EXCL: it fails on anything already at that name, a symbolic
                // link included, instead of opening it.
                return new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
            }
            catch (IOException) when (attempt < 8 && FileNode.LStat(tmp).Kind != NodeKind.Missing)
            {
                // A name already taken: draw another.
            }
        }
    }

    /// <summary>Opens a device or FIFO for writing, without creating or truncating anything.</summary>
    private static FileStream OpenStream(string path)
    {
        var f = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1 << 16);
        var node = FileNode.Stat(f.SafeFileHandle);
        if (node.Kind is NodeKind.CharacterDevice or NodeKind.Fifo) return f;
        f.Dispose();
        throw new IOException($"{path}: was a character device or FIFO when checked, but is now {FileNode.Describe(node.Kind)}; nothing was written");
    }
}
