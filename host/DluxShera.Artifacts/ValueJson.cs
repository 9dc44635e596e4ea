using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DluxShera.Artifacts;

/// <summary>A value that JSON cannot hold faithfully; <see cref="Path"/> names where it sits (e.g. <c>schedule.config[0]</c>).</summary>
/// <param name="path">Where the value sits.</param>
/// <param name="reason">What is wrong with it.</param>
public sealed class UnserialisableValueException(string path, string reason) : Exception($"{path}: {reason}")
{
    /// <summary>Where the value sits, as <c>key.key[index]</c>.</summary>
    public string Path { get; } = path;

    /// <summary>What is wrong with it.</summary>
    public string Reason { get; } = reason;
}

/// <summary>
/// Turns the plain .NET values components return from <c>Describe()</c> and result extras into JSON with their
/// structure kept: numbers (non-finite ones as null), strings, enums (their names), dictionaries (objects keyed
/// by the invariant text of string, enum or integer keys), arrays and lists (arrays; a rectangular array of rank
/// r nests r deep), tuples (arrays), and records or other objects (their public properties, in snake_case).
/// Anything else, code or handles such as delegates, types and streams, objects without public properties,
/// and reference cycles, is refused with an <see cref="UnserialisableValueException"/> naming the key, because
/// writing its <c>ToString()</c> (what the host did before) silently loses the value.
/// </summary>
public static class ValueJson
{
    /// <summary>How deep values may nest before they are taken for a cycle through value types.</summary>
    public const int MaxDepth = 32;

    private static readonly JsonNamingPolicy PropertyNames = JsonNamingPolicy.SnakeCaseLower;

    /// <summary>The JSON of <paramref name="value"/>.</summary>
    /// <param name="value">The value.</param>
    /// <param name="path">Its name, for messages.</param>
    /// <exception cref="UnserialisableValueException">The value, or something inside it, has no faithful JSON form.</exception>
    public static JsonNode? ToNode(object? value, string path) => Convert(value, path, 0, new HashSet<object>(ReferenceEqualityComparer.Instance));

    /// <summary>A JSON object of the entries of <paramref name="values"/>, each converted by <see cref="ToNode"/>.</summary>
    /// <param name="values">The entries.</param>
    /// <exception cref="UnserialisableValueException">An entry has no faithful JSON form; the path starts with its key.</exception>
    public static JsonObject ToObject(IReadOnlyDictionary<string, object?> values)
    {
        var visiting = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var result = new JsonObject();
        foreach (var (key, value) in values) result[key] = Convert(value, key, 1, visiting);
        return result;
    }

    private static JsonNode? Convert(object? value, string path, int depth, HashSet<object> visiting)
    {
        if (depth > MaxDepth) throw new UnserialisableValueException(path, $"nests deeper than {MaxDepth} levels (a cycle through value types?); describe it with fewer levels");
        switch (value)
        {
            case null: return null;
            case JsonNode node: return node.DeepClone();
            case JsonElement element: return JsonSerializer.SerializeToNode(element);
            case string s: return JsonValue.Create(s);
            case bool b: return JsonValue.Create(b);
            case char c: return JsonValue.Create(c.ToString());
            case double d: return JsonNumbers.Number(d);
            case float f: return JsonNumbers.Number(f);
            case Half h: return JsonNumbers.Number((double)h);
            case decimal m: return JsonValue.Create(m);
            case sbyte or byte or short or ushort or int or uint or long: return JsonValue.Create(((IConvertible)value).ToInt64(CultureInfo.InvariantCulture));
            case ulong u: return JsonValue.Create(u);
            case Enum e: return JsonValue.Create(e.ToString());
            case DateTime t: return JsonValue.Create(t.ToString("O", CultureInfo.InvariantCulture));
            case DateTimeOffset t: return JsonValue.Create(t.ToString("O", CultureInfo.InvariantCulture));
            case TimeSpan t: return JsonValue.Create(t.TotalSeconds);
            case Guid or Uri or Version: return JsonValue.Create(value.ToString());
        }
        Refuse(value, path);
        bool tracked = !value.GetType().IsValueType;
        if (tracked && !visiting.Add(value)) throw new UnserialisableValueException(path, $"refers back to itself (a reference cycle through {TypeName(value.GetType())})");
        try
        {
            return value switch
            {
                IDictionary dictionary => FromDictionary(dictionary, path, depth, visiting),
                Array { Rank: > 1 } array => FromRectangular(array, path, depth, visiting),
                ITuple tuple => new JsonArray(Enumerable.Range(0, tuple.Length).Select(i => Convert(tuple[i], $"{path}[{i}]", depth + 1, visiting)).ToArray()),
                IEnumerable sequence => new JsonArray(sequence.Cast<object?>().Select((item, i) => Convert(item, $"{path}[{i}]", depth + 1, visiting)).ToArray()),
                _ => FromProperties(value, path, depth, visiting),
            };
        }
        finally
        {
            if (tracked) visiting.Remove(value);
        }
    }

