namespace Tessera.Experiments;

/// <summary>A line of a figure: points (x, y) with an optional error bar.</summary>
public sealed record FigureSeries(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y, IReadOnlyList<double>? ErrorY = null);

/// <summary>What to draw, independent of the plotting library: the CLI renders it (PNG + SVG).
/// <paramref name="Categories"/> set means a grouped bar chart (one value per category and series).</summary>
public sealed record Figure(string FileName, string Title, string XLabel, string YLabel, IReadOnlyList<FigureSeries> Series,
    bool LogX = false, bool LogY = false, IReadOnlyList<string>? Categories = null)
{
    private static readonly Dictionary<string, string> Titles = new()
    {
        ["acc"] = "Accuracy",
        ["loss"] = "Loss",
        ["lr"] = "Learning rate",
    };

    /// <summary>One figure per metric (loss, acc, ...), one line per split (train, test, ...), against the step.
    /// Records with extra keys (breakdowns such as accuracy by carries) are left to the method's own figures.</summary>
    public static IEnumerable<Figure> Standard(IReadOnlyList<MetricRecord> metrics) =>
        metrics.Where(m => double.IsFinite(m.Value) && m.Extra is null)
            .GroupBy(m => m.Metric)
            .Select(byMetric => new Figure(
                byMetric.Key.Replace('/', '_'), Titles.GetValueOrDefault(byMetric.Key, byMetric.Key), "step", byMetric.Key,
                byMetric.GroupBy(m => m.Split)
                    .Select(s => new FigureSeries(s.Key, s.Select(m => (double)m.Step).ToArray(), s.Select(m => m.Value).ToArray()))
                    .ToArray(),
                LogY: byMetric.Key == "loss" && byMetric.All(m => m.Value > 0)));
}
