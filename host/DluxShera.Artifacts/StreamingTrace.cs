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

    public StreamingTrace(string directory, int dimension)
    {
        _directory = directory;
        _dimension = dimension;
        Directory.CreateDirectory(directory);
        _loss = new AppendableNpyFile(Channel("loss"), NpyDtype.Float64);
        _theta = new AppendableNpyFile(Channel("theta"), NpyDtype.Float64, dimension);
        _gradNorm = new AppendableNpyFile(Channel("grad_norm"), NpyDtype.Float64);
        _stepNorm = new AppendableNpyFile(Channel("step_norm"), NpyDtype.Float64);
        _baseLr = new AppendableNpyFile(Channel("base_lr"), NpyDtype.Float64);
        _accepted = new AppendableNpyFile(Channel("accepted"), NpyDtype.Bool);
    }

    public long Rows => _loss.Rows;

    private IEnumerable<(string Name, AppendableNpyFile File)> Channels =>
    [("loss", _loss), ("theta", _theta), ("grad_norm", _gradNorm), ("step_norm", _stepNorm), ("base_lr", _baseLr), ("accepted", _accepted)];

    private string Channel(string name) => Path.Combine(_directory, name + ".npy");

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

    /// <summary>Loads the flushed rows of a partial trace left behind by a crash.</summary>
    public static Dictionary<string, NdArray> LoadPartial(string directory)
    {
        var arrays = new Dictionary<string, NdArray>(StringComparer.Ordinal);
        foreach (string name in (string[])["loss", "theta", "grad_norm", "step_norm", "base_lr", "accepted"])
        {
            string path = Path.Combine(directory, name + ".npy");
            if (File.Exists(path)) arrays[name] = NpyFile.Load(path);
        }
        // Channels are flushed together but not atomically: keep the rows every channel has.
        int rows = arrays.Values.Select(a => a.Shape[0]).DefaultIfEmpty(0).Min();
        foreach (var (name, a) in arrays.ToArray())
        {
            if (a.Shape[0] == rows) continue;
            int per = a.Count / Math.Max(a.Shape[0], 1);
            var data = Array.CreateInstance(a.Data.GetType().GetElementType()!, rows * per);
            Array.Copy(a.Data, data, rows * per);
            arrays[name] = new NdArray(data, [rows, .. a.Shape[1..]]);
        }
        return arrays;
    }

    public void Dispose()
    {
        foreach (var (_, file) in Channels) file.Dispose();
    }

    public void DeleteFiles()
    {
        Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
