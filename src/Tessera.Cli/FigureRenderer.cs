using Tessera.Experiments;
using Tessera.Plots;

namespace Tessera.Cli;

/// <summary>Draws an experiment's figures for a run into its plots/ folder (PNG + SVG), from metrics.jsonl.</summary>
public static class FigureRenderer
{
    public static IReadOnlyList<string> RenderRun(IExperiment experiment, RunDirectory dir) =>
        Render(experiment.Figures(MetricsWriter.Read(dir.MetricsFile)), dir.PlotsDir);

    public static IReadOnlyList<string> Render(IEnumerable<Figure> figures, string plotsDir)
    {
        Directory.CreateDirectory(plotsDir);
        var written = new List<string>();
        foreach (Figure f in figures)
        {
            string path = Path.Combine(plotsDir, f.FileName);
            (string png, _) = f.Categories is { } categories
                ? BarPlot.Save(path, f.Title, f.YLabel, categories, f.Series.Select(s => (s.Name, s.Y)))
                : LinePlot.Save(path, f.Title, f.XLabel, f.YLabel,
                    f.Series.Select(s => new Series(s.Name, s.X, s.Y, s.ErrorY)), logY: f.LogY, logX: f.LogX);
            written.Add(png);
        }
        return written;
    }
}
