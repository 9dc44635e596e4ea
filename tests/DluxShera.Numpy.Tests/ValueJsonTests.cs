using System.Collections;
using System.Text.Json;
using System.Text.Json.Nodes;
using DluxShera.Artifacts;
using Xunit;

namespace DluxShera.Tests;

/// <summary>ValueJson against hand-written JSON: structure kept, non-finite numbers null, the unwritable refused by key.</summary>
public class ValueJsonTests
{
    private enum Mode { Fast }

    private sealed record Inner(double Value);

    private sealed record Outer(string Name, Inner Inner, int[] Counts);

    private sealed class Opaque
    {
        private readonly int _hidden = 1;

        public override string ToString() => $"opaque {_hidden}";
    }

    public static TheoryData<object?, string> Values() => new()
    {
        { 1.5, "1.5" },
        { double.NaN, "null" },
        { float.PositiveInfinity, "null" },
        { 7L, "7" },
        { (byte)3, "3" },
        { Mode.Fast, "\"Fast\"" },
        { 'c', "\"c\"" },
        { new Dictionary<string, double> { ["a"] = 1.5 }, """{"a":1.5}""" },
        { new Dictionary<Mode, int> { [Mode.Fast] = 2 }, """{"Fast":2}""" },
        { new List<string> { "x", "y" }, """["x","y"]""" },
        { (1, "x", 2.5), """[1,"x",2.5]""" },
        { Tuple.Create(1, 2), "[1,2]" },
        { new int[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } }, "[[1,2],[3,4],[5,6]]" },
        { new Outer("o", new Inner(double.NaN), [1, 2]), """{"name":"o","inner":{"value":null},"counts":[1,2]}""" },
        { new { PlateScale = 0.5 }, """{"plate_scale":0.5}""" },
        { new Hashtable { ["k"] = new double[] { 1, double.NegativeInfinity } }, """{"k":[1,null]}""" },
        { "µas \"q\"", "\"µas \\\"q\\\"\"" },
        { true, "true" },
        { 2.5f, "2.5" },
        { (Half)0.5, "0.5" },
        { Half.NaN, "null" },
        { 1.25m, "1.25" },
        { (sbyte)-3, "-3" },
        { (short)-300, "-300" },
        { (ushort)60000, "60000" },
        { -70000, "-70000" },
        { 4000000000u, "4000000000" },
        { long.MinValue, "-9223372036854775808" },
        { ulong.MaxValue, "18446744073709551615" },
        { new DateTime(2026, 11, 29, 12, 30, 5, DateTimeKind.Utc), "\"2026-11-29T12:30:05.0000000Z\"" },
        { new DateTimeOffset(2026, 11, 29, 12, 30, 5, TimeSpan.FromHours(2)), "\"2026-11-29T12:30:05.0000000+02:00\"" },
        { TimeSpan.FromMinutes(1.5), "90" },
        { Guid.Parse("0123456789abcdef0123456789abcdef"), "\"01234567-89ab-cdef-0123-456789abcdef\"" },
        { new Uri("https://example.org/a"), "\"https://example.org/a\"" },
        { new Version(1, 2, 3), "\"1.2.3\"" },
        { JsonDocument.Parse("""{"x":[1,2]}""").RootElement, """{"x":[1,2]}""" },
        { new Dictionary<int, string> { [-1] = "m", [10] = "t" }, """{"-1":"m","10":"t"}""" },
        { new Dictionary<Guid, int> { [Guid.Empty] = 0 }, """{"00000000-0000-0000-0000-000000000000":0}""" },
        { new int[2, 1, 2] { { { 1, 2 } }, { { 3, 4 } } }, "[[[1,2]],[[3,4]]]" },
        { new int[0, 3], "[]" },
        { new double[0], "[]" },
        { new KeyValuePair<string, int>("k", 1), """{"key":"k","value":1}""" },
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void Plain_values_keep_their_structure(object? value, string json) =>
        Assert.Equal(json, ValueJson.ToNode(value, "v")?.ToJsonString(Unescaped) ?? "null");

