using DluxShera.Host.Cli;

namespace DluxShera.Tests;

/// <summary>Runs the CLI in-process and captures its output.</summary>
internal static class Dluxshera
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
    }

    public static Result Invoke(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CommandLine.Run(args, stdout, stderr);
        return new Result(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>A plugins.json in <paramref name="dir"/> with the shipped plugins plus extra entries.</summary>
    public static string PluginsFile(string dir, params string[] extraEntries)
    {
        string shipped = string.Join(",\n", new[] { "DluxShera.Artifacts.Filesystem", "DluxShera.TestProblems", "DluxShera.Optimizers", "DluxShera.Curvature", "DluxShera.Shera", "DluxShera.Signals" }
            .Select(n => $$"""    { "id": "{{n}}", "path": {{Json(Path.Combine(RepoPaths.Root, "build", "plugins", n, n + ".dll"))}} }"""));
        string all = string.Join(",\n", new[] { shipped }.Concat(extraEntries));
        string path = Path.Combine(dir, "plugins.json");
        File.WriteAllText(path, $"{{\n  \"plugins\": [\n{all}\n  ]\n}}\n");
        return path;
    }

    public static string Json(string s) => System.Text.Json.JsonSerializer.Serialize(s);
}