    // Code and handles have no value to record; saying so beats writing "System.Action`1[System.Double]".
    private static void Refuse(object value, string path)
    {
        string? what = value switch
        {
            Delegate => "a delegate (code)",
            Type or MemberInfo or Assembly or Module => "reflection metadata",
            Stream or TextReader or TextWriter => "a stream",
            Task => "a task",
            IntPtr or UIntPtr or Pointer => "a pointer",
            WaitHandle or CancellationToken => "a synchronisation handle",
            _ => null,
        };
        if (what is not null)
        {
            throw new UnserialisableValueException(path, $"{TypeName(value.GetType())} is {what}, not a value; give a number, string, list, dictionary or record");
        }
    }

    private static JsonObject FromDictionary(IDictionary dictionary, string path, int depth, HashSet<object> visiting)
    {
        var result = new JsonObject();
        foreach (DictionaryEntry entry in dictionary)
        {
            string key = entry.Key switch
            {
                string s => s,
                Enum e => e.ToString(),
                sbyte or byte or short or ushort or int or uint or long or ulong or Guid => System.Convert.ToString(entry.Key, CultureInfo.InvariantCulture)!,
                _ => throw new UnserialisableValueException(path, $"a dictionary keyed by {TypeName(entry.Key.GetType())}; JSON keys are text, so key it by strings, enums or integers"),
            };
            if (result.ContainsKey(key)) throw new UnserialisableValueException(path, $"two keys are both written as \"{key}\"");
            result[key] = Convert(entry.Value, $"{path}.{key}", depth + 1, visiting);
        }
        return result;
    }

    private static JsonArray FromRectangular(Array array, string path, int depth, HashSet<object> visiting)
    {
        var index = new int[array.Rank];
        JsonArray Level(int dimension, string at)
        {
            var level = new JsonArray();
            for (int i = 0; i < array.GetLength(dimension); i++)
            {
                index[dimension] = i;
                string here = $"{at}[{i}]";
                level.Add(dimension == array.Rank - 1 ? Convert(array.GetValue(index), here, depth + 1 + dimension, visiting) : Level(dimension + 1, here));
            }
            return level;
        }
        return Level(0, path);
    }

    private static JsonObject FromProperties(object value, string path, int depth, HashSet<object> visiting)
    {
        var type = value.GetType();
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanRead && p.GetIndexParameters().Length == 0).ToArray();
        if (properties.Length == 0)
        {
            throw new UnserialisableValueException(path, $"{TypeName(type)} has no public properties, so nothing of it can be written; give a number, string, list, dictionary or record");
        }
        var result = new JsonObject();
        foreach (var property in properties)
        {
            string key = PropertyNames.ConvertName(property.Name);
            object? item;
            try
            {
                item = property.GetValue(value);
            }
            catch (TargetInvocationException e)
            {
                throw new UnserialisableValueException($"{path}.{key}", $"reading {TypeName(type)}.{property.Name} threw {e.InnerException?.GetType().Name}: {e.InnerException?.Message}");
            }
            result[key] = Convert(item, $"{path}.{key}", depth + 1, visiting);
        }
        return result;
    }

    private static string TypeName(Type type) => type.IsGenericType
        ? $"{type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)]}<{string.Join(", ", type.GetGenericArguments().Select(TypeName))}>"
        : type.Name;
}
