using System.Diagnostics;
using System.Runtime.CompilerServices;
using GpuExec.Execution;
using GpuExec.State;
using GpuExec.Wire;

namespace GpuExec.Engine;

/// <summary>
/// The sequential reference (<see cref="SequentialExecutor"/>: one thread, libsodium, SPEC section 4
/// one transaction at a time) behind <see cref="IBlockExecutor"/>, so that it can stand wherever the
/// pipeline does: the oracle of the differential tests and the baseline of the benchmarks. Its
/// whole time is reported as the execute stage.
/// </summary>
public sealed class ReferenceExecutor : IBlockExecutor
{
    /// <inheritdoc/>
    public string DeviceDescription => "reference (one thread, libsodium)";

    /// <inheritdoc/>
    public Task<BlockExecution> ExecuteAsync(Block block, WorldState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(block);
        ArgumentNullException.ThrowIfNull(state);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Execute(block, state));
    }

    /// <summary>The synchronous form of <see cref="ExecuteAsync"/>.</summary>
    public BlockExecution Execute(Block block, WorldState state)
    {
        ArgumentNullException.ThrowIfNull(block);
        ArgumentNullException.ThrowIfNull(state);
        long t0 = Stopwatch.GetTimestamp();
        var result = SequentialExecutor.Execute(state, block);
        var stages = new StageTimings { [StageTimings.Execute] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds };
        return new BlockExecution(block, result, stages, Stats(block, result));
    }

    /// <inheritdoc/>
    public Task<BlockExecution> ProposeAsync(Block block, IStateReader parent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(block);
        ArgumentNullException.ThrowIfNull(parent);
        cancellationToken.ThrowIfCancellationRequested();
        long t0 = Stopwatch.GetTimestamp();
        var (result, pending) = SequentialExecutor.Propose(parent, block);
        var stages = new StageTimings { [StageTimings.Execute] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds };
        return Task.FromResult(new BlockExecution(block, result, stages, Stats(block, result)) { State = pending });
    }

    private static Execute.ScheduleStats Stats(Block block, BlockResult result)
    {
        int scheduled = 0;
        foreach (var s in result.Statuses) if (s is not (Model.TxStatus.Malformed or Model.TxStatus.WrongChain or Model.TxStatus.BadSignature)) scheduled++;
        return new Execute.ScheduleStats(block.Count, scheduled, 0, 0, 0, Lanes: 1);
    }

    /// <inheritdoc/>
    /// <remarks>One thread, libsodium per signature, no cache: nothing is remembered.</remarks>
    public Task<Verify.PreVerifyReport> PreVerifyAsync(IReadOnlyList<ReadOnlyMemory<byte>> records, uint? chainId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        return Task.Run(() =>
        {
            int n = records.Count, skipped = 0, bad = 0;
            var verdicts = new Verify.TxVerdict[n];
            for (int i = 0; i < n; i++)
            {
                if ((i & 1023) == 0) cancellationToken.ThrowIfCancellationRequested();
                var record = records[i].Span;
                var status = TxRules.Precheck(record, chainId ?? 0);
                if (status == Model.TxStatus.WrongChain && chainId is null) status = Model.TxStatus.Ok;
                if (status != Model.TxStatus.Ok) skipped++;
                else
                {
                    var tx = new Model.TransactionView(record);
                    if (!Crypto.Libsodium.Ed25519Verify(tx.SenderBytes, tx.Body, tx.Signature))
                    {
                        status = Model.TxStatus.BadSignature;
                        bad++;
                    }
                }
                verdicts[i] = new Verify.TxVerdict(i, Model.TxId.Of(record), status, FromCache: false);
            }
            return new Verify.PreVerifyReport(verdicts, new Verify.PreVerifyResult(n, skipped, 0, n - skipped, bad));
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<BlockExecution> ExecuteStreamAsync(IEnumerable<Block> blocks, WorldState state,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentNullException.ThrowIfNull(state);
        foreach (var block in blocks)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return Execute(block, state);
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }
}
