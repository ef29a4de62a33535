using GpuExec.Engine;
using GpuExec.Execution;
using GpuExec.State;
using GpuExec.Storage;
using GpuExec.Wire;

namespace GpuExec.Cli;

/// <summary>
/// <c>gpuexec run --state DIR [--genesis G.json] [--block B.gxb ...] [--out DUMP.json]</c>: the state
/// lives in a RocksDB directory (<see cref="RocksDbStateStore"/>) instead of a genesis file.
/// <code>
/// var (store, state) = StateDirectory.Open(dir, genesisPath);   // genesis: needed when DIR is new
/// using (store)
/// {
///     var last = StateDirectory.ApplyBlocks(store, state, blockPaths, new ReferenceExecutor());
///     if (outPath is not null) CliOutput.WriteAtomically(outPath, f => StateJson.WriteDump(state, f));
/// }
/// </code>
/// Each block is committed (one synced RocksDB batch) as soon as it is executed, so a refused block
/// or a crash at block k leaves blocks 1..k-1 committed and block k absent: the next run starts at
/// height k. (Without <c>--state</c>, <c>run</c> writes nothing when any block is refused; with it,
/// the blocks before the refused one stay applied, as a node's would.)
/// </summary>
internal static class StateDirectory
{
    /// <summary>
    /// Opens the store in <paramref name="directory"/> (initialising a missing or empty directory
    /// from the genesis file) and loads its state into memory.
    /// </summary>
    /// <param name="genesisPath">Required for a new directory; for an existing store, optional, and
    /// refused when it is not the genesis the store was made from.</param>
    /// <param name="readOnly">Only to read the state (a dump with no block): an existing store is
    /// read without its lock (<see cref="RocksDbStateStore.ReadState"/>), so a store on a read-only
    /// disk or in use by another process still dumps, and nothing in the directory changes; no
    /// store is returned then. A new directory is initialised all the same.</param>
    /// <returns>The open store (the caller disposes it; null when an existing store was only read)
    /// and the state at the store's height.</returns>
    /// <exception cref="GpuExecException">Bad genesis file, or a directory the store refuses
    /// (not a store, another chain/genesis, locked by another process, corrupted).</exception>
    /// <exception cref="IOException">The environment failed (a full disk, ...).</exception>
    public static (RocksDbStateStore? Store, WorldState State) Open(string directory, string? genesisPath, bool readOnly = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        WorldState? genesis = genesisPath is null ? null : StateJson.ReadFile(genesisPath);
        if (readOnly && !RocksDbStateStore.IsNew(directory)) return (null, RocksDbStateStore.ReadState(directory, genesis));
        var store = RocksDbStateStore.Open(directory, genesis);
        try
        {
            return (store, store.Load());
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads, executes and commits each block in order through <paramref name="executor"/>'s stream:
    /// each block is committed as soon as it is applied, while the next ones are read and verified.
    /// A block that fails to read or is refused throws before anything of it is committed; earlier
    /// blocks stay committed.
    /// </summary>
    /// <returns>The last block's result, or null when no block was given.</returns>
    public static BlockResult? ApplyBlocks(IStateStore store, WorldState state, IEnumerable<string> blockPaths, IBlockExecutor executor, Action<BlockExecution>? committed = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(blockPaths);
        ArgumentNullException.ThrowIfNull(executor);
        return Stream(executor, state, blockPaths, run =>
        {
            store.CommitBlock(run.Block, run.Result);
            committed?.Invoke(run);
        });
    }

    /// <summary>Applies the blocks of <paramref name="blockPaths"/> in order (read lazily, ahead), calling <paramref name="applied"/> after each; returns the last result.</summary>
    public static BlockResult? Stream(IBlockExecutor executor, WorldState state, IEnumerable<string> blockPaths, Action<BlockExecution>? applied = null)
    {
        ArgumentNullException.ThrowIfNull(executor);
        return StreamAsync(executor, state, blockPaths, applied).GetAwaiter().GetResult();
    }

    private static async Task<BlockResult?> StreamAsync(IBlockExecutor executor, WorldState state, IEnumerable<string> blockPaths, Action<BlockExecution>? applied)
    {
        BlockResult? last = null;
        await foreach (var run in executor.ExecuteStreamAsync(blockPaths.Select(BlockCodec.ReadFile), state).ConfigureAwait(false))
        {
            applied?.Invoke(run);
            last = run.Result;
        }
        return last;
    }
}
