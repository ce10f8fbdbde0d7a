using Tessera.Plots;

namespace Tessera.Tests.Plots;

public sealed class BarPlotTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tessera-plots-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Save_TwoSeriesThreeCategories_WritesPngAndSvgWithLabels()
    {
        // Given: one value per operand length, per method; one missing value.
        string[] categories = ["3 digits", "5 digits", "7 digits"];
        (string, IReadOnlyList<double>)[] series =
        [
            ("plain", new[] { 0.99, 0.7, 0.2 }),
            ("reversed", new[] { 1.0, 0.95, double.NaN }),
        ];

        // When
        var (png, svg) = BarPlot.Save(Path.Combine(_dir, "bars"), "Accuracy by length", "accuracy", categories, series);

        // Then
        PlotFileAssert.IsPng(png);
        PlotFileAssert.IsSvgContaining(svg, "Accuracy by length", "accuracy", "5 digits", "plain", "reversed");
        PlotFileAssert.SvgUsesOnlyFont(svg, PlotFont.Name!);
    }

    [Fact]
    public void Save_AllZeroValues_WritesFiles()
    {
        var (png, _) = BarPlot.Save(Path.Combine(_dir, "zeros"), "Zeros", "y", ["a", "b"], [("only", new double[] { 0, 0 })]);

        PlotFileAssert.IsPng(png);
    }

    [Fact]
    public void Save_ValueCountDiffersFromCategories_ThrowsNamingTheSeries()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            BarPlot.Save(Path.Combine(_dir, "p"), "t", "y", ["a", "b"], [("too-few", new double[] { 1 })]));

        Assert.Contains("too-few", ex.Message);
    }

    [Fact]
    public void Save_NoSeriesOrNoCategories_Throws()
    {
        Assert.Throws<ArgumentException>(() => BarPlot.Save(Path.Combine(_dir, "p"), "t", "y", ["a"], []));
        Assert.Throws<ArgumentException>(() =>
            BarPlot.Save(Path.Combine(_dir, "p"), "t", "y", [], [("s", Array.Empty<double>())]));
    }
}
