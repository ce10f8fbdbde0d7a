using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Tessera.Experiments;

namespace Tessera.Methods.BadMinima;

/// <summary>One acceptance line of spec §6.4: what was measured, the spec's threshold, and whether it holds.</summary>
public sealed record SpecCheck(string Name, string Measured, string Threshold, bool Holds);

/// <summary>The grid's table (next to the spec's prototype numbers and the paper's claim), the §6.4 checks, the
/// summary and the figures.</summary>
public static class BadMinimaReport
{
    /// <summary>Spec §6.3, prototype of the F1 run, seed 0, test accuracy % (random init, adversarial init), by canonical setting.</summary>
    public static IReadOnlyDictionary<string, (double Random, double Adversarial)> SpecPrototype { get; } =
        new Dictionary<string, (double, double)>
        {
            ["vanilla"] = (82.87, 77.77),
            ["l2"] = (82.92, 78.04),
            ["l2=0.05"] = (82.90, 79.32),
            ["mom"] = (82.99, 82.21),
            ["da"] = (78.14, 77.85),
            ["da+l2+mom"] = (82.84, 81.91),
            ["da+l2=0.05+mom"] = (80.84, 81.00),
        };

    private static bool IsF1(BadMinimaConfig c) =>
        c.Data.Dataset == "fashion-mnist" && c.Model.Name == "mlp-bn" && c.Model.Hidden.SequenceEqual([512, 512]) && c.Data.TrainSize == 2000
        && c.Data.TestSize == 0 && c.Adversarial.Copies == 10 && c.Adversarial.ZeroRatio == 0.1 && c.Phase2.Lr == 0.01 && c.Phase2.Epochs == 60
        && c.Phase2.DecayEpochs.SequenceEqual([30, 45]);

    private static string Pct(double v) => double.IsNaN(v) ? "–" : (100 * v).ToString("F2", CultureInfo.InvariantCulture);

    private static string Pts(double v) => double.IsNaN(v) ? "–" : (100 * v).ToString("+0.00;−0.00;0.00", CultureInfo.InvariantCulture);

    /// <summary>Points with an ASCII sign, for summary.json.</summary>
    private static string PlainPts(double v) => double.IsNaN(v) ? "n/a" : (100 * v).ToString("0.00", CultureInfo.InvariantCulture);

    private static string PlainPct(double v) => double.IsNaN(v) ? "n/a" : (100 * v).ToString("0.00", CultureInfo.InvariantCulture);

    private static string F(double v, string format = "F1") => double.IsNaN(v) ? "–" : v.ToString(format, CultureInfo.InvariantCulture);

    private static string MeanStd(IReadOnlyCollection<double> values, Func<double, string> format)
    {
        (double mean, double std) = Stats.MeanStd(values);
        return values.Count > 1 ? $"{format(mean)} ± {format(std).TrimStart('+', '−')}" : format(mean);
    }

    private static IEnumerable<CellResult> Of(IEnumerable<CellResult> cells, Setting s, string init) =>
        cells.Where(c => c.Setting == s && c.Init == init).OrderBy(c => c.Seed);

    /// <summary>RI − AI test accuracy per seed that has both cells.</summary>
    public static IReadOnlyList<double> Gaps(IReadOnlyList<CellResult> cells, Setting s) =>
        Of(cells, s, InitName.Random).Join(Of(cells, s, InitName.Adversarial), r => r.Seed, a => a.Seed,
            (r, a) => r.Number("test_acc") - a.Number("test_acc")).ToArray();

    private static double[] Values(IReadOnlyList<CellResult> cells, Setting s, string init, string key) =>
        Of(cells, s, init).Select(c => c.Number(key)).ToArray();

    private static double Mean(IReadOnlyCollection<double> v) => v.Count == 0 ? double.NaN : v.Average();

