using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tessera.Experiments;

/// <summary>One cell of a sweep: a run of the method with these overrides and this seed.</summary>
public sealed record SweepCell(string Name, IReadOnlyList<string> Overrides, long Seed)
{
    /// <summary>The value this cell gives to <paramref name="key"/> (e.g. "data.format"), or null.</summary>
    public string? Value(string key) =>
        Overrides.Select(o => o.Split('=', 2)).Where(kv => kv[0] == key).Select(kv => kv[1]).LastOrDefault();
}

/// <summary>A finished cell: its summary.json.</summary>
public sealed record SweepResult(SweepCell Cell, JsonObject Summary)
{
    public double Number(string key) => Summary[key]?.GetValue<double>() ?? double.NaN;
}

/// <summary>What a sweep runs: the method, the base layers (preset, config file, --set) and the grid axes. Saved as
/// sweep.json in the sweep directory so an interrupted sweep can be continued.</summary>
public sealed record SweepPlan(string Method, string? Preset, string? ConfigFile, IReadOnlyList<string> Overrides,
    IReadOnlyList<SweepAxis> Axes, IReadOnlyList<long> Seeds)
{
    /// <summary>The cartesian product of the axes, times the seeds; names like <c>plain_500_s0</c>.</summary>
    public IReadOnlyList<SweepCell> Cells()
    {
        IEnumerable<(string Name, IReadOnlyList<string> Overrides)> cells = [("", [])];
        foreach (SweepAxis axis in Axes)
        {
            cells = cells.SelectMany(c => axis.Values.Select(v =>
                (Join(c.Name, Sanitize(v)), (IReadOnlyList<string>)[.. c.Overrides, $"{axis.Key}={v}"])));
        }
        return cells.SelectMany(c => Seeds.Select(s => new SweepCell(Join(c.Name, $"s{s}"), [.. Overrides, .. c.Overrides], s))).ToArray();
    }

    public static SweepAxis ParseAxis(string text)
    {
        int eq = text.IndexOf('=', StringComparison.Ordinal);
        string[] values = eq > 0 ? text[(eq + 1)..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : [];
        if (eq <= 0 || values.Length == 0)
        {
            throw new InputException($"--grid '{text}': expected key=v1,v2,..., e.g. --grid data.trainSize=500,1000,2000.");
        }
        return new SweepAxis(text[..eq].Trim(), values);
    }

    public void Save(string path) => RunDirectory.WriteAtomically(path, JsonSerializer.Serialize(this, RunDirectory.Indented));

    public static SweepPlan Load(string path) =>
        File.Exists(path)
            ? JsonSerializer.Deserialize<SweepPlan>(File.ReadAllText(path))!
            : throw new InputException($"'{path}' is missing: not a Tessera sweep directory.");

    private static string Join(string a, string b) => a.Length == 0 ? b : $"{a}_{b}";

    private static string Sanitize(string value) =>
        string.Concat(value.Select(c => char.IsLetterOrDigit(c) || c is '.' or '-' ? c : '-'));
}

public sealed record SweepAxis(string Key, IReadOnlyList<string> Values);

/// <summary>A method that draws its own sweep figures and table (e.g. accuracy against N, one line per format).</summary>
public interface ISweepReport
{
    IEnumerable<Figure> SweepFigures(IReadOnlyList<SweepResult> results);

    /// <summary>A Markdown table of the sweep, next to the paper's numbers where it has them.</summary>
    string SweepTable(IReadOnlyList<SweepResult> results);
}

/// <summary>Mean and sample standard deviation, for seeds of a sweep.</summary>
public static class Stats
{
    public static (double Mean, double Std) MeanStd(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0)
        {
            return (double.NaN, double.NaN);
        }
        double mean = values.Average();
        double std = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : 0;
        return (mean, std);
    }

    public static string Percent(double v) => double.IsNaN(v) ? "–" : (100 * v).ToString("F1", CultureInfo.InvariantCulture);
}
