namespace GpuExec.Wire;

/// <summary>
/// The sizes GpuExec accepts from untrusted input, and reads bounded by them. A node must bound what
/// it reads before it parses, or a hostile file (a sparse 100 GiB block, <c>/dev/zero</c> as a
/// genesis) costs memory before any check runs.
/// </summary>
public static class InputLimits
{
    /// <summary>
    /// Largest block file: the largest .NET byte array (just under 2 GiB). A block is held in one
    /// array and sliced in place, so this is the hard limit of the format's implementation.
    /// </summary>
    public static readonly long MaxBlockBytes = Array.MaxLength;

    /// <summary>
    /// Most transactions in one block: 2^24 (16,777,216). Every per-transaction buffer of the
    /// pipeline (txids, leaf hashes, signature jobs, nine access positions, the conflict graph's sort)
    /// then stays below 2^31 elements and bytes, and a block of this size needs a few GiB.
    /// </summary>
    public const int MaxTransactions = 1 << 24;

    /// <summary>
    /// Largest genesis or dump file: 2 GiB. Both are streamed, so this bounds the state built, not a
    /// buffer: the smallest account a file can give (<c>{"address":"..."}</c>, 78 bytes) costs
    /// about 400 bytes of memory (the account, its map entry, its leaf in the state tree), about 5
    /// bytes per byte of file, so a file at the limit costs at most about 11 GiB. Dumps are refused
    /// above it too, so that every dump reads back as a genesis: a dump takes about 160 bytes an
    /// account (two balances), some 13 million accounts.
    /// </summary>
    public const long MaxStateBytes = 1L << 31;

    /// <summary>
    /// Reads a whole file, refusing one larger than <paramref name="limit"/> bytes without reading
    /// more than that (so devices and pipes that never end are refused too).
    /// </summary>
    /// <param name="tooLarge">Makes the error for a file over the limit from its message, the limit and the file's length (null when a stream without one was cut at the limit); null: a plain <see cref="GpuExecException"/>.</param>
    /// <exception cref="GpuExecException">Missing, unreadable or too large (<see cref="ErrorKind.InvalidInput"/>).</exception>
    internal static byte[] ReadFile(string path, long limit, string what, Func<string, long, long?, GpuExecException>? tooLarge = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            if (f.CanSeek && f.Length > limit)
                throw TooLarge(path, what, limit, f.Length, tooLarge);
            if (f.CanSeek && f.Length > 0)
            {
                var data = new byte[f.Length];
                f.ReadExactly(data);
                // A file that grew while it was read, or whose reported length is not its content.
                if (f.Read(stackalloc byte[1]) != 0) throw TooLargeOrChanging(path, what);
                return data;
            }
            // No length (a pipe, a character device): read in chunks up to the limit.
            using var ms = new MemoryStream();
            var chunk = new byte[1 << 16];
            int got;
            while ((got = f.Read(chunk)) > 0)
            {
                if (ms.Length + got > limit) throw TooLarge(path, what, limit, null, tooLarge);
                ms.Write(chunk, 0, got);
            }
            return ms.ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GpuExecException(ErrorKind.InvalidInput, $"{path}: cannot read {what}: {e.Message}", e);
        }
    }

    private static GpuExecException TooLarge(string path, string what, long limit, long? length, Func<string, long, long?, GpuExecException>? make)
    {
        string message = $"{path}: {what} is larger than the limit of {limit} bytes";
        return make?.Invoke(message, limit, length) ?? new GpuExecException(ErrorKind.InvalidInput, message);
    }

    private static GpuExecException TooLargeOrChanging(string path, string what) =>
        new(ErrorKind.InvalidInput, $"{path}: {what} changed while it was read");

    /// <summary>
    /// <paramref name="value"/> cut to at most <paramref name="max"/> characters for an error message,
    /// so a message never echoes a megabyte-long input.
    /// </summary>
    internal static string Excerpt(string? value, int max = 80)
    {
        if (value is null) return "";
        return value.Length <= max ? value : string.Concat(value.AsSpan(0, max), $"... ({value.Length} characters)");
    }
}
