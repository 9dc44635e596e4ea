using System.Diagnostics;
using System.IO.Compression;
using DluxShera.Contracts;
using DluxShera.Numpy;

namespace DluxShera.Artifacts;

/// <summary>
/// Streams trace rows to one growing .npy per channel under <c>trace.partial/</c>, flushed about once a
/// second, so a long run never holds T×D in memory and a crash leaves the flushed rows loadable.
/// <see cref="PackInto"/> then copies the channels into <c>trace.npz</c> without loading them.
/// </summary>
internal sealed class StreamingTrace : IDisposable
{
    private static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(1);
    private readonly string _directory;
    private readonly int _dimension;
    private readonly AppendableNpyFile _loss;
    private readonly AppendableNpyFile _theta;
    private readonly AppendableNpyFile _gradNorm;
    private readonly AppendableNpyFile _stepNorm;
    private readonly AppendableNpyFile _baseLr;
    private readonly AppendableNpyFile _accepted;
    private readonly Stopwatch _sinceFlush = Stopwatch.StartNew();

    private static readonly (string Name, NpyDtype Dtype, bool PerIndex)[] Layout =
    [
        ("loss", NpyDtype.Float64, false), ("theta", NpyDtype.Float64, true), ("grad_norm", NpyDtype.Float64, false),
        ("step_norm", NpyDtype.Float64, false), ("base_lr", NpyDtype.Float64, false), ("accepted", NpyDtype.Bool, false),
    ];

    /// <summary>Opens the empty channels <see cref="CreateEmpty"/> wrote in <paramref name="directory"/>.</summary>
    public StreamingTrace(string directory, int dimension)
    {
        _directory = directory;
        _dimension = dimension;
        AppendableNpyFile Open(string name, NpyDtype dtype, params int[] row) => AppendableNpyFile.OpenEmpty(Channel(directory, name), dtype, row);
        _loss = Open("loss", NpyDtype.Float64);
        _theta = Open("theta", NpyDtype.Float64, dimension);
        _gradNorm = Open("grad_norm", NpyDtype.Float64);
        _stepNorm = Open("step_norm", NpyDtype.Float64);
        _baseLr = Open("base_lr", NpyDtype.Float64);
        _accepted = Open("accepted", NpyDtype.Bool);
    }

    /// <summary>Writes valid zero-row channel files into <paramref name="directory"/> (created).</summary>
    public static void CreateEmpty(string directory, int dimension)
    {
        Directory.CreateDirectory(directory);
        foreach (var (name, dtype, perIndex) in Layout)
        {
            AppendableNpyFile.CreateEmpty(Channel(directory, name), dtype, perIndex ? [dimension] : []);
        }
    }

    public long Rows => _loss.Rows;

    private IEnumerable<(string Name, AppendableNpyFile File)> Channels =>
    [("loss", _loss), ("theta", _theta), ("grad_norm", _gradNorm), ("step_norm", _stepNorm), ("base_lr", _baseLr), ("accepted", _accepted)];

    private static string Channel(string directory, string name) => Path.Combine(directory, name + ".npy");

    public void Append(in TraceRow row)
    {
        if (row.Theta.Length != _dimension)
        {
            throw new ArgumentException($"trace row {row.Step} has θ of length {row.Theta.Length}; the run was created with D = {_dimension}.");
        }
        _loss.Append(row.Loss);
        _theta.Append(row.Theta);
        _gradNorm.Append(row.GradNorm);
        _stepNorm.Append(row.StepNorm);
        _baseLr.Append(row.BaseLr);
        _accepted.Append(row.Accepted);
        if (_sinceFlush.Elapsed >= FlushInterval) Flush();
    }

    public void Flush()
    {
        foreach (var (_, file) in Channels) file.Flush();
        _sinceFlush.Restart();
    }

    /// <summary>Writes every channel into <paramref name="npzPath"/> (atomically), streaming from disk.</summary>
    public void PackInto(string npzPath)
    {
        Flush();
        AtomicFile.Write(npzPath, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            foreach (var (name, file) in Channels) NpzFile.AddNpyFile(zip, name, file.Path);
        });
    }

    /// <summary>
    /// Loads the rows of a partial trace left behind by a crash, a kill or a full disk: the rows every channel
    /// holds by its data (not by headers, which a killed writer may not have rewritten).
    /// </summary>
    public static Dictionary<string, NdArray> LoadPartial(string directory)
    {
        long rows = RowsInPartial(directory);
        return PresentChannels(directory).ToDictionary(c => c.Name, c => NpyFile.LoadRecoveredRows(c.Path, rows), StringComparer.Ordinal);
    }

    /// <summary>The rows every channel of a partial trace holds by its data.</summary>
    public static long RowsInPartial(string directory) =>
        PresentChannels(directory).Select(c => NpyFile.RowsOnDisk(c.Path)).DefaultIfEmpty(0).Min();

    /// <summary>The trace channels present in a partial trace, in file order (loss, theta, then the scalar channels);
    /// other files there (the gradients a run streams beside them) are not trace channels.</summary>
    public static IReadOnlyList<string> PresentChannelNames(string directory) => [.. PresentChannels(directory).Select(c => c.Name)];

    private static List<(string Name, string Path)> PresentChannels(string directory) =>
        Layout.Select(c => (c.Name, Path: Channel(directory, c.Name))).Where(c => File.Exists(c.Path)).ToList();

    public void Dispose()
    {
        foreach (var (_, file) in Channels) file.Dispose();
    }

    /// <summary>Closes the channels after a failed write without flushing again (their data is what readers
    /// recover; headers may lag, which recovery ignores).</summary>
    public void Abandon()
    {
        foreach (var (_, file) in Channels) file.Abandon();
    }

    public void DeleteFiles()
    {
        Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
