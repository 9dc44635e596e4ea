using System.Text;
using System.Text.Json.Nodes;
using DluxShera.Artifacts;
using DluxShera.Contracts;
using DluxShera.Figures;
using DluxShera.Host.Components;
using DluxShera.Numpy;
using DluxShera.Theta;

namespace DluxShera.Host.Runs;

/// <summary>
/// Builds a run's signals from its artifacts alone (trace.npz + meta.json) with a <c>signals:</c> recipe, writes
/// <c>signals.npz</c> (one array per signal, units in the names, plus a JSON metadata entry) and the figures.
/// Used by <c>run</c> (by default) and by <c>plot</c>.
/// </summary>
public static class SignalProducer
{
    /// <summary>The metadata entry of signals.npz: UTF-8 JSON bytes (<c>bytes(a).decode()</c> in numpy).</summary>
    public const string MetadataEntry = "_signals_meta_json";

    /// <summary>The last value of each residual-like signal (scalar, or per component up to two), for the console.</summary>
    /// <param name="set">The signals.</param>
    /// <param name="o">Output.</param>
    public static void PrintFinalValues(SignalSet set, TextWriter o)
    {
        var rows = set.Signals.Where(s => s.Name.Contains("error", StringComparison.Ordinal) || s.Name.EndsWith("_rms_nm", StringComparison.Ordinal)).ToList();
        if (rows.Count == 0) return;
        o.WriteLine();
        o.WriteLine($"{"final residual signal",-36} {"value",28}  unit");
        foreach (var s in rows)
        {
            int t = s.Shape[0], k = s.Shape.Length > 1 ? s.Shape[1] : 1;
            if (t == 0) continue;
            var last = s.Values.AsSpan((t - 1) * k, k).ToArray();
            string value = k <= 2
                ? string.Join(", ", last.Select(v => v.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)))
                : $"RMS {FigureRenderer.Summarise(last, SummaryStatistic.Rms).ToString("G4", System.Globalization.CultureInfo.InvariantCulture)}";
            o.WriteLine($"{s.Name,-36} {value,28}  {s.Unit}");
        }
    }

    // The decoder z → primitive values, rebuilt from meta.json and theta_map.npz alone (identity for primitive runs), with
    // the objective's derived quantities the run recorded for its trace rows (derived.npz).
    private static ThetaDecoder DecoderOf(FilesystemRunReader reader, JsonObject meta, TraceSample sample)
    {
        try
        {
            var chain = ThetaMapArtifacts.Load(meta, reader.LoadArrays(ThetaMapArtifacts.FileName), reader.RunDirectory);
            return new ThetaDecoder(chain, DerivedValues.Load(reader, chain, sample));
        }
        catch (ThetaMapException e)
        {
            throw new BadInputException(e.Message, e);
        }
    }

    // Correlation (fisher.npz) and eigenmode figures with primitive parameter names: the modes are the run's eigen θ map
    // when it has one next to the objective, else the eigendecomposition of the Hessian at the best point.
    private static IReadOnlyList<string> RenderCurvature(FilesystemRunReader reader, ThetaDecoder decoder, string directory)
    {
        var primitive = decoder.PrimitiveIndexMap;
        var names = primitive.Entries.SelectMany(e => Enumerable.Range(0, e.Length).Select(i => e.Length == 1 ? e.Name : $"{e.Name}[{i}]")).ToList();
        var hessian = reader.LoadArrays(RunLayout.Fisher)?["hessian"].ToDoubles();
        if (hessian is not null && hessian.Length != names.Count * names.Count) hessian = null;
        EigenModes? modes = null;
        if (decoder.Chain.Stages.FirstOrDefault() is EigenThetaMap eigen)
        {
            modes = new EigenModes(eigen.Eigenvalues.Take(eigen.ThetaDimension).ToArray(), eigen.Basis.ToArray(), "Fisher at θref, eigen θ map");
        }
        else if (hessian is not null)
        {
            // Eigenvalues as they are (an indefinite Hessian shows its negative ones by |λ|); vectors with the eigen map's sign convention.
            var evd = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfRowMajor(names.Count, names.Count, hessian).Evd(MathNet.Numerics.LinearAlgebra.Symmetricity.Symmetric);
            int d = names.Count;
            var order = Enumerable.Range(0, d).OrderByDescending(i => evd.EigenValues[i].Real).ToArray();
            var vectors = new double[d * d];
            for (int k = 0; k < d; k++)
            {
                var column = evd.EigenVectors.Column(order[k]);
                double sign = column[column.AbsoluteMaximumIndex()] < 0 ? -1 : 1;
                for (int i = 0; i < d; i++) vectors[i * d + k] = sign * column[i];
            }
            modes = new EigenModes(order.Select(i => evd.EigenValues[i].Real).ToArray(), vectors, "Hessian at the best point");
        }
        return modes is null ? [] : CurvatureFigures.Render(hessian, names, modes, directory);
    }

    // The true primitive parameters recorded by the run (meta.theta.truth, from the objective's ITruthProvider).
    private static double[]? TruthOf(JsonObject meta) =>
        meta["theta"]?["truth"] is JsonArray a ? a.Select(v => v?.GetValue<double>() ?? double.NaN).ToArray() : null;

    /// <summary>Produces signals and figures for <paramref name="runDirectory"/>.</summary>
    /// <param name="catalog">Registered components (the recipes).</param>
    /// <param name="runDirectory">The run directory.</param>
    /// <param name="recipe">A recipe (name and options), or null for the one the run recorded (see <see cref="RecordedRecipe"/>).</param>
    /// <param name="format"><c>png</c> or <c>svg</c>.</param>
    /// <param name="outDirectory">Where signals.npz and figures/ go instead of the run directory (<c>plot --out</c>), or null.</param>
    /// <param name="renderFigures">False writes signals.npz only (experiments keep ensembles small this way).</param>
    /// <returns>The files written and the signals.</returns>
    /// <param name="maxRows">At most this many trace rows in the signals and figures (<c>plot --max-rows</c>); null:
    /// every row up to <see cref="TraceSample.DefaultRowsFor"/> (100,000 rows or 256 MiB), else a decimated sample.</param>
    public static (IReadOnlyList<string> Files, SignalSet Signals) Produce(ComponentCatalog catalog, string runDirectory, ComponentReference? recipe, string format, string? outDirectory = null,
        bool renderFigures = true, long? maxRows = null)
    {
        if (format is not "png" and not "svg") throw new BadInputException($"--format '{format}': expected png or svg.");
        if (maxRows is < 3) throw new BadInputException($"--max-rows {maxRows}: expected at least 3 (the first, the lowest-loss and the last row are always kept).");
        var reader = new FilesystemRunReader(runDirectory);
        string target = outDirectory is null ? reader.RunDirectory : Path.GetFullPath(outDirectory);
        WritableDirectory.Require(target, outDirectory is null ? "run directory" : "--out");
        var meta = reader.LoadMeta();
        // Streamed and, for a trace too large to hold, decimated: a trace of any size can be plotted.
        var sample = reader.LoadTraceSample(maxRows);
        var trace = sample.Trace;
        var chosen = recipe ?? RecordedRecipe(meta, reader) ?? DefaultRecipe(catalog, meta);
        CreatedComponent<ISignalRecipe> built;
        try
        {
            built = catalog.CreateWithOptions<ISignalRecipe>(ComponentKinds.Signals, chosen, "run.signals");
        }
        catch (ComponentOptionsException e)
        {
            throw new BadInputException(e.Message, e);
        }
        var decoder = DecoderOf(reader, meta, sample);
        SignalSet set;
        try
        {
            set = built.Component.Build(new SignalContext { Trace = trace, Meta = meta, Decoder = decoder, Truth = TruthOf(meta) });
        }
        catch (ArgumentException e)
        {
            throw new BadInputException($"signals:{chosen.Name}: {e.Message}", e);
        }
        var record = new JsonObject { ["recipe"] = chosen.Name, ["options"] = built.EffectiveOptions.DeepClone() };

        var arrays = new Dictionary<string, NdArray>();
        foreach (var s in set.Signals) arrays[ArrayName(s.Name)] = new NdArray(s.Values, s.Shape);
        var description = new JsonObject
        {
            ["recipe"] = chosen.Name,
            ["options"] = built.EffectiveOptions.DeepClone(),
            ["signals"] = new JsonArray(set.Signals.Select(s => (JsonNode)new JsonObject
            {
                ["name"] = ArrayName(s.Name),
                ["label"] = s.Name,
                ["unit"] = s.Unit,
                ["shape"] = new JsonArray(s.Shape.Select(d => (JsonNode)d).ToArray()),
                ["truth"] = s.Truth is null ? null : new JsonArray(s.Truth.Select(JsonNumbers.Number).ToArray()),
            }).ToArray()),
            ["panels"] = new JsonArray(set.Panels.Select(p => (JsonNode)new JsonObject
            {
                ["title"] = p.Title,
                ["signals"] = new JsonArray(p.Signals.Select(x => (JsonNode)ArrayName(x)).ToArray()),
                ["mode"] = p.Mode.ToString().ToLowerInvariant(),
                ["statistic"] = System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Statistic.ToString()),
                ["top_n"] = p.TopN,
                ["log_y"] = p.LogY,
            }).ToArray()),
            // Row i of every signal is trace row rows[i]; rows is null when every trace row is there.
            ["trace_rows"] = new JsonObject
            {
                ["total"] = sample.TotalRows,
                ["kept"] = sample.Rows.Length,
                ["rows"] = sample.IsComplete ? null : new JsonArray(sample.Rows.Select(r => (JsonNode)r).ToArray()),
            },
        };
        byte[] described = Encoding.UTF8.GetBytes(description.ToJsonString());
        arrays[MetadataEntry] = new NdArray(described, described.Length);
        string signalsFile = Path.Combine(target, RunLayout.Signals);
        var images = reader.LoadArrays(RunLayout.Images);
        var files = new List<string>();
        try
        {
            NpzFile.Save(signalsFile, arrays);
            files.Add(signalsFile);
            if (!renderFigures) return (files, set);
            files.AddRange(FiguresDirectory.Replace(Path.Combine(target, RunLayout.Figures), directory =>
            {
                var steps = sample.IsComplete ? null : sample.Rows.Select(r => (double)r).ToArray();
                var drawn = new List<string>(FigureRenderer.RenderPanels(set, directory, format, steps: steps));
                if (images is not null)
                {
                    var data = images["data"];
                    string comparison = Path.Combine(directory, "image_comparison.png");
                    ImageComparison.Render(data.ToDoubles(), images["model"].ToDoubles(), images["variance"].ToDoubles(), data.Shape[0], data.Shape[1],
                        trace.Dimension, comparison, ImageUnit(images));
                    drawn.Add(comparison);
                }
                drawn.AddRange(RenderCurvature(reader, decoder, directory));
                if (Sampling.PosteriorFigureInput.Load(reader, meta) is { } posterior) drawn.AddRange(PosteriorFigures.Render(posterior, directory));
                return drawn;
            }));
        }
        finally
        {
            // Whatever was written (signals.npz even when a figure failed) is in meta's manifest and summary's flags,
            // with the recipe that made it.
            if (outDirectory is null && files.Count > 0)
            {
                RunArtifacts.RecordAddedArtifacts(reader.RunDirectory, new Dictionary<string, JsonNode?> { [MetaKey] = record });
            }
        }
        return (files, set);
    }

    /// <summary>A <c>--recipe</c> value: a recipe name, or a JSON object <c>{"name", "options"}</c>; null stays null.</summary>
    /// <param name="text">The option's text.</param>
    /// <exception cref="BadInputException">Malformed JSON or keys other than name, preset and options.</exception>
    public static ComponentReference? ParseRecipe(string? text)
    {
        if (text is null) return null;
        if (!text.TrimStart().StartsWith('{')) return new ComponentReference { Name = text };
        try
        {
            return (ComponentReference)StrictJsonBinder.Bind(typeof(ComponentReference), JsonNode.Parse(text), "--recipe");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new BadInputException($"--recipe '{text}': malformed JSON ({e.Message.Split(" Path:")[0]}); expected a recipe name or {{\"name\": …, \"options\": {{…}}}}.", e);
        }
        catch (ComponentOptionsException e)
        {
            throw new BadInputException(e.Message, e);
        }
    }

    /// <summary>meta.json's record of the recipe that made signals.npz: <c>{"recipe", "options"}</c>.</summary>
    public const string MetaKey = "signals";

    /// <summary>
    /// The recipe a run asked for or was plotted with, so <c>plot</c> without <c>--recipe</c> redraws what the run
    /// drew: meta.json's <c>signals</c> record, else the spec's <c>run.signals</c>, else the recipe named inside
    /// signals.npz; null when none says.
    /// </summary>
    /// <param name="meta">meta.json.</param>
    /// <param name="reader">The run (for signals.npz).</param>
    public static ComponentReference? RecordedRecipe(JsonObject meta, FilesystemRunReader reader)
    {
        if (meta[MetaKey] is JsonObject record && record["recipe"]?.GetValue<string>() is { } name)
        {
            return new ComponentReference { Name = name, Options = record["options"] as JsonObject };
        }
        if (meta["run"]?["spec"]?["run"]?["signals"] is { } spec && spec is not JsonObject { Count: 0 })
        {
            return spec.GetValueKind() == System.Text.Json.JsonValueKind.String
                ? new ComponentReference { Name = spec.GetValue<string>() }
                : (ComponentReference)StrictJsonBinder.Bind(typeof(ComponentReference), spec, "meta.json: run.spec.run.signals");
        }
        string file = Path.Combine(reader.RunDirectory, RunLayout.Signals);
        if (!File.Exists(file)) return null;
        using var npz = NpzFile.Load(file).GetValueOrDefault(MetadataEntry)?.Data is byte[] bytes
            ? System.Text.Json.JsonDocument.Parse(bytes)
            : null;
        return npz?.RootElement.TryGetProperty("recipe", out var recipe) == true && recipe.ValueKind == System.Text.Json.JsonValueKind.String
            ? new ComponentReference { Name = recipe.GetString()! }
            : null;
    }

    private static ComponentReference DefaultRecipe(ComponentCatalog catalog, JsonObject meta)
    {
        string objective = meta["objective"]?["name"]?.GetValue<string>() ?? "";
        return new ComponentReference
        {
            Name = objective.StartsWith("shera.", StringComparison.Ordinal) && catalog.Has(ComponentKinds.Signals, "shera") ? "shera" : "generic",
        };
    }

    // images.npz's metadata entry names the unit of data and model (IImageObjective.ImageUnit); older runs: photons.
    private static string ImageUnit(IReadOnlyDictionary<string, NdArray> images)
    {
        if (images.GetValueOrDefault(ImagesMetadataEntry)?.Data is not byte[] bytes) return "photons";
        using var doc = System.Text.Json.JsonDocument.Parse(bytes);
        return doc.RootElement.TryGetProperty("unit", out var unit) && unit.ValueKind == System.Text.Json.JsonValueKind.String ? unit.GetString()! : "photons";
    }

    /// <summary>The metadata entry of images.npz: UTF-8 JSON <c>{"unit"}</c>.</summary>
    public const string ImagesMetadataEntry = "_images_meta_json";

    /// <summary>A signal name as an .npz array name: path separators and control characters become '_'
    /// (IndexMap names are free text; the original is kept as the signal's <c>label</c>).</summary>
    /// <param name="signal">The signal name.</param>
    public static string ArrayName(string signal)
    {
        if (string.IsNullOrEmpty(signal)) return "_";
        var chars = signal.Select(c => c is '/' or '\\' || char.IsControl(c) ? '_' : c).ToArray();
        string name = new(chars);
        return name == MetadataEntry ? name + "_" : name;
    }
}
