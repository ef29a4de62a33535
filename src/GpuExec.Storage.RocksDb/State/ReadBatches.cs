namespace GpuExec.Storage;

/// <summary>How the load stage's point reads are cut and run.</summary>
internal static class ReadBatches
{
    /// <summary>Keys per <c>MultiGet</c>: enough to amortise the call, small enough that a block's reads spread over every core.</summary>
    public const int Size = 2048;

    /// <summary>
    /// Runs <paramref name="read"/> on each batch of <paramref name="count"/> items (its first index and
    /// length), batches in parallel: once the verification beside the load is done, the load has every
    /// core. A failed batch's own exception (a corrupted record, an I/O error) is thrown, as a
    /// sequential read would throw it, not wrapped.
    /// </summary>
    public static void Run(int count, Action<int, int> read)
    {
        try
        {
            Parallel.For(0, (count + Size - 1) / Size, c => read(c * Size, Math.Min(Size, count - c * Size)));
        }
        catch (AggregateException e)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
        }
    }
}
