using DluxShera.Contracts;

namespace DluxShera.Shera;

/// <summary>
/// Checks the arrays of a data.npz before a fit uses them: a (N, N) image and variance, finite pixels, and a
/// positive finite variance. A bad file is bad input naming the file, the array and the first bad pixel,
/// not a run that fails at step 0 with "loss is NaN".
/// </summary>
public static class DataFileCheck
{
    /// <summary>Returns the array's values, or throws <see cref="ArgumentException"/> naming what is wrong.</summary>
    /// <param name="path">The data file (for the message).</param>
    /// <param name="arrays">Its arrays.</param>
    /// <param name="name"><c>image</c> or <c>variance</c>.</param>
    /// <param name="npix">N, the detector size of the model.</param>
    public static double[] Require(string path, IReadOnlyDictionary<string, NdArray> arrays, string name, int npix)
    {
        if (!arrays.TryGetValue(name, out var a))
        {
            throw new ArgumentException($"{path}: no array '{name}'; expected a ({npix}, {npix}) array (found: {string.Join(", ", arrays.Keys)}).");
        }
        if (a.Shape.Length != 2 || a.Shape[0] != npix || a.Shape[1] != npix)
        {
            throw new ArgumentException($"{path}: array '{name}' has shape {a.ShapeText}; expected ({npix}, {npix}) for this model's detector.");
        }
        var values = a.ToDoubles();
        bool variance = name == "variance";
        for (int i = 0; i < values.Length; i++)
        {
            double v = values[i];
            if (double.IsFinite(v) && (!variance || v > 0)) continue;
            string what = !double.IsFinite(v) ? $"{v.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : $"{v.ToString(System.Globalization.CultureInfo.InvariantCulture)} (a variance must be positive)";
            throw new ArgumentException($"{path}: array '{name}' has {what} at [{i / npix}, {i % npix}] (the first bad pixel); every pixel must be finite{(variance ? " and positive" : "")}.");
        }
        return values;
    }
}
