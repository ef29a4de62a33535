using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace GpuExec.NativeDrivers.Tests;

/// <summary>
/// Builds the C files of <c>Native/</c> with gcc into shared libraries under the temporary folder,
/// one folder per source and arguments (so test processes share a build, and a changed source
/// gets a new one).
/// </summary>
internal static class NativeBuild
{
    /// <summary>The folder that holds <paramref name="library"/> built from <c>Native/<paramref name="source"/></c>, or null with why not.</summary>
    public static string? Build(string source, string library, string[] args, out string? why)
    {
        why = null;
        if (!OperatingSystem.IsLinux())
        {
            why = "the native test libraries are built for Linux only";
            return null;
        }
        string src = Path.Combine(AppContext.BaseDirectory, "Native", source);
        string text = File.ReadAllText(src);
        string key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text + "\0" + library + "\0" + string.Join(' ', args))))[..16];
        string dir = Path.Combine(Path.GetTempPath(), $"gpuexec-native-{key}");
        string lib = Path.Combine(dir, library);
        if (File.Exists(lib))
            return dir;
        Directory.CreateDirectory(dir);
        string tmp = Path.Combine(dir, $".{library}.{Environment.ProcessId}.tmp");
        var psi = new ProcessStartInfo("gcc") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-O2", "-shared", "-fPIC", "-o", tmp, src }.Concat(args))
            psi.ArgumentList.Add(a);
        Process p;
        try
        {
            p = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            why = "gcc not found (.ci/run installs it): the test's native library cannot be built";
            return null;
        }
        using (p)
        {
            var err = p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)
            {
                why = $"gcc could not build {library} from {source}: {err.Result.Trim().Split('\n').LastOrDefault()}";
                return null;
            }
        }
        File.Move(tmp, lib, overwrite: true);
        return dir;
    }
}
