using ScottPlot;

namespace Tessera.Plots;

/// <summary>Line charts with markers, e.g. a metric against steps or rounds, one line per run or method.</summary>
public static class LinePlot
{
    /// <summary>
    /// Writes <c>&lt;pathWithoutExtension&gt;.png</c> (800×500) and <c>.svg</c>, creating the folder if needed.
    /// Returns the two paths.
    /// </summary>
    /// <param name="pathWithoutExtension">Output path; ".png" and ".svg" are appended.</param>
    /// <param name="title">Title above the plot.</param>
    /// <param name="xLabel">Label of the horizontal axis.</param>
    /// <param name="yLabel">Label of the vertical axis.</param>
    /// <param name="series">One or more series. Points with a NaN or infinite coordinate are skipped and break
    /// the line, so series may have gaps. A legend is shown when there is more than one series.</param>
    /// <param name="logY">Log-scaled Y axis (log10 of the data is plotted, tick labels show the real values).
    /// Every finite Y must then be positive. An error bar that would reach zero or below is cut at the axis.</param>
    /// <param name="logX">Log-scaled X axis; every finite X must then be positive.</param>
    /// <param name="yMin">Fixed lower end of the Y axis (a real value, positive on a log axis).</param>
    /// <param name="yMax">Fixed upper end of the Y axis.</param>
    /// <exception cref="ArgumentException">No series, mismatched lengths, a negative error, a non-positive value
    /// on a log axis (the message names the series), or yMin not below yMax.</exception>
    public static (string Png, string Svg) Save(string pathWithoutExtension, string title, string xLabel, string yLabel,
        IEnumerable<Series> series, bool logY = false, bool logX = false, double? yMin = null, double? yMax = null)
    {
        const float LineWidth = 1.5f;
        const float MarkerSize = 4;
        PlotFiles.CheckPath(pathWithoutExtension);
        ArgumentNullException.ThrowIfNull(series);
        var all = series.ToList();
        if (all.Count == 0)
        {
            throw new ArgumentException("A line plot needs at least one series.", nameof(series));
        }

        foreach (var s in all)
        {
            Check(s, logX, logY);
        }

        var yLo = AxisSupport.Transform(yMin, logY, nameof(yMin));
        var yHi = AxisSupport.Transform(yMax, logY, nameof(yMax));
        if (yLo >= yHi)
        {
            throw new ArgumentException($"yMin ({yMin}) must be below yMax ({yMax}).", nameof(yMin));
        }

        using var plot = new Plot();
        PlotFont.Apply(plot);
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);

        var xExtent = new List<double>();
        var yExtent = new List<double>();
        var bars = new List<(List<double> Ys, List<double> Negative, List<int> Clipped)>();
        var legend = new List<LegendItem>();
        for (var i = 0; i < all.Count; i++)
        {
            var s = all[i];
            var color = plot.Add.Palette.GetColor(i);
            var xs = Transform(s.X, logX);
            var ys = Transform(s.Y, logY);
            xExtent.AddRange(xs);
            yExtent.AddRange(ys);
            foreach (var (segmentXs, segmentYs) in Segments(xs, ys))
            {
                var line = plot.Add.Scatter(segmentXs, segmentYs, color);
                line.LineWidth = LineWidth;
                line.MarkerSize = MarkerSize;
            }

            if (s.ErrorY is not null)
            {
                bars.Add(AddErrorBars(plot, s.ErrorY, s.Y, xs, ys, logY, color, yExtent));
            }

            legend.Add(new LegendItem
            {
                LabelText = s.Name,
                LineColor = color,
                LineWidth = LineWidth,
                MarkerShape = MarkerShape.FilledCircle,
                MarkerColor = color,
                MarkerSize = MarkerSize,
            });
        }

        var (x0, x1) = AxisSupport.Fit(xExtent, logX);
        var (y0, y1) = AxisSupport.Fit(yExtent, logY, yLo, yHi);
        foreach (var (ys, negative, clipped) in bars)
        {
            // Lower ends at or below zero have no log: the bar runs down to the bottom of the axis instead.
            foreach (var k in clipped)
            {
                negative[k] = Math.Max(0, ys[k] - y0);
            }
        }

        plot.Axes.SetLimits(x0, x1, y0, y1);
        if (logY)
        {
            plot.Axes.Left.TickGenerator = AxisSupport.LogTicks(y0, y1);
            AxisSupport.ShowMinorGrid(plot.Grid.YAxisStyle);
        }

        if (logX)
        {
            plot.Axes.Bottom.TickGenerator = AxisSupport.LogTicks(x0, x1);
            AxisSupport.ShowMinorGrid(plot.Grid.XAxisStyle);
        }

