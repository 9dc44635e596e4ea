using System.IO.Compression;
using DluxShera.Contracts;

namespace DluxShera.Numpy;

/// <summary>
/// Reads and writes <c>.npz</c> archives: a zip of <c>name.npy</c> entries, stored (<c>np.savez</c>)
/// or deflated (<c>np.savez_compressed</c>).
/// </summary>
public static class NpzFile
{
    /// <summary>Writes an .npz atomically (temp file + rename).</summary>
    /// <param name="path">The file path.</param>
    /// <param name="arrays">Named arrays, in the order they should appear.</param>
    /// <param name="compressed">Deflate the entries (like <c>np.savez_compressed</c>).</param>
    public static void Save(string path, IEnumerable<KeyValuePair<string, NdArray>> arrays, bool compressed = false) =>
        AtomicFile.Write(path, stream => Write(stream, arrays, compressed));

    /// <summary>Writes an .npz archive to <paramref name="stream"/>.</summary>
    /// <param name="stream">The destination.</param>
    /// <param name="arrays">Named arrays.</param>
    /// <param name="compressed">Deflate the entries.</param>
    public static void Write(Stream stream, IEnumerable<KeyValuePair<string, NdArray>> arrays, bool compressed = false)
    {
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var (name, array) in arrays)
        {
            var entry = zip.CreateEntry(EntryName(name), compressed ? CompressionLevel.Optimal : CompressionLevel.NoCompression);
            using var entryStream = entry.Open();
            NpyFile.Write(entryStream, array);
        }
    }

    /// <summary>Adds one entry whose .npy content is copied from an existing .npy file (no whole-array buffer).</summary>
    /// <param name="zip">An archive in create mode.</param>
    /// <param name="name">The array name.</param>
    /// <param name="npyPath">A complete .npy file.</param>
    public static void AddNpyFile(ZipArchive zip, string name, string npyPath)
    {
        var entry = zip.CreateEntry(EntryName(name), CompressionLevel.NoCompression);
        using var entryStream = entry.Open();
        using var source = File.OpenRead(npyPath);
        source.CopyTo(entryStream, 1 << 20);
    }

    /// <summary>Loads every array of an .npz file, checking each entry against its CRC-32 as numpy does.</summary>
    /// <param name="path">The file path.</param>
    /// <exception cref="ArtifactException">Missing, truncated or corrupt file (a CRC-32 mismatch included); the message names it.</exception>
    public static Dictionary<string, NdArray> Load(string path)
    {
        if (!File.Exists(path)) throw new ArtifactException($"{path}: file not found.");
        using var stream = File.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>Reads every array of an .npz archive.</summary>
    /// <param name="stream">The archive.</param>
    /// <param name="source">File name for error messages.</param>
    public static Dictionary<string, NdArray> Read(Stream stream, string source)
    {
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw new ArtifactException($"{source}: not a valid .npz (zip) archive, or truncated ({e.Message}).", e);
        }
        using (zip)
        {
            var result = new Dictionary<string, NdArray>(StringComparer.Ordinal);
            foreach (var entry in zip.Entries)
            {
                string name = entry.FullName.EndsWith(".npy", StringComparison.Ordinal) ? entry.FullName[..^4] : entry.FullName;
                try
                {
                    using var entryStream = new Crc32CheckedStream(entry.Open());
                    result[name] = NpyFile.Read(entryStream, $"{source}[{entry.FullName}]");
                    entryStream.VerifyToEnd(entry.Crc32, $"{source}[{entry.FullName}]");
                }
                catch (InvalidDataException e)
                {
                    throw new ArtifactException($"{source}[{entry.FullName}]: corrupt zip entry ({e.Message}).", e);
                }
            }
            return result;
        }
    }

    /// <summary>The .npy headers of every entry (dtype and shape) without holding any data; with
    /// <paramref name="verifyData"/> every entry's data is streamed through (1 MiB at a time) and its length and CRC-32 checked.</summary>
    /// <param name="path">The file path.</param>
    /// <param name="verifyData">Read the data too, to detect truncation and corruption.</param>
    public static Dictionary<string, NpyHeader> ReadHeaders(string path, bool verifyData = false)
    {
        if (!File.Exists(path)) throw new ArtifactException($"{path}: file not found.");
        using var stream = File.OpenRead(path);
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw new ArtifactException($"{path}: not a valid .npz (zip) archive, or truncated ({e.Message}).", e);
        }
        using (zip)
        {
            var result = new Dictionary<string, NpyHeader>(StringComparer.Ordinal);
            foreach (var entry in zip.Entries)
            {
                string name = entry.FullName.EndsWith(".npy", StringComparison.Ordinal) ? entry.FullName[..^4] : entry.FullName;
                try
                {
                    using var entryStream = new Crc32CheckedStream(entry.Open());
                    var header = NpyHeader.Read(entryStream, $"{path}[{entry.FullName}]");
                    if (verifyData)
                    {
                        VerifyLength(entryStream, header, $"{path}[{entry.FullName}]");
                        entryStream.VerifyToEnd(entry.Crc32, $"{path}[{entry.FullName}]");
                    }
                    result[name] = header;
                }
                catch (InvalidDataException e)
                {
                    throw new ArtifactException($"{path}[{entry.FullName}]: corrupt zip entry ({e.Message}).", e);
                }
            }
            return result;
        }
    }

    private static void VerifyLength(Stream data, NpyHeader header, string source)
    {
        long expected = header.Count * NpyHeader.ItemSize(header.Dtype), found = 0;
        var buffer = new byte[1 << 20];
        int n;
        while ((n = data.Read(buffer)) > 0) found += n;
        if (found < expected)
        {
            throw new ArtifactException($"{source}: truncated .npy data: shape {NdArray.FormatShape(header.Shape)} of {NpyHeader.Descr(header.Dtype)} needs {expected} bytes, found {found}.");
        }
    }

    private static string EntryName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('/') || name.Contains('\\'))
        {
            throw new ArgumentException($"Invalid array name '{name}' for an .npz entry (no empty names or path separators).");
        }
        return name + ".npy";
    }
}
