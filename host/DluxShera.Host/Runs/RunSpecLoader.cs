using System.Text.Json;
using System.Text.Json.Nodes;
using DluxShera.Contracts;
using DluxShera.Host.Components;

namespace DluxShera.Host.Runs;

/// <summary>
/// Reads a run spec and applies <c>--set key.path=value</c> overrides. Precedence, highest first:
/// <c>--set</c>, the spec, the component's preset, the options class defaults.
/// </summary>
public static class RunSpecLoader
{
    /// <summary>Loads, overrides and binds a spec.</summary>
    /// <param name="file">The spec file.</param>
    /// <param name="overrides"><c>key.path=value</c> strings.</param>
    /// <returns>The bound spec and the effective JSON (after overrides).</returns>
    /// <exception cref="BadInputException">Missing file, malformed JSON, bad override, unknown key or wrong type.</exception>
    public static (RunSpec Spec, JsonObject Json) Load(string file, IReadOnlyList<string> overrides)
    {
        var problems = new SpecProblems(file, overrides);
        var loaded = Load(file, overrides, problems);
        problems.ThrowIfAny();
        return loaded;
    }

    /// <summary>Loads and overrides a spec and binds what binds, adding every key's problem to <paramref name="problems"/>
    /// (so a caller can add the components' problems and report all at once). A missing file, malformed JSON or a
    /// malformed <c>--set</c> still throws at once: nothing else can be checked then.</summary>
    /// <param name="file">The spec file.</param>
    /// <param name="overrides"><c>key.path=value</c> strings.</param>
    /// <param name="problems">Receives the binding problems.</param>
    /// <exception cref="BadInputException">Missing file, malformed JSON or a malformed override.</exception>
    public static (RunSpec Spec, JsonObject Json) Load(string file, IReadOnlyList<string> overrides, SpecProblems problems)
    {
        if (!File.Exists(file)) throw new BadInputException($"{file}: run spec not found.");
        JsonObject json;
        try
        {
            json = JsonNode.Parse(File.ReadAllText(file), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) as JsonObject
                ?? throw new BadInputException($"{file}: a run spec must be a JSON object.");
        }
        catch (JsonException e)
        {
            throw new BadInputException($"{file}:{e.LineNumber + 1}:{e.BytePositionInLine + 1}: malformed JSON: {e.Message.Split(" Path:")[0]}", e);
        }
        foreach (string o in overrides) ApplyOverride(json, o);
        var errors = new List<string>();
        var spec = (RunSpec)StrictJsonBinder.BindCollecting(typeof(RunSpec), json, "", errors)!;
        foreach (string error in errors) problems.Add(error);
        return (spec, json);
    }

    /// <summary>Names the <c>--set</c> assignments behind an error message, so the error is not blamed on the spec
    /// file alone: <c>a.b: expected … (from --set a.b=x)</c>. The message's own text stays as it was.</summary>
    /// <param name="message">A binding error naming JSON paths.</param>
    /// <param name="overrides">The <c>--set</c> assignments.</param>
    public static string Attribute(string message, IEnumerable<string> overrides)
    {
        var sources = overrides.Where(o =>
        {
            int eq = o.IndexOf('=');
            if (eq <= 0) return false;
            string key = o[..eq].Trim();
            return message.Contains(key + ":", StringComparison.Ordinal) || message.Contains(key + ".", StringComparison.Ordinal);
        }).ToList();
        return sources.Count == 0 ? message : $"{message} (from --set {string.Join(", --set ", sources)})";
    }

    /// <summary>Applies one <c>key.path=value</c>: the value is JSON when it parses as JSON, otherwise a string. An object
    /// value merges into an existing object key by key; <c>null</c> (or any non-object) replaces.</summary>
    /// <param name="json">The spec.</param>
    /// <param name="assignment">The override.</param>
    public static void ApplyOverride(JsonObject json, string assignment)
    {
        int eq = assignment.IndexOf('=');
        if (eq <= 0) throw new BadInputException($"--set '{assignment}': expected key.path=value, e.g. --set optimizer.options.learning_rate=0.01.");
        string path = assignment[..eq].Trim();
        string text = assignment[(eq + 1)..];
        JsonNode? value;
        try
        {
            value = JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            value = JsonValue.Create(text);
        }
        string[] keys = path.Split('.');
        if (keys.Any(string.IsNullOrWhiteSpace)) throw new BadInputException($"--set '{assignment}': empty segment in key path '{path}'.");
        JsonObject node = json;
        for (int i = 0; i < keys.Length - 1; i++)
        {
            switch (node[keys[i]])
            {
                case JsonObject child:
                    node = child;
                    break;
                case null:
                    var created = new JsonObject();
                    node[keys[i]] = created;
                    node = created;
                    break;
                default:
                    throw new BadInputException($"--set '{assignment}': '{string.Join('.', keys[..(i + 1)])}' is not an object, so '{path}' cannot be set.");
            }
        }
        // Precedence per key: an object merges into the object already there (keys it leaves out keep their
        // spec values); any other value, null included, replaces.
        node[keys[^1]] = value is JsonObject overlay && node[keys[^1]] is JsonObject existing
            ? StrictJsonBinder.Merge(existing, overlay)
            : value;
    }
}