    // Compared without the default encoder's escapes (+, quotes, non-ASCII), which are the serializer's, not ours.
    private static readonly JsonSerializerOptions Unescaped = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [Fact]
    public void A_json_node_is_copied_not_shared()
    {
        var node = new JsonObject { ["a"] = 1 };
        var copy = ValueJson.ToNode(node, "v");
        Assert.NotSame(node, copy);
        Assert.Equal(node.ToJsonString(), copy!.ToJsonString());
    }

    [Fact]
    public void Unwritable_values_are_refused_by_path()
    {
        var values = new Dictionary<string, object?>
        {
            ["ok"] = 1,
            ["nested"] = new Dictionary<string, object?> { ["list"] = new object?[] { 1, new Opaque() } },
        };
        var e = Assert.Throws<UnserialisableValueException>(() => ValueJson.ToObject(values));
        Assert.Equal("nested.list[1]", e.Path);
        Assert.Contains("Opaque has no public properties", e.Reason);

        e = Assert.Throws<UnserialisableValueException>(() => ValueJson.ToNode(new Dictionary<object, int> { [new object()] = 1 }, "keys"));
        Assert.Contains("a dictionary keyed by Object", e.Reason);
        e = Assert.Throws<UnserialisableValueException>(() => ValueJson.ToNode(typeof(int), "t"));
        Assert.Contains("reflection metadata", e.Reason);
        e = Assert.Throws<UnserialisableValueException>(() => ValueJson.ToNode(new MemoryStream(), "s"));
        Assert.Contains("a stream", e.Reason);
    }

    [Fact]
    public void The_same_object_twice_is_not_a_cycle()
    {
        var shared = new[] { 1.0 };
        Assert.Equal("""{"a":[1],"b":[1]}""", ValueJson.ToObject(new Dictionary<string, object?> { ["a"] = shared, ["b"] = shared }).ToJsonString());
    }

    [Fact]
    public void Code_handles_and_pointers_are_refused_naming_what_they_are()
    {
        (object Value, string What)[] refused =
        [
            ((Func<double, double>)Math.Sqrt, "Func<Double, Double> is a delegate (code), not a value"),
            (typeof(ValueJson).GetMethod(nameof(ValueJson.ToNode))!, "is reflection metadata"),
            (typeof(ValueJson).Assembly, "is reflection metadata"),
            (typeof(ValueJson).Module, "is reflection metadata"),
            (new StringReader("x"), "StringReader is a stream"),
            (new StringWriter(), "StringWriter is a stream"),
            (Task.CompletedTask, "is a task"),
            (new IntPtr(1), "IntPtr is a pointer"),
            (new UIntPtr(1), "UIntPtr is a pointer"),
            (new ManualResetEvent(false), "ManualResetEvent is a synchronisation handle"),
            (CancellationToken.None, "CancellationToken is a synchronisation handle"),
        ];
        foreach (var (value, what) in refused)
        {
            var e = Assert.Throws<UnserialisableValueException>(() => ValueJson.ToNode(value, "opt.x"));
            Assert.Equal("opt.x", e.Path);
            Assert.Contains(what, e.Reason);
            Assert.EndsWith("not a value; give a number, string, list, dictionary or record", e.Reason);
            Assert.Equal($"opt.x: {e.Reason}", e.Message);
        }
    }

    private sealed class Node
    {
        public string Name { get; set; } = "n";

        public Node? Next { get; set; }
    }

    private sealed class Throwing
    {
        public int Fine => 1;

        public int Broken => throw new InvalidOperationException("not computed yet");
    }

    private readonly record struct Deep(object? Inner);

