using System.Globalization;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace Tessera.Plots;

/// <summary>Axis limits and log-axis ticks shared by the plot helpers. Values here are in plotted space.</summary>
internal static class AxisSupport
{
    /// <summary>Fraction of the data span added on each side of the data.</summary>
    public const double Margin = 0.05;

    /// <summary>
    /// Limits that show every finite value of <paramref name="values"/>, never degenerate: no finite value gives
    /// [0, 1], all-equal values are padded (half a decade on a log axis, 10% of the value or 1 otherwise).
    /// <paramref name="min"/> and <paramref name="max"/>, when given, replace the fitted ends.
    /// </summary>
    public static (double Min, double Max) Fit(IEnumerable<double> values, bool log, double? min = null, double? max = null)
    {
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        foreach (var v in values)
        {
            if (double.IsFinite(v))
            {
                lo = Math.Min(lo, v);
                hi = Math.Max(hi, v);
            }
        }

        if (lo > hi)
        {
            (lo, hi) = (0, 1);
        }
        else if (hi - lo <= 1e-12 * Math.Max(1, Math.Abs(hi)))
        {
            var pad = log ? 0.5 : (lo == 0 ? 1 : Math.Abs(lo) * 0.1);
            (lo, hi) = (lo - pad, hi + pad);
        }
        else
        {
            var pad = (hi - lo) * Margin;
            (lo, hi) = (lo - pad, hi + pad);
        }

        lo = min ?? lo;
        hi = max ?? hi;
        if (hi <= lo)
        {
            // Only one end was given and it lies beyond the data: keep it and open a default span.
            var anchor = min ?? hi;
            var width = log ? 1 : (anchor == 0 ? 1 : Math.Abs(anchor) * 0.2);
            (lo, hi) = min is not null ? (lo, lo + width) : (hi - width, hi);
        }

        return (lo, hi);
    }

    /// <summary>Log10 of a user-given limit; the limit must be finite, and positive on a log axis.</summary>
    public static double? Transform(double? limit, bool log, string name)
    {
        if (limit is not { } v)
        {
            return null;
        }

        if (!double.IsFinite(v))
        {
            throw new ArgumentException($"{name} must be finite, got {v}.", name);
        }

        if (log && v <= 0)
        {
            throw new ArgumentException($"{name} must be positive on a log axis, got {v}.", name);
        }

        return log ? Math.Log10(v) : v;
    }

    /// <summary>
    /// Ticks for an axis that shows log10 of the data between <paramref name="min"/> and <paramref name="max"/>
    /// (log10 units), labelled with the real values. Two decades or more: a major tick per whole decade and
    /// ScottPlot's log-distributed minor ticks. One to two decades: labels at 1, 2 and 5 times a power of ten,
    /// minor ticks at the other integers. Less than a decade: evenly spaced round real values.
    /// </summary>
    public static ITickGenerator LogTicks(double min, double max)
    {
        if (max - min >= 2)
        {
            return new NumericAutomatic
            {
                MinorTickGenerator = new LogMinorTickGenerator(),
                IntegerTicksOnly = true,
                LabelFormatter = FormatLogTick,
            };
        }

        return new NumericManual(ManualLogTicks(min, max));
    }

    /// <summary>The fixed ticks <see cref="LogTicks"/> uses for a range of less than two decades.</summary>
    internal static Tick[] ManualLogTicks(double min, double max)
    {
        var ticks = new List<Tick>();
        if (max - min >= 1)
        {
            for (var k = (int)Math.Floor(min); k <= (int)Math.Ceiling(max); k++)
            {
                for (var m = 1; m <= 9; m++)
                {
                    var position = k + Math.Log10(m);
                    if (position >= min && position <= max)
                    {
                        ticks.Add(m is 1 or 2 or 5 ? Tick.Major(position, FormatMantissa(m, k)) : Tick.Minor(position));
                    }
                }
            }

            return [.. ticks];
        }

        double a = Math.Pow(10, min), b = Math.Pow(10, max);
        var step = NiceStep((b - a) / 5);
        var decimals = Math.Max(0, -(int)Math.Floor(Math.Log10(step)) + 1);
        for (var i = (long)Math.Ceiling(a / step - 1e-9); i <= (long)Math.Floor(b / step + 1e-9); i++)
        {
            var value = decimals <= 15 ? Math.Round(i * step, decimals) : i * step;
            if (value > 0)
            {
                ticks.Add(Tick.Major(Math.Log10(value), value.ToString("G6", CultureInfo.InvariantCulture)));
            }
        }

        return [.. ticks];
    }

    /// <summary>Faint grid lines at the minor ticks of a log axis, so decades stay readable.</summary>
    public static void ShowMinorGrid(GridStyle style)
    {
        style.MajorLineStyle.Color = Colors.Black.WithOpacity(.15);
        style.MinorLineStyle.Color = Colors.Black.WithOpacity(.05);
        style.MinorLineStyle.Width = 1;
    }

    /// <summary>Label for a major tick at log10 position <paramref name="position"/>.</summary>
    internal static string FormatLogTick(double position)
    {
        var k = Math.Round(position);
        return Math.Abs(position - k) < 1e-9
            ? FormatMantissa(1, (int)k)
            : Math.Pow(10, position).ToString("G3", CultureInfo.InvariantCulture);
    }

    /// <summary>m·10^k as plain digits for moderate exponents (0.001, 20, 5000), else as "me k" (1e-6, 2e9).</summary>
    private static string FormatMantissa(int m, int k)
    {
        if (k is >= -4 and <= 5)
        {
            var value = Math.Round(m * Math.Pow(10, k), Math.Max(0, -k));
            return value.ToString("G6", CultureInfo.InvariantCulture);
        }

        return $"{m}e{k}";
    }

    /// <summary>The smallest of 1, 2, 2.5 or 5 times a power of ten that is at least <paramref name="raw"/>.</summary>
    private static double NiceStep(double raw)
    {
        var power = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        foreach (var m in new[] { 1.0, 2.0, 2.5, 5.0, 10.0 })
        {
            if (m * power >= raw * (1 - 1e-9))
            {
                return m * power;
            }
        }

        return 10 * power;
    }
}
