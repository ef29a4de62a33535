using GpuExec.Engine;
using GpuExec.Execution;
using GpuExec.State;
using GpuExec.Storage;
using GpuExec.Wire;

namespace GpuExec.Cli;

/// <summary>
/// <c>gpuexec run --state DIR [--genesis G.json] [--block B.gxb ...] [--out DUMP.json]</c>: the state
/// lives in a RocksDB directory (<see cref="RocksDbStateStore"/>), on disk behind a bounded cache
/// (<c>--cache-mb</c>), instead of in memory.
/// <code>
/// using var store = StateDirectory.Open(dir, genesisPath, cacheBytes);  // genesis: needed when DIR is new
/// var last = StateDirectory.CommitBlocks(store, blockPaths, executor);
/// CliOutput.WriteAtomically(outPath, store.WriteDump);
/// </code>
/// Each block is proposed on the store's state (its accounts loaded first) and committed (one synced
/// RocksDB batch) as soon as it is executed, so a refused block or a crash at block k leaves blocks
/// 1..k-1 committed and block k absent: the next run starts at height k. (Without <c>--state</c>,
/// <c>run</c> writes nothing when any block is refused; with it, the blocks before the refused one
/// stay applied, as a node's would.)
/// </summary>
internal static class StateDirectory
{
    /// <summary>
    /// Opens the store in <paramref name="directory"/> for blocks, initialising a missing or empty
    /// directory from the genesis file (required then; for an existing store optional, and refused when
    /// it is not the genesis the store was made from). Nothing is loaded whatever the store's size.
    /// </summary>
    /// <exception cref="GpuExecException">Bad genesis file, or a directory the store refuses
    /// (not a store, another chain/genesis, locked by another process, corrupted).</exception>
    /// <exception cref="IOException">The environment failed (a full disk, ...).</exception>
    public static RocksDbStateStore Open(string directory, string? genesisPath, long cacheBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        WorldState? genesis = genesisPath is null ? null : StateJson.ReadFile(genesisPath);
        return RocksDbStateStore.Open(directory, genesis, readOnly: false, cacheBytes);
    }

    /// <summary>
    /// Runs <paramref name="read"/> on the store in <paramref name="directory"/> opened read-only: without
    /// its lock and without writing anything there, so a store on a read-only disk or in use by another
    /// process can still be read. When that writer changed the files under the read, it is made again
    /// (with a fresh output: <paramref name="restart"/> is called first).
    /// </summary>
    public static T ReadOnly<T>(string directory, string? genesisPath, long cacheBytes, Func<RocksDbStateStore, T> read, Action? restart = null)
    {
        WorldState? genesis = genesisPath is null ? null : StateJson.ReadFile(genesisPath);
        string dir = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        return RocksDbStateStore.WhileUnchanged(dir, () =>
        {
            restart?.Invoke();
            using var store = RocksDbStateStore.Open(dir, genesis, readOnly: true, cacheBytes);
            return read(store);
        });
    }

    /// <summary>
    /// Reads, executes and commits each block in order on the store's state: with the pipeline, a
    /// stream whose next blocks are read, verified and loaded while one executes and is committed;
    /// with the reference, one block at a time. A block that fails to read or is refused throws before
    /// anything of it is committed; earlier blocks stay committed.
    /// </summary>
    /// <returns>The last block's result, or null when no block was given.</returns>
    public static BlockResult? CommitBlocks(RocksDbStateStore store, IEnumerable<string> blockPaths, IBlockExecutor executor, Action<BlockExecution>? committed = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(blockPaths);
        ArgumentNullException.ThrowIfNull(executor);
        return CommitAsync(store.State, blockPaths.Select(BlockCodec.ReadFile), executor, committed).GetAwaiter().GetResult();
    }

    private static async Task<BlockResult?> CommitAsync(StoreState state, IEnumerable<Block> blocks, IBlockExecutor executor, Action<BlockExecution>? committed)
    {
        BlockResult? last = null;
        if (executor is BlockPipeline pipeline)
        {
            await foreach (var run in pipeline.CommitStreamAsync(blocks, state).ConfigureAwait(false))
            {
                committed?.Invoke(run);
                last = run.Result;
            }
            return last;
        }
        foreach (var block in blocks)
        {
            var run = await executor.ProposeAsync(block, state).ConfigureAwait(false);
            state.Commit(run.Block, run.Result, run.State!);
            committed?.Invoke(run);
            last = run.Result;
        }
        return last;
    }

    /// <summary>Applies the blocks of <paramref name="blockPaths"/> in order (read lazily, ahead) to a state in memory, calling <paramref name="applied"/> after each; returns the last result.</summary>
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
