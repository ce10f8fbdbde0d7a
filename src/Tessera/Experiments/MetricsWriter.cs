using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tessera.Experiments;

/// <summary>One line of metrics.jsonl: <c>{"step":1200,"split":"val","metric":"acc","value":0.973,"wall_s":84.2}</c>
/// plus optional extra keys (e.g. <c>"round":7</c>, <c>"format":"reverse"</c>).</summary>
public sealed record MetricRecord(long Step, string Split, string Metric, double Value, double WallSeconds,
    IReadOnlyDictionary<string, string>? Extra = null)
{
    public string? Get(string key) => Extra is not null && Extra.TryGetValue(key, out string? v) ? v : null;

    public string ToJsonLine()
    {
        var o = new JsonObject
        {
            ["step"] = Step,
            ["split"] = Split,
            ["metric"] = Metric,
            ["value"] = double.IsFinite(Value) ? Value : null,
            ["wall_s"] = Math.Round(WallSeconds, 3),
        };
        foreach ((string k, string v) in Extra ?? new Dictionary<string, string>())
        {
            o[k] = v;
        }
        return o.ToJsonString();
    }

    public static MetricRecord? TryParse(string line)
    {
        try
        {
            if (JsonNode.Parse(line) is not JsonObject o || o["step"] is null || o["metric"] is null)
            {
                return null;
            }
            var extra = new Dictionary<string, string>();
            foreach ((string k, JsonNode? v) in o)
            {
                if (k is not ("step" or "split" or "metric" or "value" or "wall_s") && v is not null)
                {
                    extra[k] = v is JsonValue jv && jv.GetValueKind() == JsonValueKind.String ? jv.GetValue<string>() : v.ToJsonString();
                }
            }
            return new MetricRecord(o["step"]!.GetValue<long>(), o["split"]?.GetValue<string>() ?? "", o["metric"]!.GetValue<string>(),
                o["value"]?.GetValue<double>() ?? double.NaN, o["wall_s"]?.GetValue<double>() ?? 0, extra.Count > 0 ? extra : null);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }
}

/// <summary>Appends metric records to metrics.jsonl, flushing every line so nothing is lost on a crash.</summary>
public sealed class MetricsWriter : IDisposable
{
    private readonly StreamWriter _writer;
    private readonly object _gate = new();

    private MetricsWriter(StreamWriter writer) => _writer = writer;

    public static MetricsWriter Create(string path) =>
        new(new StreamWriter(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read), new UTF8Encoding(false)));

    /// <summary>Re-opens a run's metrics for a resumed run: keeps the records of steps up to
    /// <paramref name="lastStep"/> (what the checkpoint covers), drops later ones and a torn last line.</summary>
    public static MetricsWriter Resume(string path, long lastStep)
    {
        string[] kept = File.Exists(path)
            ? File.ReadAllLines(path).Where(l => MetricRecord.TryParse(l) is { } r && r.Step <= lastStep).ToArray()
            : [];
        var writer = Create(path);
        foreach (string line in kept)
        {
            writer._writer.WriteLine(line);
        }
        writer._writer.Flush();
        return writer;
    }

    public void Write(MetricRecord record)
    {
        lock (_gate)
        {
            _writer.WriteLine(record.ToJsonLine());
            _writer.Flush();
        }
    }

    public void Dispose() => _writer.Dispose();

    public static IReadOnlyList<MetricRecord> Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new InputException($"'{Path.GetFullPath(path)}' does not exist: is this a Tessera run directory?");
        }
        return File.ReadLines(path).Select(MetricRecord.TryParse).OfType<MetricRecord>().ToArray();
    }
}
