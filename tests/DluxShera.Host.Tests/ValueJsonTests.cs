using System.Collections;
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
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void Plain_values_keep_their_structure(object? value, string json) =>
        Assert.Equal(json, ValueJson.ToNode(value, "v")?.ToJsonString() ?? "null");

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
}