    [Fact]
    public void Reference_cycles_and_runaway_nesting_are_refused_with_their_path()
    {
        var a = new Node { Name = "a" };
        a.Next = new Node { Name = "b", Next = a };
        var cycle = Assert.Throws<UnserialisableValueException>(() => ValueJson.ToNode(a, "chain"));
        Assert.Equal("chain.next.next", cycle.Path);
        Assert.Equal("refers back to itself (a reference cycle through Node)", cycle.Reason);

        var list = new List<object?>();
        list.Add(list);
        Assert.Equal("l[0]", Assert.Throws<UnserialisableValueException>(() => ValueJson.ToNode(list, "l")).Path);

        // Value types cannot be tracked by reference; depth stops them. 32 levels are written, 33 refused.
        object? Nest(int levels) => levels == 0 ? 1 : new Deep(Nest(levels - 1));
        string ok = ValueJson.ToNode(Nest(ValueJson.MaxDepth), "d")!.ToJsonString();
        Assert.Equal(string.Concat(Enumerable.Repeat("{\"inner\":", ValueJson.MaxDepth)) + "1" + new string('}', ValueJson.MaxDepth), ok);
        var deep = Assert.Throws<UnserialisableValueException>(() => ValueJson.ToNode(Nest(ValueJson.MaxDepth + 1), "d"));
        Assert.Equal("d" + string.Concat(Enumerable.Repeat(".inner", ValueJson.MaxDepth + 1)), deep.Path);
        Assert.Equal("nests deeper than 32 levels (a cycle through value types?); describe it with fewer levels", deep.Reason);

        // ToObject starts its entries one level down, so an entry may nest 31 levels below its key.
        Assert.NotNull(ValueJson.ToObject(new Dictionary<string, object?> { ["k"] = Nest(ValueJson.MaxDepth - 1) }));
        Assert.Throws<UnserialisableValueException>(() => ValueJson.ToObject(new Dictionary<string, object?> { ["k"] = Nest(ValueJson.MaxDepth) }));
    }

    [Fact]
    public void Keys_that_collide_as_text_and_getters_that_throw_are_refused_by_path()
    {
        var clash = new Hashtable { [1] = "int", ["1"] = "string" };
        var e = Assert.Throws<UnserialisableValueException>(() => ValueJson.ToNode(clash, "m"));
        Assert.Equal("m", e.Path);
        Assert.Equal("two keys are both written as \"1\"", e.Reason);

        var t = Assert.Throws<UnserialisableValueException>(() => ValueJson.ToNode(new Throwing(), "obj"));
        Assert.Equal("obj.broken", t.Path);
        Assert.Equal("reading Throwing.Broken threw InvalidOperationException: not computed yet", t.Reason);

        var keyed = Assert.Throws<UnserialisableValueException>(() => ValueJson.ToNode(new Dictionary<(int, int), int> { [(1, 2)] = 3 }, "grid"));
        Assert.Equal("a dictionary keyed by ValueTuple<Int32, Int32>; JSON keys are text, so key it by strings, enums or integers", keyed.Reason);
    }

    [Fact]
    public void Json_numbers_write_non_finite_values_as_null_and_read_null_back_as_nan()
    {
        Assert.Null(JsonNumbers.Number(double.NaN));
        Assert.Null(JsonNumbers.Number(double.NegativeInfinity));
        Assert.Equal("-0.5", JsonNumbers.Number(-0.5)!.ToJsonString());
        Assert.True(double.IsNaN(JsonNumbers.ReadDouble(null)));
        Assert.Equal(3.25, JsonNumbers.ReadDouble(JsonValue.Create(3.25)));
        Assert.Equal("""{"a":[1,null]}""", JsonNumbers.ToObject(new Dictionary<string, object?> { ["a"] = new[] { 1.0, double.NaN } }).ToJsonString());
        Assert.Equal("[2]", JsonNumbers.ToNode(new[] { 2 })!.ToJsonString());
        // Files people read: indented, and µ or "é" written as themselves, not \u escapes.
        Assert.Equal("{\n  \"unit\": \"µas\"\n}", new JsonObject { ["unit"] = "µas" }.ToJsonString(JsonNumbers.Indented));
    }
    public static TheoryData<string, Func<object?, object?>, int> Wrappers() => new()
    {
        // Each wrapper adds one level; a rank-2 array adds two (a rectangular array of rank r nests r deep).
        { "tuple", x => Tuple.Create(x), 1 },
        { "value tuple", x => new ValueTuple<object?>(x), 1 },
        { "list", x => new List<object?> { x }, 1 },
        { "dictionary", x => new Dictionary<string, object?> { ["k"] = x }, 1 },
        { "rank-2 array", x => new object?[1, 1] { { x } }, 2 },
    };