    public static string Table(BadMinimaConfig config, IReadOnlyList<Setting> settings, IReadOnlyDictionary<long, JsonObject> phase1,
        IReadOnlyList<CellResult> cells)
    {
        var md = new StringBuilder("# Bad global minima: test accuracy by regularizer and initialisation\n\n");
        md.Append(CultureInfo.InvariantCulture,
            $"{config.Data.Dataset}, {config.Model.Name}, n = {config.Data.TrainSize} training images per seed, R = {config.Adversarial.Copies} copies, " +
            $"ρ = {config.Adversarial.ZeroRatio}; phase 2: SGD lr {config.Phase2.Lr}, batch {config.Phase2.BatchSize}, {config.Phase2.Epochs} epochs " +
            $"(× {config.Phase2.DecayFactor} after epochs {string.Join(", ", config.Phase2.DecayEpochs)}); seeds {string.Join(", ", cells.Select(c => c.Seed).Distinct())}. " +
            $"Accuracies in % (mean ± sample std over seeds); gap = random init − adversarial init, in points.\n\n");
        if (phase1.Count > 0)
        {
            md.Append("## Phase 1: memorising random labels\n\n| seed | epochs | random-label accuracy (eval mode) | θ_adv test accuracy (true labels) | ‖θ_0‖₂ | ‖θ_adv‖₂ | labels equal to the true one |\n|---|---|---|---|---|---|---|\n");
            foreach ((long seed, JsonObject p) in phase1.OrderBy(kv => kv.Key))
            {
                md.Append(CultureInfo.InvariantCulture,
                    $"| {seed} | {p["epochs"]} | {Pct(Num(p, "adversarial_acc"))} | {Pct(Num(p, "test_acc"))} | {F(Num(p, "theta0_norm"))} | {F(Num(p, "norm"))} | {Pct(Num(p, "label_agreement"))} |\n");
            }
            md.Append('\n');
        }
        bool f1 = IsF1(config);
        md.Append("## Phase 2: training on the true labels\n\n");
        md.Append("| setting | random init | adversarial init | gap | gap per seed | train acc random / adversarial | ‖θ‖₂ random / adversarial | spec prototype (seed 0): random / adversarial / gap | paper |\n");
        md.Append("|---|---|---|---|---|---|---|---|---|\n");
        foreach (Setting s in settings)
        {
            double[] ri = Values(cells, s, InitName.Random, "test_acc"), ai = Values(cells, s, InitName.Adversarial, "test_acc");
            IReadOnlyList<double> gaps = Gaps(cells, s);
            string spec = f1 && SpecPrototype.TryGetValue(s.Canonical, out var proto)
                ? string.Create(CultureInfo.InvariantCulture, $"{proto.Random:F2} / {proto.Adversarial:F2} / {proto.Random - proto.Adversarial:+0.0;−0.0}")
                : "–";
            string paper = s.Terms.Count == 0 ? "adversarial clearly lower (up to 40 pts on CIFAR/CINIC/Restricted ImageNet)" : "adversarial ≈ random";
            md.Append(CultureInfo.InvariantCulture,
                $"| {s.Text} | {MeanStd(ri, Pct)} | {MeanStd(ai, Pct)} | {MeanStd(gaps.ToArray(), Pts)} | {string.Join(", ", gaps.Select(Pts))} | " +
                $"{Pct(Mean(Values(cells, s, InitName.Random, "train_acc")))} / {Pct(Mean(Values(cells, s, InitName.Adversarial, "train_acc")))} | " +
                $"{F(Mean(Values(cells, s, InitName.Random, "norm")))} / {F(Mean(Values(cells, s, InitName.Adversarial, "norm")))} | {spec} | {paper} |\n");
        }
        md.Append("\nThe paper's per-cell numbers are not reproduced here (spec §5: its table was not available); its claim is the pattern in the last column.\n");
        return md.ToString();
    }

    private static double Num(JsonObject o, string key) => o[key]?.GetValue<double>() ?? double.NaN;

