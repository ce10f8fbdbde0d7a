using ScottPlot;
using ScottPlot.TickGenerators;

namespace Tessera.Plots;

/// <summary>Grouped bar charts: one group per category, one bar per series within each group.</summary>
public static class BarPlot
{
    /// <summary>
    /// Grouped bars: one group per category, one bar per series (e.g. accuracy per operand length, per method).
    /// Writes <c>&lt;pathWithoutExtension&gt;.png</c> (800×500) and <c>.svg</c>, creating the folder if needed,
    /// and returns the two paths. A NaN or infinite value leaves its bar out. Bars start at zero; a legend is
    /// shown when there is more than one series.
    /// </summary>
    /// <exception cref="ArgumentException">No categories, no series, or a series whose value count differs from
    /// the category count (the message names the series).</exception>
    public static (string Png, string Svg) Save(string pathWithoutExtension, string title, string yLabel,
        IReadOnlyList<string> categories, IEnumerable<(string Name, IReadOnlyList<double> Values)> series)
    {
        PlotFiles.CheckPath(pathWithoutExtension);
        ArgumentNullException.ThrowIfNull(categories);
        ArgumentNullException.ThrowIfNull(series);
        var all = series.ToList();
        if (categories.Count == 0)
        {
            throw new ArgumentException("A bar plot needs at least one category.", nameof(categories));
        }

        if (all.Count == 0)
        {
            throw new ArgumentException("A bar plot needs at least one series.", nameof(series));
        }

        foreach (var (name, values) in all)
        {
            if (values is null || values.Count != categories.Count)
            {
                throw new ArgumentException(
                    $"Series '{name}' has {values?.Count ?? 0} values but there are {categories.Count} categories.",
                    nameof(series));
            }
        }

        using var plot = new Plot();
        PlotFont.Apply(plot);
        plot.Title(title);
        plot.YLabel(yLabel);

        const double GroupWidth = 0.8; // fraction of the distance between category centres that a group fills
        var barWidth = GroupWidth / all.Count;
        var extent = new List<double>();
        var legend = new List<LegendItem>();
        for (var j = 0; j < all.Count; j++)
        {
            var (name, values) = all[j];
            var color = plot.Add.Palette.GetColor(j);
            var bars = new List<Bar>();
            for (var i = 0; i < categories.Count; i++)
            {
                if (!double.IsFinite(values[i]))
                {
                    continue;
                }

                extent.Add(values[i]);
                bars.Add(new Bar
                {
                    Position = i - (GroupWidth / 2) + ((j + 0.5) * barWidth),
                    Value = values[i],
                    Size = barWidth,
                    FillColor = color,
                });
            }

            if (bars.Count > 0)
            {
                plot.Add.Bars(bars);
            }

            legend.Add(new LegendItem { LabelText = name, FillColor = color });
        }

        var ticks = new NumericManual();
        for (var i = 0; i < categories.Count; i++)
        {
            ticks.AddMajor(i, categories[i]);
        }

        plot.Axes.Bottom.TickGenerator = ticks;
        plot.Grid.XAxisStyle.MajorLineStyle.Width = 0;

        // Bars grow from zero, so zero is always in view and, when all values share a sign, is the axis end.
        var (y0, y1) = AxisSupport.Fit(extent.Append(0), log: false);
        var positive = extent.Count == 0 || extent.Min() >= 0;
        var negative = extent.Count > 0 && extent.Max() <= 0 && extent.Min() < 0;
        plot.Axes.SetLimits(-0.5, categories.Count - 0.5, positive ? 0 : y0, negative ? 0 : y1);
        return PlotFiles.Write(plot, pathWithoutExtension, legend);
    }
}
