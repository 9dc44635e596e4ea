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

    /// <summary>The rule, as messages state it.</summary>
    public const string Rule = "A run id uses only ASCII letters, digits, '.', '_' and '-', starts with a letter or digit, and has at most 200 characters.";

    /// <summary>Returns null when <paramref name="id"/> is a valid run id (<see cref="Rule"/>), otherwise why it is not.</summary>
    /// <param name="id">A user-given run id.</param>
    public static string? Problem(string id)
    {
        if (string.IsNullOrEmpty(id)) return "it is empty";
        if (id.Length > 200) return "it is longer than 200 characters";
        if (id.FirstOrDefault(c => !IsAllowed(c)) is var bad && bad != default)
        {
            return char.IsControl(bad) || char.IsWhiteSpace(bad) ? $"it contains the character U+{(int)bad:X4}" : $"it contains '{bad}'";
        }
        if (!char.IsAsciiLetterOrDigit(id[0])) return $"it starts with '{id[0]}'";
        return null;
    }

    private static bool IsAllowed(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-';
}
