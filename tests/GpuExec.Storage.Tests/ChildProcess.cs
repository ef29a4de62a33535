using System.Collections.Concurrent;
using System.Diagnostics;

namespace GpuExec.Storage.Tests;

/// <summary>A second process (this test binary in a child mode, or the CLI) whose stdout lines are watched.</summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _p;
    private readonly BlockingCollection<string> _lines = [];
    public readonly List<string> Seen = [];
    public readonly System.Text.StringBuilder Stderr = new();

    private ChildProcess(Process p) => _p = p;

    /// <summary>Runs <c>dotnet DLL args</c>.</summary>
    public static ChildProcess Start(string dll, params string[] args)
    {
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = new Process { StartInfo = psi };
        var c = new ChildProcess(p);
        p.OutputDataReceived += (_, e) => { if (e.Data is null) c._lines.CompleteAdding(); else c._lines.Add(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (c.Stderr) c.Stderr.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return c;
    }

    /// <summary>This test binary in its child mode (see <see cref="Program"/>).</summary>
    public static ChildProcess StartSelf(params string[] args) => Start(typeof(Program).Assembly.Location, args);

    /// <summary>Waits for a line equal to <paramref name="line"/>; false when the process ended first.</summary>
    public bool WaitFor(string line, int timeoutMs = 120_000)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.ElapsedMilliseconds < timeoutMs)
        {
            if (!_lines.TryTake(out var l, 100))
            {
                if (_lines.IsCompleted) return false;
                continue;
            }
            Seen.Add(l);
            if (l == line) return true;
        }
        throw new TimeoutException($"no \"{line}\" from the child within {timeoutMs} ms; seen: {string.Join(" | ", Seen)}; stderr: {Stderr}");
    }

    /// <summary>Waits until stderr holds <paramref name="count"/> lines containing <paramref name="text"/>; false when the process ended first.</summary>
    public bool WaitForStderr(string text, int count, int timeoutMs = 120_000)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.ElapsedMilliseconds < timeoutMs)
        {
            string err;
            lock (Stderr) err = Stderr.ToString();
            int n = 0;
            for (int i = err.IndexOf(text, StringComparison.Ordinal); i >= 0; i = err.IndexOf(text, i + text.Length, StringComparison.Ordinal)) n++;
            if (n >= count) return true;
            if (_p.HasExited) return false;
            Thread.Sleep(1);
        }
        throw new TimeoutException($"fewer than {count} \"{text}\" lines on the child's stderr within {timeoutMs} ms");
    }

    /// <summary>Every line the process wrote, once it has ended.</summary>
    public void Drain()
    {
        foreach (var l in _lines.GetConsumingEnumerable()) Seen.Add(l);
    }

    /// <summary>SIGKILL: no handler, no flush, no dispose runs in the child.</summary>
    public void KillHard()
    {
        try { _p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } // already gone
        _p.WaitForExit();
        Drain();
    }

    public void CloseStdin() => _p.StandardInput.Close();

    public int WaitForExit(int timeoutMs = 120_000)
    {
        if (!_p.WaitForExit(timeoutMs)) { KillHard(); throw new TimeoutException("child did not exit"); }
        _p.WaitForExit();
        Drain();
        return _p.ExitCode;
    }

    public void Dispose()
    {
        if (!_p.HasExited) KillHard();
        _p.Dispose();
        _lines.Dispose();
    }
}
