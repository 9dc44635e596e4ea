using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using DluxShera.Contracts;

namespace DluxShera.Host.Components;

/// <summary>
/// Binds JSON to options classes strictly: keys are the snake_case names of public settable properties;
/// unknown keys and wrong types are errors naming the JSON path and the allowed keys or values.
/// All problems are collected and reported together.
/// </summary>
public static class StrictJsonBinder
{
    private static readonly JsonNamingPolicy Naming = JsonNamingPolicy.SnakeCaseLower;

    /// <summary>Binds <paramref name="node"/> (null: defaults) to a new <paramref name="type"/>.</summary>
    /// <param name="type">The options class.</param>
    /// <param name="node">The JSON.</param>
    /// <param name="path">The JSON path of <paramref name="node"/>, e.g. <c>optimizer.options</c>.</param>
    /// <exception cref="ComponentOptionsException">Every problem found, one per line.</exception>
    public static object Bind(Type type, JsonNode? node, string path)
    {
        var errors = new List<string>();
        object? value = BindCollecting(type, node, path, errors);
        if (errors.Count > 0) throw new ComponentOptionsException(string.Join(Environment.NewLine, errors));
        return value!;
    }

    /// <summary>Binds what binds and adds every problem to <paramref name="errors"/> instead of throwing: keys with a
    /// problem keep their defaults, so a caller can go on looking for more problems elsewhere (and must not use the
    /// result when <paramref name="errors"/> is not empty).</summary>
    /// <param name="type">The options class.</param>
    /// <param name="node">The JSON (null: defaults).</param>
    /// <param name="path">The JSON path of <paramref name="node"/>.</param>
    /// <param name="errors">Receives one message per problem.</param>
    public static object? BindCollecting(Type type, JsonNode? node, string path, List<string> errors) =>
        BindValue(type, node ?? new JsonObject(), path, errors);

    /// <summary>The JSON key of a property.</summary>
    /// <param name="property">The property.</param>
    public static string KeyOf(PropertyInfo property) => Naming.ConvertName(property.Name);

