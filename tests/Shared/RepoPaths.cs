namespace DluxShera.Tests;

/// <summary>Locations in the repository checkout the tests run from.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string PluginsJson => Path.Combine(Root, "plugins.json");

    public static string Example(string name) => Path.Combine(Root, "docs", "examples", name);

    public static string TestPlugin(string name) => Path.Combine(Root, "build", "testplugins", name, name + ".dll");

    /// <summary>A fresh temporary directory, deleted by the caller's using.</summary>
    public static TempDirectory Temp() => new();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DluxShera.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("DluxShera.sln not found above the test binaries.");
    }
}

internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "dluxshera-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
