using System.Globalization;
using Tessera.Experiments;

namespace Tessera.Methods.Pruning;

/// <summary>The standard figures of a pruning run, drawn from its metrics.jsonl.</summary>
internal static class PruningFigures
{
    public static IEnumerable<Figure> For(IReadOnlyList<MetricRecord> metrics)
    {
        foreach (Figure f in Figure.Standard(metrics))
        {
            yield return f;
        }
        foreach ((string metric, bool sanity, string file, string title) in new[]
                 {
                     ("post_ft_acc", false, "acc_vs_density", "Test accuracy after training the weights, by density"),
                     ("pre_ft_acc", false, "pre_ft_acc_vs_density", "Test accuracy of the mask before any weight training"),
                     ("post_ft_acc", true, "sanity_vs_density", "Tickets and their sanity checks after training the weights"),
                 })
        {
            FigureSeries[] series = metrics.Where(m => m.Split == "ticket" && m.Metric == metric && double.IsFinite(m.Value)
                    && (sanity ? HasSanity(metrics, m) : m.Get("variant") is "ticket" or "round"))
                .GroupBy(m => SeriesName(m))
                .Select(g =>
                {
                    MetricRecord[] points = g.GroupBy(m => Density(m)).Select(d => d.Last()).OrderBy(Density).ToArray();
                    return new FigureSeries(g.Key, points.Select(p => 100 * Density(p)).ToArray(), points.Select(p => 100 * p.Value).ToArray());
                })
                .OrderBy(s => s.Name, StringComparer.Ordinal)
                .ToArray();
            if (series.Length > 0)
            {
                yield return new Figure(file, title, "density (% of weights kept)", "% test accuracy", series, LogX: true);
            }
        }

        FigureSeries[] mining = metrics.Where(m => m.Split == "mine" && m.Metric is "flag_density" or "effective_density" && m.Get("epoch") is not null)
            .GroupBy(m => $"{m.Get("job")} {(m.Metric == "flag_density" ? "flags q" : "H(p)·q")}")
            .Select(g => new FigureSeries(g.Key, g.Select(m => Epoch(m) + 1.0).ToArray(), g.Select(m => 100 * m.Value).ToArray()))
            .ToArray();
        if (mining.Length > 0)
        {
            yield return new Figure("mining_density", "Gem-Miner: density of the flags and of the forward mask (before each epoch's freezing)",
                "epoch", "% of weights", mining, LogY: mining.All(s => s.Y.All(v => v > 0)));
        }

        MetricRecord[] layers = metrics.Where(m => m.Split == "ticket" && m.Metric == "layer_density").ToArray();
        if (layers.Length > 0)
        {
            string[] names = layers.Select(m => m.Get("layer")!).Distinct().ToArray();
            FigureSeries[] bars = layers.GroupBy(m => m.Get("job")!)
                .Select(g => new FigureSeries(g.Key, names.Select((_, i) => (double)i).ToArray(),
                    names.Select(n => 100 * (g.LastOrDefault(m => m.Get("layer") == n)?.Value ?? 0)).ToArray()))
                .ToArray();
            yield return new Figure("layer_density", "Density of each layer's mask", "layer", "% of the layer's weights kept", bars,
                Categories: names);
        }

        FigureSeries[] curves = metrics.Where(m => m.Split == "test" && m.Metric == "acc" && m.Get("phase") is not null)
            .GroupBy(m => m.Get("phase")!)
            .Select(g => new FigureSeries(g.Key, g.Select(m => (double)m.Step).ToArray(), g.Select(m => 100 * m.Value).ToArray()))
            .ToArray();
        if (curves.Length > 0)
        {
            yield return new Figure("test_acc_by_phase", "Test accuracy during each phase", "step (the run's phases follow each other)",
                "% test accuracy", curves);
        }
    }

    /// <summary>The record belongs to a (pruner, density) that has sanity-check records.</summary>
    private static bool HasSanity(IReadOnlyList<MetricRecord> metrics, MetricRecord m) =>
        metrics.Any(o => o.Split == "ticket" && o.Get("pruner") == m.Get("pruner") && o.Get("density") == m.Get("density")
            && o.Get("variant") is "shuffle" or "reinit" or "random" or "invert");

    private static string SeriesName(MetricRecord m)
    {
        string variant = m.Get("variant") ?? "ticket";
        return variant is "ticket" or "round" ? m.Get("pruner") ?? "?" : $"{m.Get("pruner")} ({variant})";
    }

    private static double Density(MetricRecord m) => double.Parse(m.Get("density") ?? "NaN", CultureInfo.InvariantCulture);

    private static int Epoch(MetricRecord m) => int.Parse(m.Get("epoch")!, CultureInfo.InvariantCulture);
}
