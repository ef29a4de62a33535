using System.Diagnostics;

namespace GpuExec.NativeDrivers.Tests;

/// <summary>Runs the real <c>gpuexec</c> (built beside the tests) as a child process with extra environment variables.</summary>
internal static class Cli
{
    private static string Dll => Path.Combine(AppContext.BaseDirectory, "gpuexec.dll");

    private static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } p && File.Exists(p) ? p : "dotnet";

    /// <summary>
    /// Runs gpuexec; <paramref name="libraryPath"/> goes first on <c>LD_LIBRARY_PATH</c>, read by the
    /// dynamic loader at the child's start (so the child finds the shim or the stand-in driver first).
    /// </summary>
    public static (int Code, string Stdout, string Stderr) Run(string? libraryPath, IReadOnlyDictionary<string, string>? env, params string[] args)
    {
        var psi = new ProcessStartInfo(DotnetHost) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (libraryPath is not null)
        {
            string old = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "";
            psi.Environment["LD_LIBRARY_PATH"] = old.Length == 0 ? libraryPath : libraryPath + ":" + old;
        }
        foreach (var (k, v) in env ?? new Dictionary<string, string>())
            psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(8)))
        {
            p.Kill(true);
            throw new TimeoutException("gpuexec " + string.Join(' ', args));
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    public static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "gpuexec-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(d);
        return d;
    }
}