    /// <summary>The acceptance criteria of spec §6.4 (items 1–6) that this grid has the cells for. Thresholds are the
    /// spec's, calibrated for the F1 run (means over seeds unless the line says otherwise).</summary>
    public static IReadOnlyList<SpecCheck> Checks(IReadOnlyList<Setting> settings, IReadOnlyDictionary<long, JsonObject> phase1,
        IReadOnlyList<CellResult> cells)
    {
        var checks = new List<SpecCheck>();
        string Join(IEnumerable<double> v, Func<double, string> f) => string.Join(", ", v.Select(f));
        if (phase1.Count > 0)
        {
            double[] acc = phase1.OrderBy(kv => kv.Key).Select(kv => Num(kv.Value, "adversarial_acc")).ToArray();
            checks.Add(new SpecCheck("1. phase 1 reaches 99.9% eval-mode accuracy on the random labels, every seed",
                $"{Join(acc, PlainPct)}% after {string.Join(", ", phase1.OrderBy(kv => kv.Key).Select(kv => kv.Value["epochs"]))} epochs", "at least 99.9% within 200 epochs",
                acc.All(a => a >= 0.999) && phase1.Values.All(p => p["epochs"]!.GetValue<long>() <= 200)));
            double[] test = phase1.Values.Select(p => Num(p, "test_acc")).ToArray();
            checks.Add(new SpecCheck("2. theta_adv accuracy on the true test labels", $"{PlainPct(test.Average())}%", "at most 15%", test.Average() <= 0.15));
        }
        Setting? Find(string canonical) => settings.FirstOrDefault(s => s.Canonical == canonical);
        double vanillaGap = double.NaN;
        if (Find("vanilla") is { } vanilla && Gaps(cells, vanilla).Count > 0)
        {
            IReadOnlyList<double> gaps = Gaps(cells, vanilla);
            double aiTrain = Mean(Values(cells, vanilla, InitName.Adversarial, "train_acc")), riTrain = Mean(Values(cells, vanilla, InitName.Random, "train_acc"));
            vanillaGap = gaps.Average();
            checks.Add(new SpecCheck("3a. vanilla: adversarial-init train accuracy", $"{PlainPct(aiTrain)}%", "at least 99.5%", aiTrain >= 0.995));
            checks.Add(new SpecCheck("3b. vanilla: random-init train accuracy", $"{PlainPct(riTrain)}%", "at least 95%", riTrain >= 0.95));
            checks.Add(new SpecCheck("3c. vanilla: gap (mean)", $"{PlainPts(vanillaGap)} pts", "at least 3.0 pts", vanillaGap >= 0.03));
            checks.Add(new SpecCheck("3d. vanilla: gap of every seed", $"{Join(gaps, PlainPts)} pts", "at least 2.0 pts each", gaps.All(g => g >= 0.02)));
            double aiNorm = Mean(Values(cells, vanilla, InitName.Adversarial, "norm")), riNorm = Mean(Values(cells, vanilla, InitName.Random, "norm"));
            checks.Add(new SpecCheck("6. vanilla: parameter norm adversarial / random", $"{F(aiNorm)} / {F(riNorm)} = {F(aiNorm / riNorm, "F2")}", "at least 1.2", aiNorm >= 1.2 * riNorm));
        }
        foreach ((string canonical, string label) in new[] { ("mom", "4a. mom"), ("da+l2+mom", "4b. all") })
        {
            if (Find(canonical) is { } s && Gaps(cells, s).Count > 0)
            {
                double gap = Gaps(cells, s).Average();
                bool half = double.IsNaN(vanillaGap) || Math.Abs(gap) <= vanillaGap / 2;
                checks.Add(new SpecCheck($"{label}: |gap|, and at most half the vanilla gap", $"{PlainPts(gap)} pts (vanilla {PlainPts(vanillaGap)})",
                    "|gap| at most 2.0 pts and at most half the vanilla gap", Math.Abs(gap) <= 0.02 && half));
            }
        }
        if (Find("da") is { } da && Gaps(cells, da).Count > 0)
        {
            double gap = Gaps(cells, da).Average();
            checks.Add(new SpecCheck("5. da: |gap|", $"{PlainPts(gap)} pts", "at most 1.5 pts", Math.Abs(gap) <= 0.015));
        }
        return checks;
    }

