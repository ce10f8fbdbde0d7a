using ScottPlot;

namespace Tessera.Plots;

/// <summary>Common finishing steps: font, legend, and writing the PNG and SVG pair.</summary>
internal static class PlotFiles
{
    public const int Width = 800;
    public const int Height = 500;

    public static void CheckPath(string pathWithoutExtension)
    {
        if (string.IsNullOrWhiteSpace(pathWithoutExtension))
        {
            throw new ArgumentException("The output path must not be empty.", nameof(pathWithoutExtension));
        }
    }

    /// <summary>
    /// Shows <paramref name="legend"/> to the right of the data when there is more than one entry, creates the
    /// folder and writes <c>.png</c> and <c>.svg</c> (both Width × Height).
    /// </summary>
    public static (string Png, string Svg) Write(Plot plot, string pathWithoutExtension, IReadOnlyList<LegendItem> legend)
    {
        if (legend.Count > 1)
        {
            plot.Legend.ManualItems.AddRange(legend);
            plot.ShowLegend(Edge.Right);
        }
        else
        {
            plot.HideLegend();
        }

        var folder = Path.GetDirectoryName(Path.GetFullPath(pathWithoutExtension));
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        var png = pathWithoutExtension + ".png";
        var svg = pathWithoutExtension + ".svg";
        plot.SavePng(png, Width, Height);
        plot.SaveSvg(svg, Width, Height);
        return (png, svg);
    }
}
