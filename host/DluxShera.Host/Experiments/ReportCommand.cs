using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DluxShera.Numpy;

namespace DluxShera.Host.Experiments;

/// <summary>
/// <c>dluxshera experiment report &lt;dir&gt;</c>: one self-contained HTML page (inline CSS and JavaScript, the
/// ensemble figures embedded as SVG, nothing fetched from the network) with the experiment's manifest, the
/// run table (sortable by any column, filterable by status, both also from the URL:
/// <c>report.html#status=failed</c>, <c>report.html#sort=-loss_best</c>, joined with <c>&amp;</c>),
/// the ensemble statistics and figures, and links to each run's own figures. It aggregates first, so the
/// page and table.csv/ensemble.json always agree.
/// </summary>
public static class ReportCommand
{
    // Columns shown first when present; the rest of the table (point values, losses) follows.
    private static readonly string[] Leading = ["run_dir", "status", "stop_reason", "num_steps_completed", "loss_best", "runtime_total_s"];

    /// <summary>Writes the report.</summary>
    /// <param name="experimentDirectory">The experiment directory.</param>
    /// <param name="output">The HTML file, or null for <c>&lt;dir&gt;/report.html</c>.</param>
    /// <param name="o">Output.</param>
    public static int Execute(string experimentDirectory, string? output, TextWriter o)
    {
        var layout = new ExperimentLayout(Path.GetFullPath(experimentDirectory));
        AggregateCommand.Execute(layout.Directory, null, TextWriter.Null);
        string file = Path.GetFullPath(output ?? Path.Combine(layout.Directory, "report.html"));
        AtomicFile.WriteText(file, Build(layout, Path.GetDirectoryName(file)!));
        o.WriteLine(file);
        return ExitCodes.Ok;
    }

    /// <summary>The HTML page.</summary>
    /// <param name="layout">The experiment.</param>
    /// <param name="pageDirectory">Where the page will live (links to run figures are relative to it).</param>
    public static string Build(ExperimentLayout layout, string pageDirectory)
    {
        var manifest = ReadJson(layout.Manifest);
        var ensemble = ReadJson(Path.Combine(layout.Directory, "ensemble.json"));
        var table = ExperimentTable.Build(layout.Directory, []);
        string name = manifest?["name"]?.GetValue<string>() ?? Path.GetFileName(layout.Directory);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        html.Append($"<title>{E(name)} · dluxshera experiment</title><style>{Css}</style></head><body>\n");
        html.Append($"<h1>{E(name)}</h1>\n");
        if (manifest?["description"]?.GetValue<string>() is { } description) html.Append($"<p class=\"description\">{E(description)}</p>\n");
        html.Append("<dl class=\"manifest\">");
        foreach (var (key, label) in new[] { ("kind", "kind"), ("point_count", "points"), ("created_at", "created"), ("base_spec_source", "base spec"), ("base_spec_sha256", "base spec sha256"), ("plan_sha256", "plan sha256") })
        {
            if (manifest?[key] is { } v) html.Append($"<dt>{label}</dt><dd>{E(Text(v))}</dd>");
        }
        if (manifest?["workbench"] is JsonObject workbench) html.Append($"<dt>workbench</dt><dd>{E(string.Join(", ", workbench.Select(kv => $"{kv.Key} {Text(kv.Value)}")))}</dd>");
        html.Append("</dl>\n");

        var statuses = table.Rows.Select(r => Text(r.GetValueOrDefault("status"))).ToList();
        html.Append("<h2>Runs</h2>\n<p class=\"counts\">");
        html.Append(string.Join(" · ", statuses.GroupBy(s => s).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"<span class=\"status-{E(g.Key)}\">{g.Count()} {E(g.Key)}</span>")));
        html.Append("</p>\n<p><label>status <select id=\"status-filter\"><option value=\"\">all</option>");
        foreach (string s in statuses.Distinct().Order(StringComparer.Ordinal)) html.Append($"<option value=\"{E(s)}\">{E(s)}</option>");
        html.Append("</select></label> <span id=\"shown\"></span> <span class=\"hint\">(click a column header to sort)</span></p>\n");
        AppendRunTable(html, layout, table, pageDirectory);

