using Tessera.Plots;

namespace Tessera.Tests.Plots;

public sealed class LinePlotTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tessera-plots-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Series Line(string name, params double[] ys) =>
        new(name, Enumerable.Range(1, ys.Length).Select(i => (double)i).ToArray(), ys);

    [Fact]
    public void Save_TwoSeries_WritesPngAndSvgWithTitle()
    {
        // Given: ScottPlot's global default font as at start-up (setting a plot's font also changes it),
        // so that a text element the helper forgets to set would show up as a second font family.
        ScottPlot.Fonts.Reset();
        var path = Path.Combine(_dir, "sub", "accuracy");
        Series[] series = [Line("baseline", 0.1, 0.4, 0.7, 0.8), Line("looped", 0.2, 0.5, 0.9, 0.95)];

        // When
        var (png, svg) = LinePlot.Save(path, "Accuracy vs steps", "step", "accuracy", series);

        // Then
        Assert.Equal(path + ".png", png);
        Assert.Equal(path + ".svg", svg);
        PlotFileAssert.IsPng(png);
        PlotFileAssert.IsSvgContaining(svg, "Accuracy vs steps", "step", "accuracy", "baseline", "looped");
        PlotFileAssert.SvgUsesOnlyFont(svg, PlotFont.Name!);
    }

    [Fact]
    public void Save_LogYWithErrorBarsReachingBelowZero_WritesFilesWithRealValueLabels()
    {
        // Given: y spans 1e-3..1e1, so decade labels 0.001 .. 10; the first error bar's lower end is negative.
        Series loss = new("loss", [1, 10, 100, 1000, 10000], [10, 1, 0.1, 0.01, 0.001], [20, 0.5, 0.05, 0.005, 0.0005]);

        // When
        var (png, svg) = LinePlot.Save(Path.Combine(_dir, "loss"), "Loss", "step", "loss", [loss], logY: true, logX: true);

        // Then
        PlotFileAssert.IsPng(png);
        PlotFileAssert.IsSvgContaining(svg, "Loss", "0.001", "0.01", "10", "1000");
    }

    [Fact]
    public void Save_LogYWithZero_ThrowsNamingTheSeries()
    {
        Series[] series = [Line("fine", 1, 2, 3), Line("has-zero", 1, 0, 3)];

        var ex = Assert.Throws<ArgumentException>(() =>
            LinePlot.Save(Path.Combine(_dir, "p"), "t", "x", "y", series, logY: true));

        Assert.Contains("has-zero", ex.Message);
        Assert.False(File.Exists(Path.Combine(_dir, "p.png")));
    }

    [Fact]
    public void Save_LogXWithNegative_ThrowsNamingTheSeries()
    {
        Series s = new("neg-x", [-1, 1, 2], [1, 2, 3]);

        var ex = Assert.Throws<ArgumentException>(() => LinePlot.Save(Path.Combine(_dir, "p"), "t", "x", "y", [s], logX: true));

        Assert.Contains("neg-x", ex.Message);
    }

    [Fact]
    public void Save_LogYWithNaNGap_DoesNotThrowAndWritesFiles()
    {
        var (png, svg) = LinePlot.Save(Path.Combine(_dir, "gap"), "Gaps", "x", "y",
            [Line("gappy", 1, double.NaN, 100, double.NaN, double.NaN, 1000)], logY: true);

        PlotFileAssert.IsPng(png);
        PlotFileAssert.IsSvgContaining(svg, "Gaps");
    }

    [Fact]
    public void Save_NoSeries_Throws()
    {
        Assert.Throws<ArgumentException>(() => LinePlot.Save(Path.Combine(_dir, "p"), "t", "x", "y", []));
    }

    [Fact]
    public void Save_MismatchedLengths_ThrowsNamingTheSeries()
    {
        Series s = new("short-y", [1, 2, 3], [1, 2]);

        var ex = Assert.Throws<ArgumentException>(() => LinePlot.Save(Path.Combine(_dir, "p"), "t", "x", "y", [s]));

        Assert.Contains("short-y", ex.Message);
    }

    [Fact]
    public void Save_YMinNotBelowYMax_Throws()
    {
        Assert.Throws<ArgumentException>(() =>
            LinePlot.Save(Path.Combine(_dir, "p"), "t", "x", "y", [Line("a", 1, 2)], yMin: 1, yMax: 1));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Save_DegenerateData_WritesFiles(bool logY)
    {
        // Given: all-equal Y, a single point, and a series with no finite point at all.
        Series[] series = [Line("flat", 5, 5, 5), new("single", [2], [5]), Line("empty", double.NaN, double.NaN)];

        var (png, svg) = LinePlot.Save(Path.Combine(_dir, $"flat-{logY}"), "Flat", "x", "y", series, logY: logY);

        PlotFileAssert.IsPng(png);
        PlotFileAssert.IsSvgContaining(svg, "Flat", "flat", "single", "empty");
    }

    [Fact]
    public void Save_YRangeGiven_WritesFiles()
    {
        var (png, _) = LinePlot.Save(Path.Combine(_dir, "range"), "Range", "x", "acc", [Line("a", 0.5, 0.7)], yMin: 0, yMax: 1);

        PlotFileAssert.IsPng(png);
    }
}
