using System.Security.Cryptography;

namespace DluxShera.Artifacts;

/// <summary>Generates and validates run ids.</summary>
public static class RunIds
{
    /// <summary>A sortable UTC timestamp with a short random suffix, e.g. <c>20261127T124501Z-3fa9c2</c>.</summary>
    /// <param name="now">The time (UTC).</param>
    public static string Generate(DateTimeOffset now) =>
        $"{now.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";

    /// <summary>
    /// An ISO 8601 UTC time with microseconds and a numeric offset, e.g. <c>2026-11-27T12:45:01.123456+00:00</c>:
    /// Python's <c>datetime.fromisoformat</c> reads it on every version (3.7–3.10 reject 7 fractional digits and "Z").
    /// </summary>
    /// <param name="time">The time.</param>
    public static string Timestamp(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'ffffff'+00:00'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Returns null when <paramref name="id"/> is a valid run id, otherwise why it is not.</summary>
    /// <param name="id">A user-given run id.</param>
    public static string? Problem(string id)
    {
        if (string.IsNullOrWhiteSpace(id)) return "it is empty";
        if (id.Length > 200) return "it is longer than 200 characters";
        if (id.Contains('/') || id.Contains('\\')) return "it contains a path separator";
        if (id == "." || id.Contains("..")) return "it contains '..' or is '.'";
        if (id.Any(char.IsControl)) return "it contains a control character";
        if (id != id.Trim()) return "it starts or ends with white space";
        return null;
    }
}