    public static JsonObject Summary(BadMinimaConfig config, BadMinimaData data, long parameters, IReadOnlyList<Setting> settings,
        IReadOnlyDictionary<long, JsonObject> phase1, IReadOnlyList<CellResult> cells, IReadOnlyList<SpecCheck> checks)
    {
        JsonNode? N(double v) => Phases.Finite(v);
        var table = new JsonObject();
        foreach (Setting s in settings)
        {
            (double riMean, double riStd) = Stats.MeanStd(Values(cells, s, InitName.Random, "test_acc"));
            (double aiMean, double aiStd) = Stats.MeanStd(Values(cells, s, InitName.Adversarial, "test_acc"));
            IReadOnlyList<double> gaps = Gaps(cells, s);
            (double gapMean, double gapStd) = Stats.MeanStd(gaps.ToArray());
            table[s.Text] = new JsonObject
            {
                ["canonical"] = s.Canonical,
                ["random"] = N(riMean),
                ["random_std"] = N(riStd),
                ["adversarial"] = N(aiMean),
                ["adversarial_std"] = N(aiStd),
                ["gap"] = N(gapMean),
                ["gap_std"] = N(gapStd),
                ["gaps"] = new JsonArray(gaps.Select(g => N(g)).ToArray()),
                ["random_per_seed"] = new JsonArray(Values(cells, s, InitName.Random, "test_acc").Select(v => N(v)).ToArray()),
                ["adversarial_per_seed"] = new JsonArray(Values(cells, s, InitName.Adversarial, "test_acc").Select(v => N(v)).ToArray()),
                ["random_train_acc"] = N(Mean(Values(cells, s, InitName.Random, "train_acc"))),
                ["adversarial_train_acc"] = N(Mean(Values(cells, s, InitName.Adversarial, "train_acc"))),
                ["random_norm"] = N(Mean(Values(cells, s, InitName.Random, "norm"))),
                ["adversarial_norm"] = N(Mean(Values(cells, s, InitName.Adversarial, "norm"))),
                ["random_distance"] = N(Mean(Values(cells, s, InitName.Random, "distance"))),
                ["adversarial_distance"] = N(Mean(Values(cells, s, InitName.Adversarial, "distance"))),
                ["random_path_norm_l2"] = N(Mean(Values(cells, s, InitName.Random, "path_norm_l2"))),
                ["adversarial_path_norm_l2"] = N(Mean(Values(cells, s, InitName.Adversarial, "path_norm_l2"))),
            };
        }
        return new JsonObject
        {
            ["dataset"] = data.Name,
            ["model"] = config.Model.Name,
            ["parameters"] = parameters,
            ["train_size"] = config.Data.TrainSize,
            ["test_size"] = data.TestY.shape[0],
            ["copies"] = config.Adversarial.Copies,
            ["zero_ratio"] = config.Adversarial.ZeroRatio,
            ["seeds"] = new JsonArray(config.Seeds().Select(s => (JsonNode)s).ToArray()),
            ["phase1"] = new JsonObject(phase1.OrderBy(kv => kv.Key).Select(kv => KeyValuePair.Create($"s{kv.Key}", (JsonNode?)kv.Value.DeepClone()))),
            ["table"] = table,
            ["checks"] = new JsonArray(checks.Select(c => (JsonNode)new JsonObject
            {
                ["check"] = c.Name,
                ["measured"] = c.Measured,
                ["threshold"] = c.Threshold,
                ["holds"] = c.Holds,
            }).ToArray()),
        };
    }

