using System.Globalization;
using System.Text.Json.Nodes;
using Tessera.Experiments;

namespace Tessera.Methods.Pruning;

/// <summary>
/// <c>tessera run gem-miner</c>: finds sparse subnetworks with Gem-Miner and the baselines (IMP with weight rewinding,
/// learning-rate rewinding, SNIP, GraSP, SynFlow, magnitude and random at initialisation, Edge-popup), trains each
/// ticket's weights with the mask fixed, and runs the sanity checks that separate real tickets from shuffled,
/// re-initialised, inverted or random ones.
/// </summary>
public sealed class GemMinerExperiment : Experiment<PruningConfig>, ISweepReport
{
    public override string Name => "gem-miner";

    public override string Description =>
        "Pruning at initialisation: Gem-Miner rare gems vs IMP, LRR, SNIP, GraSP, SynFlow, magnitude, random, Edge-popup, with sanity checks.";

    public override string Reference => "src/Tessera/Methods/Pruning/README.md";

    public override JsonObject Run(PruningConfig config, RunContext ctx)
    {
        using var run = new PruningRun(config, ctx);
        JsonObject summary = run.Run();
        RunDirectory.WriteAtomically(Path.Combine(ctx.Dir.Path, "tickets.md"), TicketTable(summary));
        return summary;
    }

    /// <summary>One row per ticket: density, accuracy before and after training the weights, the cost of finding it
    /// (epochs and wall time, evaluation excluded) and its sanity checks with the ticket's gap to each.</summary>
    public static string TicketTable(JsonObject summary)
    {
        var md = new System.Text.StringBuilder(string.Create(CultureInfo.InvariantCulture,
            $"# Tickets: {summary["model"]} on {summary["dataset"]} ({summary["prunable_weights"]} prunable weights)\n\n"));
        md.Append("| ticket | density | before training | after training | epochs to the ticket | wall time to the ticket | sanity checks (after training, gap) |\n");
        md.Append("|---|---|---|---|---|---|---|\n");
        static string P(JsonNode? n) => double.IsFinite(PruningRun.Number(n)) ? (100 * PruningRun.Number(n)).ToString("0.00", CultureInfo.InvariantCulture) : "–";
        foreach ((string id, JsonNode? node) in summary["tickets"] as JsonObject ?? [])
        {
            if (node is not JsonObject t)
            {
                continue;
            }
            string checks = string.Join(", ", (t["sanity"] as JsonObject ?? []).Select(c =>
                $"{c.Key} {P(c.Value?["post_ft_acc"])} ({(100 * PruningRun.Number(c.Value?["gap"])).ToString("+0.00;-0.00", CultureInfo.InvariantCulture)})"));
            md.Append(CultureInfo.InvariantCulture,
                $"| {id} | {P(t["density"])} % | {P(t["pre_ft_acc"])} % | {P(t["post_ft_acc"])} % | {t["ticket_epochs"]} | {PruningRun.Number(t["ticket_wall_s"]):F1} s | {(checks.Length == 0 ? "–" : checks)} |\n");
        }
        return md.ToString();
    }

    public override IEnumerable<Figure> Figures(IReadOnlyList<MetricRecord> metrics) => PruningFigures.For(metrics);

    public IEnumerable<Figure> SweepFigures(IReadOnlyList<SweepResult> results) => PruningSweep.Figures(results);

    public string SweepTable(IReadOnlyList<SweepResult> results) => PruningSweep.Table(results);

    /// <summary>The smoke preset (spec S0): a rare gem at 10 % density, before any weight training, next to a random
    /// mask of the same density, and both after fine-tuning.</summary>
    public override QuickstartLine Quickstart(RunDirectory dir, IRunSink sink)
    {
        JsonObject s = RunPreset("smoke", dir, sink);
        var gm = (JsonObject)s["tickets"]!["gem-miner@0.1"]!;
        double pre = PruningRun.Number(gm["pre_ft_acc"]), post = PruningRun.Number(gm["post_ft_acc"]);
        double randomPre = PruningRun.Number(gm["sanity"]?["random"]?["pre_ft_acc"]);
        double randomPost = PruningRun.Number(gm["sanity"]?["random"]?["post_ft_acc"]);
        return new QuickstartLine("gem-miner",
            "a mask found without training any weight is already accurate at init (a \"rare gem\"); random masks of the same density are near chance",
            string.Create(CultureInfo.InvariantCulture,
                $"MLP, 10% density, 5k Fashion-MNIST: gem {pre:P1} before any weight training vs random mask {randomPre:P1}; after fine-tuning {post:P1} vs {randomPost:P1}"),
            pre >= 0.30 && post >= 0.70);
    }
}
