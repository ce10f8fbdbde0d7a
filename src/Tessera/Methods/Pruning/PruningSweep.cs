using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Tessera.Experiments;

namespace Tessera.Methods.Pruning;

/// <summary>Sweep report of pruning runs: per grid point and ticket, mean ± std over seeds of the accuracies before and
/// after weight training, of every sanity check and of the ticket's gap to it (spec §6 check 6 uses 3 seeds).</summary>
internal static class PruningSweep
{
    private static readonly string[] Checks = ["shuffle", "reinit", "random", "invert"];

    public static string Table(IReadOnlyList<SweepResult> results)
    {
        var md = new StringBuilder();
        md.Append("| grid point | ticket | density | seeds | before training | after training | ");
        md.Append(string.Join(" | ", Checks.Select(c => $"{c} (gap)")));
        md.Append(" |\n|---|---|---|---|---|---|").Append(string.Concat(Checks.Select(_ => "---|"))).Append('\n');
        foreach ((string point, string ticket, List<JsonObject> runs) in Groups(results))
        {
            md.Append(CultureInfo.InvariantCulture, $"| {point} | {ticket} | {Pct(runs, t => t["density"])} | {runs.Count} | ");
            md.Append(CultureInfo.InvariantCulture, $"{Pct(runs, t => t["pre_ft_acc"])} | {Pct(runs, t => t["post_ft_acc"])} | ");
            foreach (string check in Checks)
            {
                string acc = Pct(runs, t => t["sanity"]?[check]?["post_ft_acc"]);
                string gap = Pct(runs, t => t["sanity"]?[check]?["gap"], signed: true);
                md.Append(acc == "–" ? "– | " : $"{acc} ({gap}) | ");
            }
            md.Append('\n');
        }
        md.Append("\nAccuracies in % (mean ± sample std over seeds); gap = ticket − check after training, in points.\n");
        return md.ToString();
    }

    public static IEnumerable<Figure> Figures(IReadOnlyList<SweepResult> results)
    {
        var series = Groups(results)
            .GroupBy(g => $"{g.Point} {g.Ticket[..g.Ticket.IndexOf('@', StringComparison.Ordinal)]}")
            .Select(byPruner =>
            {
                var points = byPruner.Select(g => (Density: Mean(g.Runs, t => t["density"]).Mean, Acc: Mean(g.Runs, t => t["post_ft_acc"])))
                    .Where(p => double.IsFinite(p.Density)).OrderBy(p => p.Density).ToArray();
                return new FigureSeries(byPruner.Key.Trim(), points.Select(p => 100 * p.Density).ToArray(),
                    points.Select(p => 100 * p.Acc.Mean).ToArray(), points.Select(p => 100 * p.Acc.Std).ToArray());
            })
            .Where(s => s.X.Count > 0)
            .ToArray();
        if (series.Length > 0)
        {
            yield return new Figure("sweep_acc_vs_density", "Test accuracy after training the weights (mean ± std over seeds)",
                "density (% of weights kept)", "% test accuracy", series, LogX: true);
        }
    }

    /// <summary>(grid point without the seed, ticket id, that ticket's summary in every seed of the point).</summary>
    private static IEnumerable<(string Point, string Ticket, List<JsonObject> Runs)> Groups(IReadOnlyList<SweepResult> results)
    {
        foreach (var point in results.GroupBy(r => PointName(r.Cell)))
        {
            var byTicket = new Dictionary<string, List<JsonObject>>();
            foreach (SweepResult r in point)
            {
                foreach ((string id, JsonNode? t) in r.Summary["tickets"] as JsonObject ?? [])
                {
                    if (t is JsonObject o)
                    {
                        (byTicket.TryGetValue(id, out var list) ? list : byTicket[id] = []).Add(o);
                    }
                }
            }
            foreach ((string id, List<JsonObject> runs) in byTicket)
            {
                yield return (point.Key, id, runs);
            }
        }
    }

    private static string PointName(SweepCell cell)
    {
        int s = cell.Name.LastIndexOf("_s", StringComparison.Ordinal);
        string name = s >= 0 ? cell.Name[..s] : "";
        return name.Length == 0 ? "–" : name;
    }

    private static (double Mean, double Std) Mean(List<JsonObject> runs, Func<JsonObject, JsonNode?> pick)
    {
        double[] v = runs.Select(pick).OfType<JsonValue>().Select(PruningRun.Number).Where(double.IsFinite).ToArray();
        return Stats.MeanStd(v);
    }

    private static string Pct(List<JsonObject> runs, Func<JsonObject, JsonNode?> pick, bool signed = false)
    {
        (double mean, double std) = Mean(runs, pick);
        if (double.IsNaN(mean))
        {
            return "–";
        }
        string m = (100 * mean).ToString(signed ? "+0.00;-0.00" : "0.00", CultureInfo.InvariantCulture);
        return runs.Count > 1 ? $"{m} ± {(100 * std).ToString("0.00", CultureInfo.InvariantCulture)}" : m;
    }
}
