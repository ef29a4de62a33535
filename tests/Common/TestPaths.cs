namespace GpuExec.Testing;

/// <summary>Finds <c>../shared</c> beside the checkout, walking up from the test binary.</summary>
internal static class TestPaths
{
    public static string Shared(params string[] parts)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null)
        {
            var candidate = Path.Combine(dir.FullName, "shared");
            if (Directory.Exists(Path.Combine(candidate, "vectors")))
                return Path.Combine([candidate, .. parts]);
            dir = dir.Parent;
        }
        throw new DirectoryNotFoundException("../shared (SPEC, vectors, examples) not found above " + AppContext.BaseDirectory);
    }
}
