using DluxShera.Numpy;

namespace DluxShera.Figures;

/// <summary>
/// Saves a figure under its final name only when it is complete: the renderer writes a temporary named like every
/// other temporary of ours (<c>.name.&lt;pid&gt;@&lt;host&gt;.&lt;guid&gt;.tmp</c>), which is then renamed. A process killed
/// while drawing leaves that temporary, which the next reader of the directory removes (<see cref="StaleTemporaries"/>).
/// </summary>
public static class FigureFile
{
    /// <summary>Writes <paramref name="file"/> through <paramref name="writeTo"/>, which receives the temporary path.</summary>
    /// <param name="file">The figure's final path.</param>
    /// <param name="writeTo">Writes the figure to the path it is given (e.g. <c>plot.SavePng</c>).</param>
    public static void Save(string file, Action<string> writeTo)
    {
        string temp = StaleTemporaries.TemporaryPath(file);
        try
        {
            writeTo(temp);
            File.Move(temp, file, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temp);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Left for the next reader's stale-temporary cleanup.
            }
            throw;
        }
    }
}
