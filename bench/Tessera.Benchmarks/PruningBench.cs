using System.Globalization;
using System.Text.Json.Nodes;
using Tessera.Experiments;
using Tessera.Methods.Pruning;

namespace Tessera.Benchmarks;

/// <summary>
/// Wall time to a ticket, Gem-Miner against IMP with weight rewinding at the same density (0.8^19 = 1.44 %), measured
/// in one process with the experiment's own phase clocks (training time, evaluation excluded), and both tickets'
/// accuracy after training their weights. The R5 setting of the Gem-Miner spec (MLP-FM on Fashion-MNIST, IMP 20
/// trainings, Gem-Miner E mining + E fine-tuning epochs), by default on 10k training images and E = 5 to keep it short.
/// </summary>
public static class PruningBench
{
    public static void Run(string[] args)
    {
        bool full = args.Contains("--full");
        int train = Option(args, "--train", full ? 0 : 10_000);
        int epochs = Option(args, "--epochs", full ? 10 : 5);
        // IMP rewinds to update 200 of 469 per epoch in R5 (0.43 epoch); keep that fraction for other sizes.
        int stepsPerEpoch = (int)Math.Ceiling((train == 0 ? 60_000 : train) / 128.0);
        int rewind = Option(args, "--rewind", (int)Math.Round(200.0 / 469 * stepsPerEpoch));
        string milestones = $"[{epochs / 2},{3 * epochs / 4}]";
        string[] overrides =
        [
            $"data.trainSize={train}", $"mine.epochs={epochs}", $"finetune.epochs={epochs}", $"finetune.milestones={milestones}",
            $"imp.epochs={epochs}", $"imp.milestones={milestones}", $"imp.rewindStep={rewind}",
            $"threads={torch.get_num_threads()}",
        ];
        var experiment = new GemMinerExperiment();
        var config = (PruningConfig)experiment.LoadConfig([Presets.Load("gem-miner", "r5")], overrides);
        Console.WriteLine($"gem-miner vs IMP (spec R5): MLP-FM, {(train == 0 ? 60_000 : train)} training images, {epochs} epochs per training, IMP {config.Imp.Rounds} prunings, rewind to update {rewind}");

        string root = Directory.CreateTempSubdirectory("tessera-bench-pruning-").FullName;
        try
        {
            RunDirectory dir = RunDirectory.Create(Path.Combine(root, "run"), root, "gem-miner", "bench", config.Seed);
            JsonObject summary;
            using (RunContext ctx = RunContext.Start(dir, NullSink.Instance))
            {
                summary = experiment.Run(config, ctx);
                ctx.Finish(summary);
            }
            var tickets = (JsonObject)summary["tickets"]!;
            JsonObject imp = (JsonObject)tickets.First(t => t.Key.StartsWith("imp@", StringComparison.Ordinal)).Value!;
            JsonObject gm = (JsonObject)tickets.First(t => t.Key.StartsWith("gem-miner@", StringComparison.Ordinal)).Value!;
            var compare = (JsonObject)((JsonObject)summary["imp_vs_gem_miner"]!).First().Value!;
            Console.WriteLine("| method | density | epochs to the ticket | wall time to the ticket | accuracy before / after training the weights |");
            Console.WriteLine("|---|---|---|---|---|");
            foreach ((string name, JsonObject t) in new[] { ("IMP (weight rewinding)", imp), ("Gem-Miner", gm) })
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {name} | {Num(t, "density"):P2} | {Num(t, "ticket_epochs")} | {Num(t, "ticket_wall_s"):F1} s | {Num(t, "pre_ft_acc"):P2} / {Num(t, "post_ft_acc"):P2} |"));
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"wall time to a ticket, IMP / Gem-Miner: {Num(compare, "ticket_wall_ratio"):F1}x (epochs {Num(compare, "ticket_epoch_ratio"):F1}x; " +
                $"with the final training of each ticket {Num(compare, "total_epoch_ratio"):F1}x; paper: up to 19x)"));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static double Num(JsonObject o, string key) => double.Parse(o[key]!.ToJsonString(), CultureInfo.InvariantCulture);

    private static int Option(string[] args, string name, int fallback) =>
        args.SkipWhile(a => a != name).Skip(1).Select(v => int.Parse(v, CultureInfo.InvariantCulture)).DefaultIfEmpty(fallback).First();
}
