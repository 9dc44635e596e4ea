namespace DluxShera.Host;

/// <summary>
/// Checks up front that an output directory can be created and written, so an unwritable <c>--out</c>
/// (read-only filesystem, a regular file in the way, no permission) is bad input with the path and the OS
/// reason, not an I/O error halfway through.
/// </summary>
public static class WritableDirectory
{
    /// <summary>Creates <paramref name="directory"/> if needed and proves it writable with a probe file.</summary>
    /// <param name="directory">The directory.</param>
    /// <param name="what">What the user called it, e.g. <c>--out</c> or <c>run directory</c>.</param>
    /// <exception cref="BadInputException">It cannot be created or written.</exception>
    public static void Require(string directory, string what)
    {
        string full = Path.GetFullPath(directory);
        try
        {
            if (File.Exists(full)) throw new IOException("it is a file, not a directory");
            Directory.CreateDirectory(full);
            string probe = Path.Combine(full, $".dluxshera-write-probe.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BadInputException($"{what} {full}: cannot write there ({Reason(e)}).", e);
        }
    }

    /// <summary>The OS reason of an I/O exception without .NET's repetition of the path.</summary>
    /// <param name="e">The exception.</param>
    public static string Reason(Exception e)
    {
        string m = e.Message.ReplaceLineEndings(" ").Trim();
        int cut = m.IndexOf(" : '", StringComparison.Ordinal);
        if (cut > 0) m = m[..cut];
        if (e is UnauthorizedAccessException) m = "permission denied: " + m;
        return m.TrimEnd('.');
    }
}