    /// <summary>The bindable properties of an options class.</summary>
    /// <param name="type">The class.</param>
    public static IEnumerable<PropertyInfo> Properties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && p.SetMethod!.IsPublic && p.GetIndexParameters().Length == 0);

    /// <summary>Serialises bound options back to JSON (snake_case) for meta.json.</summary>
    /// <param name="options">The options object.</param>
    public static JsonObject ToJson(object options)
    {
        var obj = new JsonObject();
        foreach (var p in Properties(options.GetType()))
        {
            obj[KeyOf(p)] = ValueToJson(p.GetValue(options));
        }
        return obj;
    }

    private static JsonNode? ValueToJson(object? value) => value switch
    {
        null => null,
        JsonNode n => n.DeepClone(),
        string s => s,
        bool b => b,
        double d => double.IsFinite(d) ? d : JsonValue.Create(d.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        float f => f,
        int i => i,
        long l => l,
        ulong u => u,
        Enum e => Naming.ConvertName(e.ToString()),
        IEnumerable seq => new JsonArray(seq.Cast<object?>().Select(ValueToJson).ToArray()),
        _ => ToJson(value),
    };

    /// <param name="existing">The property's default value when binding a property: an options object is bound
    /// into it, so keys the JSON leaves out keep the defaults the parent class gave (precedence per key).</param>
    private static object? BindValue(Type type, JsonNode? node, string path, List<string> errors, object? existing = null)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        if (node is null)
        {
            if (underlying is not null || !type.IsValueType) return null;
            errors.Add($"{path}: expected {Describe(type)}, got null.");
            return null;
        }
        type = underlying ?? type;
        var kind = node.GetValueKind();
        if (type == typeof(JsonObject))
        {
            if (node is JsonObject o) return Reparsed(o).AsObject();
            return Fail("an object");
        }
        if (type == typeof(JsonNode)) return Reparsed(node);
        if (type == typeof(ComponentReference) && kind == JsonValueKind.String)
        {
            // A component named without options: "shera" is short for {"name": "shera"}.
            return new ComponentReference { Name = node.GetValue<string>() };
        }
        if (type == typeof(string)) return kind == JsonValueKind.String ? node.GetValue<string>() : Fail("a string");
        if (type == typeof(bool)) return kind is JsonValueKind.True or JsonValueKind.False ? node.GetValue<bool>() : Fail("true or false");
        if (type.IsEnum)
        {
            var names = Enum.GetNames(type).ToDictionary(n => Naming.ConvertName(n), n => n);
            if (kind == JsonValueKind.String && names.TryGetValue(Naming.ConvertName(node.GetValue<string>()), out var name))
            {
                return Enum.Parse(type, name);
            }
            return Fail($"one of {string.Join(", ", names.Keys.Select(k => $"\"{k}\""))}");
        }
        if (IsNumber(type))
        {
            if (kind != JsonValueKind.Number) return Fail(Describe(type));
            var element = JsonSerializer.Deserialize<JsonElement>(node.ToJsonString());
            object? number = type switch
            {
                _ when type == typeof(double) => element.GetDouble(),
                _ when type == typeof(float) => (float)element.GetDouble(),
                _ when type == typeof(int) => element.TryGetInt32(out int i) ? i : null,
                _ when type == typeof(long) => element.TryGetInt64(out long l) ? l : null,
                _ when type == typeof(ulong) => element.TryGetUInt64(out ulong u) ? u : null,
                _ => null,
            };
            return number ?? Fail(Describe(type));
        }
        if (type.IsArray || (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>)))
        {
            if (node is not JsonArray array) return Fail(Describe(type));
            var elementType = type.IsArray ? type.GetElementType()! : type.GetGenericArguments()[0];
            var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(elementType))!;
            for (int i = 0; i < array.Count; i++) list.Add(BindValue(elementType, array[i], $"{path}[{i}]", errors));
            if (!type.IsArray) return list;
            var result = Array.CreateInstance(elementType, list.Count);
            list.CopyTo(result, 0);
            return result;
        }
        if (type.IsClass && type.GetConstructor(Type.EmptyTypes) is not null)
        {
            if (node is not JsonObject obj) return Fail(type == typeof(ComponentReference) ? "a component name or an object {\"name\", \"preset\", \"options\"}" : "an object");
            return BindObject(type, obj, path, errors, existing);
        }
        errors.Add($"{path}: options of type {type.Name} cannot be bound from JSON (a plugin defect: use plain properties).");
        return null;

        object? Fail(string expected)
        {
            errors.Add($"{path}: expected {expected}, got {Show(node)}.");
            return null;
        }
    }

    private static object BindObject(Type type, JsonObject obj, string path, List<string> errors, object? existing = null)
    {
        var instance = existing is not null && existing.GetType() == type ? existing : Activator.CreateInstance(type)!;
        int errorsBefore = errors.Count;
        var properties = Properties(type).ToDictionary(KeyOf, StringComparer.Ordinal);
        foreach (var (key, value) in obj)
        {
            string keyPath = path.Length == 0 ? key : $"{path}.{key}";
            if (!properties.TryGetValue(key, out var property))
            {
                errors.Add($"{keyPath}: unknown key; allowed keys here: {(properties.Count == 0 ? "(none)" : string.Join(", ", properties.Keys))}.");
                continue;
            }
            int before = errors.Count;
            object? bound = BindValue(property.PropertyType, value, keyPath, errors, property.CanRead ? property.GetValue(instance) : null);
            if (errors.Count == before) property.SetValue(instance, bound);
        }
        // Rules across keys are checked when this object's own keys bound (problems elsewhere do not hide them).
        if (instance is IValidatableOptions validatable && errors.Count == errorsBefore)
        {
            foreach (var (key, message) in validatable.Validate())
            {
                errors.Add($"{(path.Length == 0 ? key : $"{path}.{key}")}: {message}.");
            }
        }
        return instance;
    }

    private static bool IsNumber(Type t) => t == typeof(double) || t == typeof(float) || t == typeof(int) || t == typeof(long) || t == typeof(ulong);

    private static string Describe(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(int) || type == typeof(long)) return "an integer";
        if (type == typeof(ulong)) return "a non-negative integer";
        if (type == typeof(double) || type == typeof(float)) return "a number";
        if (type == typeof(string)) return "a string";
        if (type == typeof(bool)) return "true or false";
        if (type.IsArray) return $"an array of {Describe(type.GetElementType()!).Replace("an ", "").Replace("a ", "")}s";
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>)) return "an array";
        return "an object";
    }

    // Quotes and non-ASCII as typed (the default encoder would echo "abc" as \u0022abc\u0022).
    private static readonly JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // A copy read back from its JSON text, so every number in it is JSON-backed, as in a parsed spec: a value an embedder
    // built in C# (JsonValue.Create(2), an int) would otherwise reach the plugin as a boxed int, and a plugin's
    // TryGetValue<double>/GetValue<double> refuses those.
    private static JsonNode Reparsed(JsonNode node) => JsonNode.Parse(node.ToJsonString())!;

    private static string Show(JsonNode? node)
    {
        if (node is null) return "null";
        string text = node.ToJsonString(Readable);
        if (text.Length > 40) text = text[..37] + "...";
        return node.GetValueKind() switch
        {
            JsonValueKind.String => $"the string {text}",
            JsonValueKind.Number => $"the number {text}",
            JsonValueKind.Object => "an object",
            JsonValueKind.Array => "an array",
            _ => text,
        };
    }

    /// <summary>Deep-merges <paramref name="overlay"/> into a copy of <paramref name="baseObject"/> (objects merge, other values replace).</summary>
    /// <param name="baseObject">The lower-precedence object.</param>
    /// <param name="overlay">The higher-precedence object.</param>
    public static JsonObject Merge(JsonObject baseObject, JsonObject? overlay)
    {
        var result = (JsonObject)baseObject.DeepClone();
        if (overlay is null) return result;
        foreach (var (key, value) in overlay)
        {
            if (value is JsonObject o && result[key] is JsonObject existing)
            {
                result[key] = Merge(existing, o);
            }
            else
            {
                result[key] = value?.DeepClone();
            }
        }
        return result;
    }
}
