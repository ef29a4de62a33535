using System.Text;
using GpuExec.State;

namespace GpuExec.Storage;

/// <summary>Opening a store that another process may be writing.</summary>
public sealed partial class RocksDbStateStore
{
    /// <summary>
    /// Reads the state of the store in <paramref name="directory"/> without writing anything there
    /// and without taking its lock: a read-only open (<see cref="Open"/>) and a <see cref="Load"/>,
    /// made again as a whole when another process's writer changed the store's files while they
    /// were read, so that such a writer (opening the store, committing, compacting) never makes a
    /// healthy store read as damaged. The state is one the writer committed, at the commit record's
    /// height or later.
    /// </summary>
    /// <param name="genesis">When given, it must be the store's genesis, as for <see cref="Open"/>.</param>
    /// <exception cref="GpuExecException"><see cref="ErrorKind.InvalidInput"/>: not a store, another chain
    /// or genesis, corrupted, or no store yet.</exception>
    /// <exception cref="IOException">The environment failed, or a writer changed the files during every attempt.</exception>
    public static WorldState ReadState(string directory, WorldState? genesis = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string dir = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        return WhileUnchanged(dir, () =>
        {
            using var store = OpenOnce(dir, genesis, readOnly: true);
            return store.Load();
        });
    }

    /// <summary>How often a read of the store is made again when the files changed under it.</summary>
    internal const int ReadAttempts = 30;

    private static long _readsMadeAgain;

    /// <summary>Reads made again in this process because a writer changed the files under them (for tests and measurements).</summary>
    internal static long ReadsMadeAgain => Interlocked.Read(ref _readsMadeAgain);

    /// <summary>
    /// Runs <paramref name="attempt"/>, a read of the store's files that takes no lock, again when it
    /// failed while the directory changed under it. Why: RocksDB's read-only open lists the
    /// write-ahead logs, reads the manifest <c>CURRENT</c> names and replays the logs, and a writer
    /// opening the store meanwhile flushes its log into a table file, starts a new manifest and
    /// deletes the old log and manifest; the reader then meets a file that vanished, or a manifest
    /// older than the commit record, and a healthy store would be reported as damaged. A failure in
    /// a directory that did not change is the store's own and is reported as it is; one that kept
    /// changing through every attempt is an <see cref="IOException"/>, never "corrupted".
    /// </summary>
    internal static T WhileUnchanged<T>(string dir, Func<T> attempt)
    {
        for (int i = 1; ; i++)
        {
            string before = Fingerprint(dir);
            try
            {
                return attempt();
            }
            catch (Exception e) when (e is GpuExecException or IOException && Fingerprint(dir) != before)
            {
                Interlocked.Increment(ref _readsMadeAgain);
                if (i == ReadAttempts)
                    throw new IOException($"{dir}: cannot read the state store: another process changed its files during each of {i} attempts to read it; try again ({e.Message})", e);
                Thread.Sleep(Math.Min(2 << i, 100));
            }
        }
    }

    /// <summary>Names, sizes and modification times of the directory's files: what a writer changes.</summary>
    internal static string Fingerprint(string dir)
    {
        var s = new StringBuilder();
        try
        {
            foreach (var f in new DirectoryInfo(dir).EnumerateFiles().OrderBy(f => f.Name, StringComparer.Ordinal))
            {
                s.Append(f.Name).Append(' ').Append(f.Exists ? f.Length : -1).Append(' ').Append(f.Exists ? f.LastWriteTimeUtc.Ticks : 0).Append('\n');
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            s.Append("unlisted: ").Append(e.GetType().Name);
        }
        return s.ToString();
    }

    /// <summary>
    /// The commit record, read before RocksDB opens: a writer records a height only once RocksDB
    /// holds it, so a record read first never claims more than the database then opened holds.
    /// </summary>
    private static (ulong Height, Wire.Hash32 Root)? ReadCommitRecord(string dir)
    {
        try { return CommitRecord.Read(dir); }
        catch (InvalidDataException e) { throw Corrupted(dir, $"its commit record {CommitRecord.FileName} is damaged: {e.Message}"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GpuExecException(ErrorKind.InvalidInput, $"{dir}: cannot read the commit record {CommitRecord.FileName}: {e.Message}", e);
        }
    }
}