    /// <summary>
    /// For a grid run: per setting, test and train accuracy against the epoch from both inits (mean over seeds); the
    /// final test accuracy and ‖θ‖₂ by setting (bars); phase 1's random-label and true-label accuracy. For a child run
    /// (a phase or a cell): the standard figures.
    /// </summary>
    public static IEnumerable<Figure> Figures(IReadOnlyList<MetricRecord> metrics)
    {
        MetricRecord[] phase2 = metrics.Where(m => m.Get("phase") == "phase2" && double.IsFinite(m.Value)).ToArray();
        MetricRecord[] phase1 = metrics.Where(m => m.Get("phase") == "phase1" && double.IsFinite(m.Value)).ToArray();
        if (phase2.Length == 0 && phase1.Length == 0)
        {
            foreach (Figure f in Figure.Standard(metrics))
            {
                yield return f;
            }
            yield break;
        }
        double Epoch(MetricRecord m) => double.Parse(m.Get("epoch")!, CultureInfo.InvariantCulture);
        string[] settings = phase2.Select(m => m.Get("setting")!).Distinct().ToArray();
        string[] inits = phase2.Select(m => m.Get("init")!).Distinct().ToArray();
        foreach (string setting in settings)
        {
            var series = new List<FigureSeries>();
            foreach (string split in new[] { "test", "train" })
            {
                foreach (string init in inits)
                {
                    var points = phase2.Where(m => m.Get("setting") == setting && m.Get("init") == init && m.Split == split && m.Metric == "acc")
                        .GroupBy(Epoch).OrderBy(g => g.Key).ToArray();
                    if (points.Length > 0)
                    {
                        series.Add(new FigureSeries($"{init} init, {split}", points.Select(g => g.Key).ToArray(), points.Select(g => 100 * g.Average(m => m.Value)).ToArray()));
                    }
                }
            }
            yield return new Figure($"acc_{setting.Replace('=', '-').Replace('+', '_')}", $"{setting}: accuracy on the true labels (mean over seeds)",
                "epoch", "accuracy (%)", series);
        }
        if (settings.Length > 0)
        {
            foreach ((string file, string split, string metric, string title, string y, double scale) in new[]
                     {
                         ("final_test_acc", "test", "acc", "Final test accuracy by setting (mean over seeds)", "test accuracy (%)", 100.0),
                         ("final_param_norm", "params", "norm", "Final ‖θ‖₂ by setting (mean over seeds)", "‖θ‖₂", 1.0),
                     })
            {
                var series = inits.Select(init => new FigureSeries($"{init} init", settings.Select((_, i) => (double)i).ToArray(),
                    settings.Select(s => scale * Final(phase2, s, init, split, metric)).ToArray())).ToArray();
                yield return new Figure(file, title, "setting", y, series, Categories: settings);
            }
        }
        if (phase1.Length > 0)
        {
            var series = new List<FigureSeries>();
            foreach (var bySeed in phase1.GroupBy(m => m.Get("seed")!))
            {
                foreach ((string split, string label) in new[] { ("adversarial", "random labels (eval mode)"), ("test", "true test labels") })
                {
                    MetricRecord[] points = bySeed.Where(m => m.Split == split && m.Metric == "acc").OrderBy(m => m.Step).ToArray();
                    series.Add(new FigureSeries($"s{bySeed.Key} {label}", points.Select(Epoch).ToArray(), points.Select(m => 100 * m.Value).ToArray()));
                }
            }
            yield return new Figure("phase1", "Phase 1: memorising random labels", "epoch", "accuracy (%)", series);
        }
    }

    /// <summary>The mean over seeds of a metric's last value in each cell.</summary>
    private static double Final(IEnumerable<MetricRecord> phase2, string setting, string init, string split, string metric)
    {
        double[] last = phase2.Where(m => m.Get("setting") == setting && m.Get("init") == init && m.Split == split && m.Metric == metric)
            .GroupBy(m => m.Get("seed")).Select(g => g.MaxBy(m => m.Step)!.Value).ToArray();
        return last.Length == 0 ? double.NaN : last.Average();
    }
}
