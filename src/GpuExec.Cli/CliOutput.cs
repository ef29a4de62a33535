namespace GpuExec.Cli;

/// <summary>Helpers shared by the commands: error lines and atomic output files.</summary>
internal static class CliOutput
{
    /// <summary>One line on stderr: <c>gpuexec: message</c>.</summary>
    public static void Error(string message) => Console.Error.WriteLine("gpuexec: " + message);

    /// <summary>
    /// Writes a file atomically: the content goes to a temporary file beside it, which is renamed
    /// over the target only when complete, so a failure leaves the target as it was.
    /// </summary>
    public static void WriteAtomically(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string? dir = Path.GetDirectoryName(full);
        if (dir is not null && !Directory.Exists(dir))
            throw new GpuExecException(ErrorKind.InvalidInput, $"{path}: the directory {dir} does not exist");
        string tmp = full + ".tmp-" + Environment.ProcessId;
        try
        {
            using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(f);
                f.Flush(true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { }
            throw;
        }
    }
}
