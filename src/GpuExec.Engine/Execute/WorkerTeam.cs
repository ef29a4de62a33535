namespace GpuExec.Engine.Execute;

/// <summary>
/// A fixed team of threads that run one body per member at the same time: member 0 on the
/// calling thread, the others on dedicated background threads created on first use. Lanes wait
/// on each other's progress, so each must have a thread of its own; the thread pool gives no such
/// promise (a pool that hands two lanes to one thread in turn deadlocks). One run at a time.
/// </summary>
internal sealed class WorkerTeam : IDisposable
{
    private readonly int _size;
    private Thread[]? _threads;
    private SemaphoreSlim[] _start = [];
    private CountdownEvent? _done;
    private Action<int>? _body;
    private Exception? _error;
    private volatile bool _disposed;

    public WorkerTeam(int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        _size = size;
    }

    public int Size => _size;

    /// <summary>Runs <paramref name="body"/>(0..Size-1) concurrently and returns when all are done; rethrows the first failure.</summary>
    public void Run(Action<int> body)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_size == 1) { body(0); return; }
        EnsureStarted();
        _body = body;
        _error = null;
        _done!.Reset(_size - 1);
        for (int i = 1; i < _size; i++) _start[i].Release();
        try { body(0); }
        catch (Exception e) { Interlocked.CompareExchange(ref _error, e, null); }
        _done.Wait();
        _body = null;
        if (_error is { } error) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(error).Throw();
    }

    private void EnsureStarted()
    {
        if (_threads is not null) return;
        _start = new SemaphoreSlim[_size];
        _done = new CountdownEvent(_size - 1);
        _threads = new Thread[_size];
        for (int i = 1; i < _size; i++)
        {
            _start[i] = new SemaphoreSlim(0);
            int member = i;
            _threads[i] = new Thread(() => Loop(member)) { IsBackground = true, Name = $"gpuexec-lane-{member}" };
            _threads[i].Start();
        }
    }

    private void Loop(int member)
    {
        while (true)
        {
            _start[member].Wait();
            if (_disposed) return;
            try { _body!(member); }
            catch (Exception e) { Interlocked.CompareExchange(ref _error, e, null); }
            finally { _done!.Signal(); }
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_threads is null) return;
        for (int i = 1; i < _size; i++) _start[i].Release();
        for (int i = 1; i < _size; i++) _threads[i].Join();
        foreach (var s in _start) s?.Dispose();
        _done?.Dispose();
    }
}
