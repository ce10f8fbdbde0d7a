using System.Globalization;
using System.Text.Json.Nodes;
using Tessera.Experiments;

namespace Tessera.Methods.BadMinima;

/// <summary>
/// The whole experiment of "Bad Global Minima Exist and SGD Can Reach Them" from one command: per seed, θ_0, phase 1
/// (the adversarial initialisation θ_adv) once, then every phase-2 cell (setting × init). Layout of the run directory:
/// <code>
/// s0/theta0.dat  s0/theta_adv.dat  s0/phase1/          (a child run: metrics.jsonl, checkpoints/, summary.json)
/// s0/&lt;setting&gt;/&lt;init&gt;/                               (one child run per cell, plus its model.dat)
/// table.md  summary.json  metrics.jsonl  plots/        (the grid: every cell's metrics, tagged seed/setting/init)
/// </code>
/// A child with a summary.json is finished and is never redone; <c>tessera run bad-minima --resume &lt;run-dir&gt;</c>
/// skips those and continues a half-finished one from its latest checkpoint.
/// </summary>
public sealed class BadMinimaExperiment : Experiment<BadMinimaConfig>
{
    internal const string MethodName = "bad-minima";

    private readonly RegularizerCatalog _regularizers;

    public BadMinimaExperiment() : this(RegularizerCatalog.Default)
    {
    }

    /// <summary>An experiment whose grid settings may also use the regularizers added to <paramref name="regularizers"/>.</summary>
    public BadMinimaExperiment(RegularizerCatalog regularizers) => _regularizers = regularizers;

    public override string Name => MethodName;

    public override string Description => "Bad global minima: random-label adversarial initialisation, then SGD with and without explicit regularization.";

    public override string Reference => "src/Tessera/Methods/BadMinima/README.md";

    public override JsonObject Run(BadMinimaConfig config, RunContext ctx)
    {
        IReadOnlyList<Setting> settings = _regularizers.ParseAll(config.Grid.Settings);
        var recipes = settings.ToDictionary(s => s, s => _regularizers.Recipe(s, config.Phase2));
        string modelName = config.Model.Name.Trim().ToLowerInvariant();
        if (!BadMinimaModels.Names.Contains(modelName))
        {
            throw new InputException($"model.name '{config.Model.Name}' is not a model of this method; use one of: {string.Join(", ", BadMinimaModels.Names)}.");
        }
        bool adversarial = config.Grid.Inits.Contains(InitName.Adversarial);

        using BadMinimaData data = BadMinimaData.Load(config.Data);
        ctx.Info(string.Create(CultureInfo.InvariantCulture,
            $"{data.Name}: {config.Data.TrainSize} training images per seed, {data.TestY.shape[0]} test images; {config.Model.Name}; " +
            $"seeds {string.Join(", ", config.Seeds())}; settings {string.Join(", ", settings.Select(s => s.Text))}; inits {string.Join(", ", config.Grid.Inits)}"));

        var phase1 = new Dictionary<long, JsonObject>();
        var cells = new List<CellResult>();
        long parameters = 0;
        foreach (long seed in config.Seeds())
        {
            using SeedData seedData = data.ForSeed(seed, config.Data.TrainSize, config.Adversarial, adversarial);
            string seedDir = Path.Combine(ctx.Dir.Path, $"s{seed}");
            Directory.CreateDirectory(seedDir);
            string theta0 = Path.Combine(seedDir, "theta0.dat"), thetaAdv = Path.Combine(seedDir, "theta_adv.dat");
            if (!File.Exists(theta0))
            {
                using nn.Module<Tensor, Tensor> initial = Phases.InitialModel(config, data, seed);
                Phases.SaveModel(initial, theta0);
            }
            if (parameters == 0)
            {
                using nn.Module<Tensor, Tensor> probe = Phases.LoadModel(config, data, theta0);
                parameters = probe.parameters().Sum(p => p.numel());
            }
            if (adversarial)
            {
                RunDirectory dir = ctx.Dir.Child(Path.Combine($"s{seed}", "phase1"));
                JsonObject p1 = Phases.Phase1(config, data, seedData, seed, theta0, thetaAdv, dir, ctx);
                string fingerprint = p1["fingerprint"]!.GetValue<string>();
                if (fingerprint != seedData.Adversarial!.Fingerprint)
                {
                    throw new InputException($"'{dir.SummaryFile}' was made from a different adversarial set (fingerprint {fingerprint}, now " +
                        $"{seedData.Adversarial.Fingerprint}): the code or data changed since that run. Start a new run instead of resuming.");
                }
                phase1[seed] = p1;
                CopyMetrics(ctx, dir, ("seed", Str(seed)), ("phase", "phase1"));
            }
            foreach (Setting setting in settings)
            {
                foreach (string init in config.Grid.Inits)
                {
                    ctx.Cancel.ThrowIfCancellationRequested();
                    RunDirectory dir = ctx.Dir.Child(Path.Combine($"s{seed}", setting.DirName, init));
                    JsonObject summary = Phases.Phase2(config, data, seedData, seed, setting, recipes[setting], init,
                        init == InitName.Random ? theta0 : thetaAdv, dir, ctx);
                    cells.Add(new CellResult(seed, setting, init, summary));
                    CopyMetrics(ctx, dir, ("seed", Str(seed)), ("phase", "phase2"), ("setting", setting.Text), ("init", init));
                    RunDirectory.WriteAtomically(Path.Combine(ctx.Dir.Path, "table.md"), BadMinimaReport.Table(config, settings, phase1, cells));
                }
            }
        }

        var checks = BadMinimaReport.Checks(settings, phase1, cells);
        foreach (SpecCheck c in checks)
        {
            ctx.Info($"{(c.Holds ? "holds " : "FAILS ")} {c.Name}: {c.Measured} (spec: {c.Threshold})");
        }
        return BadMinimaReport.Summary(config, data, parameters, settings, phase1, cells, checks);
    }

