using System.Diagnostics;
using System.Text;

namespace GpuExec.Engine.Devices;

/// <summary>
/// Collects what ILGPU writes to <see cref="Trace"/> while kernels load: the only place it puts an
/// OpenCL compiler's build log or the CUDA JIT's error log. Listeners are process-wide, so a load on
/// another thread at the same time may add its lines too; the text only enriches an error message.
/// </summary>
internal sealed class BuildLog : TraceListener
{
    private const int MaxChars = 1 << 16;
    private readonly StringBuilder _text = new();
    private readonly Lock _lock = new();

    public BuildLog() => Trace.Listeners.Add(this);

    public override void Write(string? message)
    {
        lock (_lock)
        {
            if (message is not null && _text.Length < MaxChars)
                _text.Append(message);
        }
    }

    public override void WriteLine(string? message) => Write(message + "\n");

    /// <summary>The first line that reports an error (an OpenCL C compiler's "error:", a JIT's message), or null.</summary>
    public string? FirstError()
    {
        string text;
        lock (_lock)
            text = _text.ToString();
        foreach (var raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Contains("error", StringComparison.OrdinalIgnoreCase))
                return line;
        }
        return null;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            Trace.Listeners.Remove(this);
        base.Dispose(disposing);
    }
}
