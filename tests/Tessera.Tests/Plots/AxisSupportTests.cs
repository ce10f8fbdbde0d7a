using ScottPlot;
using Tessera.Plots;

namespace Tessera.Tests.Plots;

public sealed class AxisSupportTests
{
    [Fact]
    public void Fit_SpreadValues_AddsFivePercentEachSide()
    {
        // span 10, margin 0.05 → 0.5 on each side
        Assert.Equal((-0.5, 10.5), AxisSupport.Fit([0, 4, double.NaN, 10], log: false));
    }

    [Theory]
    [InlineData(5.0, false, 4.5, 5.5)]   // 10% of the value
    [InlineData(0.0, false, -1.0, 1.0)]  // zero: ±1
    [InlineData(-2.0, true, -2.5, -1.5)] // log axis: ±half a decade
    public void Fit_AllEqual_PadsAroundTheValue(double v, bool log, double lo, double hi)
    {
        var (min, max) = AxisSupport.Fit([v, v, v], log);

        Assert.Equal(lo, min, 12);
        Assert.Equal(hi, max, 12);
    }

    [Fact]
    public void Fit_NoFiniteValue_GivesUnitRange()
    {
        Assert.Equal((0.0, 1.0), AxisSupport.Fit([double.NaN, double.PositiveInfinity], log: false));
    }

    [Fact]
    public void Fit_MinAboveAllData_KeepsMinAndOpensSpan()
    {
        // data 1..2, min 3 given: 20% of 3 above it
        var (lo, hi) = AxisSupport.Fit([1, 2], log: false, min: 3);

        Assert.Equal(3, lo);
        Assert.Equal(3.6, hi, 12);
    }

    [Theory]
    [InlineData(-3.0, "0.001")]
    [InlineData(0.0, "1")]
    [InlineData(2.0, "100")]
    [InlineData(6.0, "1e6")]
    [InlineData(-7.0, "1e-7")]
    public void FormatLogTick_WholeDecade_ShowsRealValue(double position, string label)
    {
        Assert.Equal(label, AxisSupport.FormatLogTick(position));
    }

    [Fact]
    public void ManualLogTicks_OneAndAHalfDecades_LabelsOneTwoFive()
    {
        // 0.05 .. ~1.58: majors at 0.05, 0.1, 0.2, 0.5, 1; minors at the other integer multiples.
        var ticks = AxisSupport.ManualLogTicks(Math.Log10(0.05), 0.2);

        Assert.Equal(["0.05", "0.1", "0.2", "0.5", "1"], ticks.Where(t => t.IsMajor).Select(t => t.Label));
        Assert.Contains(ticks, t => !t.IsMajor && Math.Abs(t.Position - Math.Log10(0.3)) < 1e-12);
    }

    [Fact]
    public void ManualLogTicks_LessThanADecade_LabelsRoundRealValues()
    {
        // 0.5 .. 0.8: step nice(0.3 / 5) = 0.1
        var ticks = AxisSupport.ManualLogTicks(Math.Log10(0.5), Math.Log10(0.8));

        Assert.Equal(["0.5", "0.6", "0.7", "0.8"], ticks.Where(t => t.IsMajor).Select(t => t.Label));
        Assert.Equal(Math.Log10(0.6), ticks.Single(t => t.Label == "0.6").Position, 12);
    }

    [Fact]
    public void Segments_NaNPoints_SplitTheLine()
    {
        double[] xs = [1, 2, 3, 4, 5, 6];
        double[] ys = [1, double.NaN, 3, 4, double.NaN, 6];

        var segments = LinePlot.Segments(xs, ys).ToList();

        Assert.Equal([[1.0], [3.0, 4.0], [6.0]], segments.Select(s => s.Xs));
        Assert.Equal([[1.0], [3.0, 4.0], [6.0]], segments.Select(s => s.Ys));
    }

    [Fact]
    public void PlotFont_OnThisMachine_ResolvesToAnInstalledFontWithLatinGlyphs()
    {
        // Without a usable font every label renders as nothing; the PNG checks alone would not notice.
        var name = PlotFont.Name;

        Assert.NotNull(name);
        var typeface = Fonts.GetTypeface(name, bold: false, italic: false);
        Assert.True(typeface.ContainsGlyphs("Accuracy vs steps 0123456789"));
    }
}