    [Theory]
    [MemberData(nameof(Wrappers))]
    public void Every_container_counts_towards_the_nesting_limit(string kind, Func<object?, object?> wrap, int levelsEach)
    {
        object? Nest(int times)
        {
            object? v = 1.0;
            for (int i = 0; i < times; i++) v = wrap(v);
            return v;
        }
        int fits = ValueJson.MaxDepth / levelsEach;
        Assert.NotNull(ValueJson.ToNode(Nest(fits), kind));
        var e = Assert.Throws<UnserialisableValueException>(() => ValueJson.ToNode(Nest(fits + 1), kind));
        Assert.StartsWith("nests deeper than 32 levels", e.Reason);
    }

    [Fact]
    public void A_refused_value_inside_a_tuple_or_a_rectangular_array_is_named_by_its_indices()
    {
        Func<int> code = () => 1;
        Assert.Equal("t[1]", Assert.Throws<UnserialisableValueException>(() => ValueJson.ToNode((1, code), "t")).Path);
        Assert.Equal("t[0][2]", Assert.Throws<UnserialisableValueException>(() => ValueJson.ToNode(Tuple.Create(Tuple.Create(1, 2, code)), "t")).Path);
        var grid = new object?[2, 2] { { 1, 2 }, { code, 4 } };
        Assert.Equal("g[1][0]", Assert.Throws<UnserialisableValueException>(() => ValueJson.ToNode(grid, "g")).Path);
        var d = new Dictionary<string, object?> { ["inner"] = new List<object?> { 0, code } };
        Assert.Equal("m.inner[1]", Assert.Throws<UnserialisableValueException>(() => ValueJson.ToNode(d, "m")).Path);
    }

    public static TheoryData<IDictionary, string> IntegerKeyed() => new()
    {
        { new Dictionary<sbyte, int> { [-5] = 1 }, """{"-5":1}""" },
        { new Dictionary<byte, int> { [200] = 1 }, """{"200":1}""" },
        { new Dictionary<short, int> { [-300] = 1 }, """{"-300":1}""" },
        { new Dictionary<ushort, int> { [60000] = 1 }, """{"60000":1}""" },
        { new Dictionary<int, int> { [-70000] = 1 }, """{"-70000":1}""" },
        { new Dictionary<uint, int> { [4000000000u] = 1 }, """{"4000000000":1}""" },
        { new Dictionary<long, int> { [long.MinValue] = 1 }, """{"-9223372036854775808":1}""" },
        { new Dictionary<ulong, int> { [ulong.MaxValue] = 1 }, """{"18446744073709551615":1}""" },
    };

    [Theory]
    [MemberData(nameof(IntegerKeyed))]
    public void Dictionaries_keyed_by_any_integer_type_are_objects_keyed_by_the_invariant_number(IDictionary value, string json) =>
        Assert.Equal(json, ValueJson.ToNode(value, "m")!.ToJsonString());

    private sealed class WithIndexer
    {
        private readonly double[] _values = [1.5, 2.5];

        public double this[int i] => _values[i];

        public int Count => _values.Length;

        public string Label { set => _ = value; }
    }

    [Fact]
    public void Indexers_and_write_only_properties_are_not_read_as_values()
    {
        Assert.Equal("""{"count":2}""", ValueJson.ToNode(new WithIndexer(), "o")!.ToJsonString());
    }
}