    /// <summary>Copies a finished child's metrics into the grid's metrics.jsonl, tagged with the cell. Step-0 records
    /// stay in the child (the grid's metrics are rebuilt on every resume, and a resumed run keeps step-0 lines).</summary>
    private static void CopyMetrics(RunContext ctx, RunDirectory child, params (string Key, string Value)[] tags)
    {
        JsonObject summary = child.ReadSummary();
        long steps = summary["steps"]!.GetValue<long>();
        long epochs = Math.Max(1, summary["epochs"]!.GetValue<long>());
        double stepsPerEpoch = (double)steps / epochs;
        foreach (MetricRecord r in MetricsWriter.Read(child.MetricsFile).Where(r => r.Step > 0))
        {
            string epoch = Math.Round(r.Step / stepsPerEpoch, 3).ToString(CultureInfo.InvariantCulture);
            ctx.Log(r.Step, r.Split, r.Metric, r.Value, [.. tags, ("epoch", epoch)]);
        }
    }

    private static string Str(long v) => v.ToString(CultureInfo.InvariantCulture);

    public override IEnumerable<Figure> Figures(IReadOnlyList<MetricRecord> metrics) => BadMinimaReport.Figures(metrics);

    /// <summary>The headline effect on one seed of the reduced run: vanilla SGD and momentum, from θ_0 and θ_adv.</summary>
    public override QuickstartLine Quickstart(RunDirectory dir, IRunSink sink)
    {
        JsonObject s = RunPreset("quickstart", dir, sink);
        JsonObject table = s["table"]!.AsObject();
        double vanilla = table["vanilla"]!["gap"]!.GetValue<double>(), mom = table["mom"]!["gap"]!.GetValue<double>();
        return new QuickstartLine("bad-minima",
            "after random-label pretraining, vanilla SGD reaches 100% train accuracy but tests worse; explicit regularization (here momentum) closes the gap",
            string.Create(CultureInfo.InvariantCulture,
                $"Fashion-MNIST n={s["train_size"]}, MLP-BN: test-accuracy gap random−adversarial init {100 * vanilla:F1} pts vanilla, {100 * mom:F1} pts with momentum"),
            vanilla >= 0.02 && Math.Abs(mom) <= 0.02 && Math.Abs(mom) <= vanilla / 2);
    }
}

/// <summary>A finished phase-2 cell.</summary>
public sealed record CellResult(long Seed, Setting Setting, string Init, JsonObject Summary)
{
    public double Number(string key) => Summary[key]?.GetValue<double>() ?? double.NaN;
}