        html.Append("<h2>Ensemble</h2>\n");
        if (ensemble?["parameters"] is JsonArray parameters)
        {
            html.Append($"<p>{E(ensemble["pull_definition"]?.GetValue<string>() ?? "")}; {E(Text(ensemble["runs_used"]))} ok runs used.</p>\n");
            if (ensemble["pooled_pull"] is JsonObject pooled)
            {
                html.Append($"<p class=\"pooled\">pooled pulls: n = {E(Text(pooled["n"]))}, mean {N(pooled["mean"])} ± {N(pooled["mean_se"])}, scatter {N(pooled["std"])} ± {N(pooled["std_se"])}, KS p = {N(pooled["ks_pvalue"])} (N(0, 1) expected: mean 0, scatter 1)</p>\n");
            }
            html.Append("<table class=\"ensemble\"><thead><tr><th>parameter</th><th>n</th><th>error mean</th><th>error std</th><th>median σ</th><th>rms error / σ</th><th>pull mean</th><th>pull scatter</th><th>KS p</th><th>scatter χ² p</th></tr></thead><tbody>\n");
            foreach (var p in parameters.OfType<JsonObject>())
            {
                var pull = p["pull"];
                html.Append($"<tr><td>{E(Text(p["name"]))}</td><td>{E(Text(p["n"]))}</td><td>{N(p["error_mean"])}</td><td>{N(p["error_std"])}</td><td>{N(p["sigma_median"])}</td><td>{N(p["rms_error_over_median_sigma"])}</td>"
                    + $"<td>{N(pull?["mean"])}</td><td>{N(pull?["std"])}</td><td>{N(pull?["ks_pvalue"])}</td><td>{N(pull?["std_pvalue"])}</td></tr>\n");
            }
            html.Append("</tbody></table>\n");
        }
        else
        {
            html.Append("<p>No ensemble statistics: no ok run reports fitted parameters yet.</p>\n");
        }
        string figures = Path.Combine(layout.Directory, "figures");
        if (Directory.Exists(figures))
        {
            foreach (string svg in Directory.GetFiles(figures, "*.svg").Order(StringComparer.Ordinal))
            {
                html.Append($"<figure class=\"ensemble-figure\" data-file=\"{E(Path.GetFileName(svg))}\">{InlineSvg(svg)}<figcaption>{E(Path.GetFileName(svg))}</figcaption></figure>\n");
            }
        }
        html.Append($"<footer>Written by dluxshera experiment report at {DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC from {E(layout.Directory)}. Self-contained: no network access needed.</footer>\n");
        html.Append($"<script>{Script}</script>\n</body></html>\n");
        return html.ToString();
    }

    private static void AppendRunTable(StringBuilder html, ExperimentLayout layout, ExperimentTable table, string pageDirectory)
    {
        var columns = Leading.Where(table.Columns.Contains)
            .Concat(table.Columns.Where(c => c.StartsWith("point.", StringComparison.Ordinal) && c != "point.index"))
            .Concat(new[] { "loss_init", "loss_final", "message" }.Where(table.Columns.Contains)).ToList();
        html.Append("<table id=\"runs\"><thead><tr>");
        foreach (string c in columns) html.Append($"<th data-column=\"{E(c)}\">{E(c)}</th>");
        html.Append("<th>figures</th></tr></thead><tbody>\n");
        foreach (var row in table.Rows)
        {
            string status = Text(row.GetValueOrDefault("status"));
            html.Append($"<tr data-status=\"{E(status)}\">");
            foreach (string c in columns)
            {
                var value = row.GetValueOrDefault(c);
                bool numeric = value is JsonValue v && v.GetValueKind() == JsonValueKind.Number;
                html.Append(numeric ? $"<td class=\"num\" data-value=\"{E(Text(value))}\">{N(value)}</td>" : $"<td>{E(Text(value))}</td>");
            }
            string runFigures = Path.Combine(layout.RunDirectory(Text(row.GetValueOrDefault("run_dir"))), "figures");
            var links = Directory.Exists(runFigures)
                ? Directory.GetFiles(runFigures).Where(f => f.EndsWith(".png", StringComparison.Ordinal) || f.EndsWith(".svg", StringComparison.Ordinal)).Order(StringComparer.Ordinal)
                    .Select(f => $"<a href=\"{E(Path.GetRelativePath(pageDirectory, f).Replace('\\', '/'))}\">{E(Path.GetFileNameWithoutExtension(f))}</a>")
                : Enumerable.Empty<string>();
            html.Append($"<td class=\"links\">{string.Join(" ", links)}</td></tr>\n");
        }
        html.Append("</tbody></table>\n");
    }

    private static string InlineSvg(string file)
    {
        string svg = File.ReadAllText(file);
        int start = svg.IndexOf("<svg", StringComparison.Ordinal);
        return start >= 0 ? svg[start..] : "";
    }

    private static JsonNode? ReadJson(string path)
    {
        try
        {
            return File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path)) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Text(JsonNode? v) => v is null ? "" : v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString();

    private static string N(JsonNode? v) => v is JsonValue x && x.TryGetValue<double>(out double d)
        ? (d == Math.Round(d) && Math.Abs(d) < 1e9 ? d.ToString("0", CultureInfo.InvariantCulture) : d.ToString("G5", CultureInfo.InvariantCulture))
        : E(Text(v));

    private static string E(string s) => WebUtility.HtmlEncode(s);

    private const string Css = """
        body { font-family: system-ui, sans-serif; margin: 1.5em 2em; color: #222; }
        h1 { margin-bottom: 0.2em; } .description { color: #555; margin-top: 0; }
        dl.manifest { display: grid; grid-template-columns: max-content auto; gap: 0.15em 1em; font-size: 0.9em; }
        dl.manifest dt { color: #666; } dl.manifest dd { margin: 0; font-family: ui-monospace, monospace; word-break: break-all; }
        table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1.5em; }
        th, td { border: 1px solid #ddd; padding: 0.25em 0.5em; text-align: left; }
        th { background: #f3f3f3; cursor: pointer; user-select: none; position: sticky; top: 0; }
        th.sorted-asc::after { content: " ▲"; } th.sorted-desc::after { content: " ▼"; }
        td.num { text-align: right; font-family: ui-monospace, monospace; }
        tr[data-status="failed"] td, .status-failed { color: #b00020; } tr[data-status="running"] td, .status-running { color: #a36b00; }
        .hint { color: #888; font-size: 0.85em; } .links a { margin-right: 0.4em; }
        figure.ensemble-figure { display: inline-block; margin: 0.5em; vertical-align: top; }
        figure.ensemble-figure svg { max-width: 100%; height: auto; }
        figcaption { font-size: 0.8em; color: #666; text-align: center; } footer { margin-top: 2em; color: #888; font-size: 0.8em; }
        """;

    // Sorting (numbers by value, text by locale, empty cells last), filtering by status (also from #status=…), and a count of what
    // is shown; it also records how many figures laid out with a non-empty box, which the browser test reads.
    private const string Script = """
        (function () {
          var table = document.getElementById('runs');
          var body = table.tBodies[0];
          var filter = document.getElementById('status-filter');
          var shown = document.getElementById('shown');
          function apply() {
            var want = filter.value, n = 0;
            Array.prototype.forEach.call(body.rows, function (r) {
              var show = !want || r.getAttribute('data-status') === want;
              r.style.display = show ? '' : 'none';
              if (show) n++;
            });
            shown.textContent = n + ' of ' + body.rows.length + ' runs shown';
            document.body.setAttribute('data-rows-shown', String(n));
          }
          // A number when the cell holds one, null when it is empty (a failed run has no loss), else its text.
          function key(cell) {
            var v = cell.getAttribute('data-value');
            if (v !== null && v !== '' && !isNaN(Number(v))) return Number(v);
            return cell.textContent === '' ? null : cell.textContent;
          }
          var headers = table.tHead.rows[0].cells;
          function sortBy(i, asc) {
            Array.prototype.forEach.call(headers, function (h) { h.classList.remove('sorted-asc', 'sorted-desc'); });
            headers[i].classList.add(asc ? 'sorted-asc' : 'sorted-desc');
            var rows = Array.prototype.slice.call(body.rows);
            rows.sort(function (a, b) {
              var x = key(a.cells[i]), y = key(b.cells[i]);
              if (x === null || y === null) return (x === null) - (y === null); // empty cells last in either direction
              var c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
              return asc ? c : -c;
            });
            rows.forEach(function (r) { body.appendChild(r); });
          }
          Array.prototype.forEach.call(headers, function (th, i) {
            th.addEventListener('click', function () { sortBy(i, !th.classList.contains('sorted-asc')); });
          });
          filter.addEventListener('change', apply);
          var m = /status=([^&]+)/.exec(location.hash);
          if (m) filter.value = decodeURIComponent(m[1]);
          // #sort=loss_best (ascending) or #sort=-loss_best (descending), so a link can share a sorted view.
          var s = /sort=(-?)([^&]+)/.exec(location.hash);
          if (s) {
            Array.prototype.forEach.call(headers, function (h, i) {
              if (h.getAttribute('data-column') === decodeURIComponent(s[2])) sortBy(i, s[1] !== '-');
            });
          }
          apply();
          var drawn = 0;
          Array.prototype.forEach.call(document.querySelectorAll('figure.ensemble-figure svg'), function (svg) {
            var box = svg.getBoundingClientRect();
            if (box.width > 0 && box.height > 0 && svg.getBBox().width > 0) drawn++;
          });
          document.body.setAttribute('data-figures-drawn', String(drawn));
        })();
        """;
}
