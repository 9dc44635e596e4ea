using System.Globalization;
using DluxShera.Contracts;

namespace DluxShera.Host.Runs;

/// <summary>A NaN or infinite starting θ is bad input (exit 2), named by parameter, not a failed run at step 0.</summary>
public static class StartingPoint
{
    /// <summary>Throws naming the first non-finite entry of θ₀.</summary>
    /// <param name="objectiveKey">The objective (<c>kind:name</c>).</param>
    /// <param name="map">Its IndexMap.</param>
    /// <param name="theta0">θ₀.</param>
    /// <exception cref="BadInputException">θ₀ has a non-finite entry.</exception>
    public static void Check(string objectiveKey, IndexMap map, ReadOnlySpan<double> theta0)
    {
        for (int i = 0; i < theta0.Length; i++)
        {
            if (double.IsFinite(theta0[i])) continue;
            var entry = map.Entries.FirstOrDefault(e => i >= e.Start && i < e.Stop);
            string name = entry is null ? $"θ[{i}]" : entry.Length == 1 ? entry.Name : $"{entry.Name}[{i - entry.Start}]";
            throw new BadInputException(
                $"{objectiveKey}: the starting point has {theta0[i].ToString(CultureInfo.InvariantCulture)} at θ index {i} ({name}); every starting value must be finite (check the objective's start options).");
        }
    }
}