        return PlotFiles.Write(plot, pathWithoutExtension, legend);
    }

    private static void Check(Series s, bool logX, bool logY)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(s.X, nameof(Series.X));
        ArgumentNullException.ThrowIfNull(s.Y, nameof(Series.Y));
        if (s.X.Count != s.Y.Count)
        {
            throw new ArgumentException($"Series '{s.Name}' has {s.X.Count} X values but {s.Y.Count} Y values.", "series");
        }

        if (s.ErrorY is not null)
        {
            if (s.ErrorY.Count != s.Y.Count)
            {
                throw new ArgumentException(
                    $"Series '{s.Name}' has {s.ErrorY.Count} ErrorY values but {s.Y.Count} Y values.", "series");
            }

            for (var i = 0; i < s.ErrorY.Count; i++)
            {
                if (s.ErrorY[i] < 0)
                {
                    throw new ArgumentException(
                        $"Series '{s.Name}' has a negative ErrorY ({s.ErrorY[i]}) at index {i}; errors are half-widths.", "series");
                }
            }
        }

        CheckPositive(s, s.X, logX, "X");
        CheckPositive(s, s.Y, logY, "Y");
    }

    private static void CheckPositive(Series s, IReadOnlyList<double> values, bool log, string axis)
    {
        if (!log)
        {
            return;
        }

        for (var i = 0; i < values.Count; i++)
        {
            if (values[i] <= 0)
            {
                throw new ArgumentException(
                    $"Series '{s.Name}' has {axis} = {values[i]} at index {i}, which a log {axis} axis cannot show: "
                    + $"all {axis} values must be positive (NaN marks a gap).", "series");
            }
        }
    }

    /// <summary>Log10 of every value when <paramref name="log"/>; non-finite results become NaN (gaps).</summary>
    private static double[] Transform(IReadOnlyList<double> values, bool log)
    {
        var result = new double[values.Count];
        for (var i = 0; i < result.Length; i++)
        {
            var v = log ? Math.Log10(values[i]) : values[i];
            result[i] = double.IsFinite(v) ? v : double.NaN;
        }

        return result;
    }

    /// <summary>Maximal runs of points whose coordinates are both finite.</summary>
    internal static IEnumerable<(double[] Xs, double[] Ys)> Segments(double[] xs, double[] ys)
    {
        var start = -1;
        for (var i = 0; i <= xs.Length; i++)
        {
            var ok = i < xs.Length && !double.IsNaN(xs[i]) && !double.IsNaN(ys[i]);
            if (ok && start < 0)
            {
                start = i;
            }
            else if (!ok && start >= 0)
            {
                yield return (xs[start..i], ys[start..i]);
                start = -1;
            }
        }
    }

    /// <summary>
    /// Adds error bars for the points with finite coordinates and error, widening <paramref name="yExtent"/> by
    /// their ends. On a log axis the bars are asymmetric; indices of bars whose lower end is not positive are
    /// returned, to be cut at the axis once the limits are known. Returns the bars' Y, negative errors, and those indices.
    /// </summary>
    private static (List<double>, List<double>, List<int>) AddErrorBars(Plot plot,
        IReadOnlyList<double> errors, IReadOnlyList<double> rawYs, double[] xs, double[] ys, bool logY, Color color,
        List<double> yExtent)
    {
        List<double> barXs = [], barYs = [], positive = [], negative = [];
        List<int> clipped = [];
        for (var i = 0; i < xs.Length; i++)
        {
            var e = errors[i];
            if (double.IsNaN(xs[i]) || double.IsNaN(ys[i]) || !double.IsFinite(e))
            {
                continue;
            }

            double up = e, down = e;
            if (logY)
            {
                up = Math.Log10(rawYs[i] + e) - ys[i];
                var lower = rawYs[i] - e;
                down = lower > 0 ? ys[i] - Math.Log10(lower) : 0;
                if (lower <= 0)
                {
                    clipped.Add(barXs.Count);
                }
            }

            barXs.Add(xs[i]);
            barYs.Add(ys[i]);
            positive.Add(up);
            negative.Add(down);
            yExtent.Add(ys[i] + up);
            yExtent.Add(ys[i] - down);
        }

        if (barXs.Count > 0)
        {
            var bar = plot.Add.ErrorBar(barXs, barYs, positive);
            bar.YErrorPositive = positive;
            bar.YErrorNegative = negative; // the same list is completed for clipped bars before rendering
            bar.Color = color;
        }

        return (barYs, negative, clipped);
    }
}
