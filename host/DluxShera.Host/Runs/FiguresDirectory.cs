namespace DluxShera.Host.Runs;

/// <summary>
/// Replaces a run's <c>figures/</c> as a whole: figures are drawn into a hidden staging directory beside it, which
/// then takes the place of the old one. A failure while drawing leaves the old figures untouched, and figures of an
/// earlier recipe never linger next to new ones.
/// </summary>
public static class FiguresDirectory
{
    /// <summary>Draws with <paramref name="render"/> into a staging directory, then swaps it in as <paramref name="figures"/>.</summary>
    /// <param name="figures">The final directory, e.g. <c>&lt;run&gt;/figures</c>.</param>
    /// <param name="render">Writes figures into the directory it is given and returns the files written.</param>
    /// <returns>The files written, under their final paths.</returns>
    public static IReadOnlyList<string> Replace(string figures, Func<string, IEnumerable<string>> render)
    {
        figures = Path.GetFullPath(figures);
        string parent = Path.GetDirectoryName(figures)!;
        string name = Path.GetFileName(figures);
        // Named like every temporary of ours (.name.<pid>@<host>.<guid>): a process killed while drawing leaves a
        // directory that the next reader of the run removes (StaleTemporaries).
        string suffix = $"{DluxShera.Numpy.StaleTemporaries.Owner}.{Guid.NewGuid():N}";
        string staging = Path.Combine(parent, $".{name}.new.{suffix}");
        string retired = Path.Combine(parent, $".{name}.old.{suffix}");
        Directory.CreateDirectory(staging);
        List<string> files;
        try
        {
            files = render(staging).Select(f => Path.Combine(figures, Path.GetRelativePath(staging, f))).ToList();
        }
        catch
        {
            Directory.Delete(staging, recursive: true);
            throw;
        }
        // Two renames (POSIX cannot rename a directory onto a non-empty one): between them figures/ is briefly
        // absent, never a mix of old and new files.
        bool hadOld = Directory.Exists(figures);
        if (hadOld) Directory.Move(figures, retired);
        Directory.Move(staging, figures);
        if (hadOld) Directory.Delete(retired, recursive: true);
        return files;
    }
}
