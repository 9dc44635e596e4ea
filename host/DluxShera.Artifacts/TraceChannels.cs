using System.IO.Compression;
using DluxShera.Contracts;
using DluxShera.Numpy;

namespace DluxShera.Artifacts;

/// <summary>
/// The channels of a run's trace opened one at a time as streams positioned at their data: the entries of trace.npz
/// or, for a run that did not finish, the files of trace.partial/ cut to the rows every channel holds by its data.
/// Nothing is loaded; readers stream what they need (<see cref="NpyRowReader"/>).
/// </summary>
internal sealed class TraceChannels : IDisposable
{
    private readonly ZipArchive? _zip;
    private readonly Stream? _file;
    private readonly string? _partial;
    private readonly long _partialRows;

    private TraceChannels(string source, IReadOnlyList<string> names, ZipArchive? zip, Stream? file, string? partial, long partialRows)
    {
        Source = source;
        Names = names;
        _zip = zip;
        _file = file;
        _partial = partial;
        _partialRows = partialRows;
    }

    /// <summary>trace.npz, or trace.partial/.</summary>
    public string Source { get; }

    /// <summary>The channels present.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Opens the trace of <paramref name="runDirectory"/>.</summary>
    /// <exception cref="ArtifactException">Neither trace.npz nor trace.partial/, or a corrupt archive.</exception>
    public static TraceChannels OpenRun(string runDirectory)
    {
        string npz = Path.Combine(runDirectory, RunLayout.Trace);
        if (File.Exists(npz))
        {
            var file = File.OpenRead(npz);
            try
            {
                var zip = new ZipArchive(file, ZipArchiveMode.Read, leaveOpen: true);
                var names = zip.Entries.Select(e => e.FullName.EndsWith(".npy", StringComparison.Ordinal) ? e.FullName[..^4] : e.FullName).ToList();
                return new TraceChannels(npz, names, zip, file, null, 0);
            }
            catch (InvalidDataException e)
            {
                file.Dispose();
                throw new ArtifactException($"{npz}: not a valid .npz (zip) archive, or truncated ({e.Message}).", e);
            }
        }
        string partial = Path.Combine(runDirectory, RunLayout.PartialTraceDirectory);
        if (!Directory.Exists(partial)) throw new ArtifactException($"{npz}: file not found (and no {RunLayout.PartialTraceDirectory}/ to recover from).");
        // The trace channels only: a run that recorded gradients also streams grad_step.npy and grad.npy here, whose
        // K rows are not trace rows (reading them as T-row channels ran past their data).
        return new TraceChannels(partial, StreamingTrace.PresentChannelNames(partial), null, null, partial, StreamingTrace.RowsInPartial(partial));
    }

    /// <summary>Opens one channel, positioned at its first data byte.</summary>
    /// <param name="name">The channel.</param>
    public Channel Open(string name)
    {
        if (_zip is not null)
        {
            var entry = _zip.GetEntry(name + ".npy") ?? _zip.GetEntry(name) ?? throw new ArtifactException($"{Source}: array '{name}' is missing.");
            string source = $"{Source}[{entry.FullName}]";
            var stream = entry.Open();
            try
            {
                var header = NpyHeader.Read(stream, source);
                return new Channel(stream, header, header.Shape.Length == 0 ? 0 : header.Shape[0], source);
            }
            catch (InvalidDataException e)
            {
                stream.Dispose();
                throw new ArtifactException($"{source}: corrupt zip entry ({e.Message}).", e);
            }
            catch
            {
                stream.Dispose();
                throw;
            }
        }
        string path = Path.Combine(_partial!, name + ".npy");
        var file = File.OpenRead(path);
        try
        {
            var header = NpyHeader.Read(file, path);
            file.Position = header.DataOffset;
            // The rows every channel holds by its data, not the header a killed writer may not have rewritten.
            return new Channel(file, header, _partialRows, path);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _zip?.Dispose();
        _file?.Dispose();
    }

    /// <summary>One open channel.</summary>
    /// <param name="Stream">At the first data byte.</param>
    /// <param name="Header">Its .npy header.</param>
    /// <param name="Rows">The rows to read.</param>
    /// <param name="Source">File (and entry) for messages.</param>
    internal sealed record Channel(Stream Stream, NpyHeader Header, long Rows, string Source) : IDisposable
    {
        public void Dispose() => Stream.Dispose();
    }
}
