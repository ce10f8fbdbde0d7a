using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Tessera.Experiments;
using Tessera.Nn;
using Tessera.Training;

namespace Tessera.Methods.LoopedTf;

/// <summary>
/// Looped transformers for in-context learning (Yang et al. 2024; spec looped-transformer.md): trains the looped
/// model (one block applied b times with input injection, truncated loss window T) and a standard GPT-2-style model on
/// fresh prompts of a function class, then reports the normalised error against the number of in-context examples for
/// both models and the classical baselines on the same prompts, the looped model's error as it loops beyond b
/// (fixed-point behaviour), parameter counts, and the spec's §6 checks.
/// </summary>
public sealed class LoopedExperiment : Experiment<LoopedConfig>
{
    public override string Name => "looped";

    public override string Description => "Looped transformers learn in-context regression: looped vs standard GPT-2 vs classical baselines.";

    public override string Reference => "src/Tessera/Methods/LoopedTf/README.md";

    public override JsonObject Run(LoopedConfig config, RunContext ctx)
    {
        FunctionClass task = FunctionClass.Create(config.Task);
        var summary = new JsonObject
        {
            ["task"] = config.Task.Name,
            ["dims"] = config.Task.Dims,
            ["points"] = config.Task.Points,
            ["steps"] = config.Train.Steps,
        };
        using var models = new TrainedModels();
        if (config.Looped.Enabled)
        {
            models.Looped = (LoopedTransformer)Train(config, task, "looped", ctx, summary);
        }
        if (config.Standard.Enabled)
        {
            models.Standard = (IclTransformer)Train(config, task, "standard", ctx, summary);
        }
        Evaluate(config, task, models, ctx, summary);
        return summary;
    }

    /// <summary>The looped model's iterations b at step <paramref name="step"/> (the loops curriculum, or fixed).</summary>
    public static int LoopsAt(LoopedConfig c, long step) => c.Curriculum.Enabled ? c.Curriculum.Loops.At(step) : c.Looped.Loops;

    public static int DimsAt(LoopedConfig c, long step) => c.Curriculum.Enabled ? c.Curriculum.Dims.At(step) : c.Task.Dims;

    public static int PointsAt(LoopedConfig c, long step) => c.Curriculum.Enabled ? c.Curriculum.Points.At(step) : c.Task.Points;

    /// <summary>The looped model: <c>IclConfig</c> with the looped stack depth and the trained b.</summary>
    public static LoopedTransformer CreateLooped(LoopedConfig c) =>
        new(new IclConfig(c.Task.Dims, c.Model.NPositions, c.Looped.Layers, c.Model.NHead, c.Model.NEmbd), LoopsAt(c, c.Train.Steps));

    public static IclTransformer CreateStandard(LoopedConfig c) =>
        new(new IclConfig(c.Task.Dims, c.Model.NPositions, c.Standard.Layers, c.Model.NHead, c.Model.NEmbd));

    /// <summary>Window loss of the looped model (spec §2.6): b iterations, loss averaged over the predictions of the last
    /// min(T, b) iterations, all prompts and all positions (every kept iteration weighs the same).</summary>
    public static Tensor LoopedLoss(LoopedTransformer model, Tensor xs, Tensor ys, int loops, int window)
    {
        using var scope = torch.NewDisposeScope();
        Tensor[] preds = model.Loop(xs, ys, loops, Math.Max(0, loops - window));
        var stacked = torch.stack(preds, 0);                                       // (K, B, n)
        return (stacked - ys.unsqueeze(0)).square().mean().MoveToOuterDisposeScope();
    }

    /// <summary>The prompts of training step <paramref name="step"/> (one fixed batch with train.fixedBatch).</summary>
    public static (Tensor Xs, Tensor Ys) TrainingPrompts(LoopedConfig c, FunctionClass task, long step)
    {
        long s = c.Train.FixedBatch ? 0 : step;
        using Generator g = StepSeeds.Generator(c.Seed, s, "prompts");
        return task.Sample(c.Train.BatchSize, PointsAt(c, s), DimsAt(c, s), g);
    }

    private static nn.Module Train(LoopedConfig config, FunctionClass task, string name, RunContext ctx, JsonObject summary)
    {
        bool looped = name == "looped";
        torch.random.manual_seed(StepSeeds.For(config.Seed, -1, "init-" + name));
        nn.Module model;
        Func<long, Tensor, Tensor, Tensor> lossOf;     // (step, xs, ys) → training loss
        Func<long, Tensor, Tensor, Tensor> predict;    // (step, xs, ys) → predictions of the model as trained at that step
        (long Backbone, long Total) counts;
        if (looped)
        {
            LoopedTransformer m = CreateLooped(config);
            m.InitBackbone();
            counts = m.ParameterCounts();
            lossOf = (step, xs, ys) => LoopedLoss(m, xs, ys, LoopsAt(config, step), config.Looped.Window);
            predict = (step, xs, ys) => m.Loop(xs, ys, LoopsAt(config, step), LoopsAt(config, step) - 1)[0];
            model = m;
        }
        else
        {
            IclTransformer m = CreateStandard(config);
            m.InitBackbone();
            counts = m.ParameterCounts();
            lossOf = (_, xs, ys) => (m.call(xs, ys) - ys).square().mean();
            predict = (_, xs, ys) => m.call(xs, ys);
            model = m;
        }
        double lr = looped ? config.Looped.Lr : config.Standard.Lr;
        ctx.Info(string.Create(CultureInfo.InvariantCulture,
            $"{name}: {counts.Total:N0} parameters ({counts.Backbone:N0} in the backbone without positions), Adam lr {lr:G3}"));

        RunDirectory dir = ctx.Dir.Child(name);
        bool resume = Checkpoint.Latest(dir.CheckpointsDir) is not null;
        using RunContext child = resume ? RunContext.Resume(dir, ctx.Sink, ctx.Cancel) : RunContext.Start(dir, ctx.Sink, ctx.Cancel);
        using var optimizer = optim.Adam(model.parameters(), lr);
        LoopedTrainConfig t = config.Train;
        using Generator monitorGen = new((ulong)StepSeeds.For(config.Eval.Seed, -1, "monitor"));
        (Tensor monitorX, Tensor monitorY) = task.Sample(t.MonitorPrompts, config.Task.Points, config.Task.Dims, monitorGen);
        using var mx = monitorX;
        using var my = monitorY;
        double norm = task.Normalizer(config.Task.Dims);

        Tensor StepLoss(long step)
        {
            (Tensor xs, Tensor ys) = TrainingPrompts(config, task, step);
            return lossOf(step, xs, ys);
        }

        var trainer = new Trainer(model, optimizer, StepLoss, LrSchedules.Constant(lr),
            new TrainerOptions(t.Steps, t.LogEvery, t.EvalEvery, t.CheckpointEvery, Task: name), child, config.Seed)
        {
            Evaluate = step =>
            {
                Tensor preds = IclEvaluation.Predict((x, y) => predict(step, x, y), mx, my, config.Eval.BatchSize);
                double err = IclEvaluation.Errors(preds, my, norm)[^1];
                child.Log(step, "monitor", "err_last", err);
                child.Info(string.Create(CultureInfo.InvariantCulture, $"{name} step {step}/{t.Steps}: error at the last position {err:F3}"));
            },
        };
        trainer.Run();

        IReadOnlyList<MetricRecord> records = MetricsWriter.Read(dir.MetricsFile);
        double[] losses = records.Where(r => r.Split == "train" && r.Metric == "loss").Select(r => r.Value).ToArray();
        long[] lossSteps = records.Where(r => r.Split == "train" && r.Metric == "loss").Select(r => r.Step).ToArray();
        foreach (MetricRecord r in records.Where(r => r.Metric is "loss" or "err_last" && r.Split is "train" or "monitor"))
        {
            ctx.Log(r.Step, r.Split, r.Metric, r.Value, ("model", name));
        }
        var modelSummary = new JsonObject
        {
            ["layers"] = looped ? config.Looped.Layers : config.Standard.Layers,
            ["parameters"] = counts.Total,
            ["backbone_parameters"] = counts.Backbone,
            ["lr"] = lr,
            ["final_train_loss"] = losses.Length > 0 ? losses[^1] : null,
            ["train_s"] = Math.Round(child.WallSeconds, 1),
        };
        if (looped)
        {
            modelSummary["loops"] = LoopsAt(config, t.Steps);
            modelSummary["window"] = config.Looped.Window;
        }
        // Mean logged loss over the first and the last 50 steps (the smoke check S of spec §6).
        double[] first = losses.Where((_, i) => lossSteps[i] <= 50).ToArray();
        double[] last = losses.Where((_, i) => lossSteps[i] > t.Steps - 50).ToArray();
        if (first.Length > 0 && last.Length > 0)
        {
            modelSummary["loss_first_50"] = first.Average();
            modelSummary["loss_last_50"] = last.Average();
            modelSummary["loss_ratio"] = last.Average() / first.Average();
        }
        summary[name] = modelSummary;
        child.Finish((JsonObject)modelSummary.DeepClone());
        return model;
    }

    private static void Evaluate(LoopedConfig config, FunctionClass task, TrainedModels models, RunContext ctx, JsonObject summary)
    {
        LoopedEvalConfig e = config.Eval;
        long step = config.Train.Steps;
        double norm = task.Normalizer(config.Task.Dims);
        using Generator g = new((ulong)e.Seed);
        (Tensor xs, Tensor ys) = task.Sample(e.Prompts, config.Task.Points, config.Task.Dims, g);
        using var xsOwner = xs;
        using var ysOwner = ys;
        var curves = new Dictionary<string, double[]>(StringComparer.Ordinal);

        if (models.Looped is { } looped)
        {
            int b = looped.Loops, loops = Math.Max(e.Loops, b);
            ctx.Progress("evaluate looped", 0, 1);
            double[][] byLoop = IclEvaluation.LoopErrors(looped, xs, ys, loops, e.BatchSize, norm);
            curves[$"looped@{b}"] = byLoop[b - 1];
            curves[$"looped@{loops}"] = byLoop[loops - 1];
            summary["eval_loops"] = loops;
            var loopCurve = new JsonObject();
            int mid = Math.Min(2, config.Task.Points - 1);
            for (int t = 1; t <= loops; t++)
            {
                ctx.Log(step, "eval", "loop_err", byLoop[t - 1][^1], ("model", "looped"), ("loops", Inv(t)), ("i", Inv(config.Task.Points - 1)));
                ctx.Log(step, "eval", "loop_err", byLoop[t - 1][mid], ("model", "looped"), ("loops", Inv(t)), ("i", Inv(mid)));
                loopCurve[Inv(t)] = Math.Round(byLoop[t - 1][^1], 5);
            }
            summary["loop_curve_last"] = loopCurve;
            summary["loop_curve_mid"] = new JsonObject { ["i"] = mid, [Inv(b)] = byLoop[b - 1][mid], [Inv(loops)] = byLoop[loops - 1][mid] };
        }
        if (models.Standard is { } standard)
        {
            ctx.Progress("evaluate standard", 0, 1);
            standard.eval();
            using Tensor preds = IclEvaluation.Predict((x, y) => standard.call(x, y), xs, ys, e.BatchSize);
            curves["standard"] = IclEvaluation.Errors(preds, ys, norm);
        }
        var baselinePrompts = new JsonObject();
        foreach (string name in e.Baselines)
        {
            ctx.Progress($"baseline {name}", 0, 1);
            IBaseline baseline = Baselines.Create(name, e, config.Seed);
            int count = Baselines.IsSlow(name) ? Math.Min(e.SlowBaselinePrompts, e.Prompts) : e.Prompts;
            using Tensor bx = xs.narrow(0, 0, count), by = ys.narrow(0, 0, count);
            using Tensor preds = IclEvaluation.Predict(baseline.Predict, bx, by, e.BatchSize);
            curves[name] = IclEvaluation.Errors(preds, by, norm);
            baselinePrompts[name] = count;
        }

        var errors = new JsonObject();
        foreach ((string name, double[] curve) in curves)
        {
            for (int i = 0; i < curve.Length; i++)
            {
                ctx.Log(step, "eval", "err", curve[i], ("model", name), ("i", Inv(i)));
            }
            errors[name] = new JsonArray(curve.Select(v => (JsonNode)Math.Round(v, 6)).ToArray());
            ctx.Info($"{name,-16} " + string.Join(" ", curve.Select((v, i) => string.Create(CultureInfo.InvariantCulture, $"{i}:{v:F3}"))));
        }
        summary["normalizer"] = norm;
        summary["eval_prompts"] = e.Prompts;
        summary["baseline_prompts"] = baselinePrompts;
        summary["err"] = errors;
        LoopedChecks.Apply(config, models.Looped?.Loops, curves, summary);
        RunDirectory.WriteAtomically(Path.Combine(ctx.Dir.Path, "table.md"), Table(config, curves, summary));
    }

    /// <summary>The per-task table: error at every i for every model and baseline, parameter counts and checks.</summary>
    public static string Table(LoopedConfig config, IReadOnlyDictionary<string, double[]> curves, JsonObject summary)
    {
        int n = config.Task.Points;
        var md = new StringBuilder();
        md.Append(CultureInfo.InvariantCulture, $"# {config.Task.Name}, d={config.Task.Dims}, n={n}, {config.Train.Steps} steps\n\n");
        md.Append("Normalised squared error (÷").Append(Inv(summary["normalizer"]!.GetValue<double>()))
            .Append(") against the number i of in-context examples, on the same ").Append(config.Eval.Prompts).Append(" prompts.\n\n");
        md.Append("| model | ").Append(string.Join(" | ", Enumerable.Range(0, n).Select(i => $"i={i}"))).Append(" |\n");
        md.Append("|---|").Append(string.Concat(Enumerable.Repeat("---|", n))).Append('\n');
        foreach ((string name, double[] curve) in curves)
        {
            md.Append("| ").Append(name).Append(" | ").Append(string.Join(" | ", curve.Select(Format))).Append(" |\n");
        }
        md.Append("\n| model | parameters | backbone without positions |\n|---|---|---|\n");
        foreach (string m in new[] { "looped", "standard" })
        {
            if (summary[m] is JsonObject s)
            {
                md.Append(CultureInfo.InvariantCulture, $"| {m} ({s["layers"]} layer(s)) | {s["parameters"]} | {s["backbone_parameters"]} |\n");
            }
        }
        if (summary["checks"] is JsonObject checks)
        {
            md.Append("\n| check | value | threshold | kind | holds |\n|---|---|---|---|---|\n");
            foreach ((string name, JsonNode? c) in checks)
            {
                md.Append(CultureInfo.InvariantCulture,
                    $"| {name} | {c!["value"]} | {c["threshold"]} | {(c["hard"]!.GetValue<bool>() ? "hard" : "soft")} | {(c["pass"]!.GetValue<bool>() ? "yes" : "NO")} |\n");
            }
        }
        return md.ToString();
    }

    private static string Format(double v) => v.ToString(v != 0 && Math.Abs(v) < 1e-3 ? "0.0e0" : "0.000", CultureInfo.InvariantCulture);

    private static string Inv(double v) => v.ToString(CultureInfo.InvariantCulture);

    private static string Inv(int v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>Error against i per model, the loop curve, and the training curves.</summary>
    public override IEnumerable<Figure> Figures(IReadOnlyList<MetricRecord> metrics)
    {
        static int Key(MetricRecord m, string k) => int.Parse(m.Get(k)!, CultureInfo.InvariantCulture);
        FigureSeries[] err = metrics.Where(m => m.Split == "eval" && m.Metric == "err" && m.Get("model") is not null)
            .GroupBy(m => m.Get("model")!)
            .Select(s => new FigureSeries(s.Key, s.Select(m => (double)Key(m, "i")).ToArray(), s.Select(m => m.Value).ToArray()))
            .ToArray();
        if (err.Length > 0)
        {
            yield return new Figure("err_vs_examples", "Normalised squared error vs in-context examples", "in-context examples i",
                "normalised squared error", err);
        }
        FigureSeries[] loop = metrics.Where(m => m.Metric == "loop_err")
            .GroupBy(m => $"position i={m.Get("i")}")
            .Select(s => new FigureSeries(s.Key, s.Select(m => (double)Key(m, "loops")).ToArray(), s.Select(m => m.Value).ToArray()))
            .ToArray();
        if (loop.Length > 0)
        {
            yield return new Figure("loop_curve", "Looped model: error vs loop iterations", "loop iterations", "normalised squared error",
                loop, LogY: loop.All(s => s.Y.All(v => v > 0)));
        }
        foreach ((string split, string metric, string title) in new[] { ("train", "loss", "Training loss"), ("monitor", "err_last", "Error at the last position during training") })
        {
            FigureSeries[] series = metrics.Where(m => m.Split == split && m.Metric == metric && m.Get("model") is not null)
                .GroupBy(m => m.Get("model")!)
                .Select(s => new FigureSeries(s.Key, s.Select(m => (double)m.Step).ToArray(), s.Select(m => m.Value).ToArray()))
                .ToArray();
            if (series.Length > 0)
            {
                yield return new Figure($"{split}_{metric}", title, "step", metric, series, LogY: series.All(s => s.Y.All(v => v > 0)));
            }
        }
    }

    public override QuickstartLine Quickstart(RunDirectory dir, IRunSink sink) => QuickstartLineFrom(RunPreset("quick", dir, sink));

    /// <summary>The quickstart line of a finished run: holds when R1's hard gates 2 (looped ≤ 0.6 × averaging at the
    /// last position) and 5 (fixed point when looped past b) hold.</summary>
    internal static QuickstartLine QuickstartLineFrom(JsonObject s)
    {
        JsonObject checks = (JsonObject)s["checks"]!;
        double err = checks["max_error"]!["value"]!.GetValue<double>();
        double avg = s["err"]!["averaging"]!.AsArray()[^1]!.GetValue<double>();
        bool vsAveraging = checks["vs_averaging"]!["pass"]!.GetValue<bool>();
        bool fixedPoint = checks["fixed_point"]!["pass"]!.GetValue<bool>();
        return new QuickstartLine("looped",
            "one transformer block looped with input injection learns linear regression in context (well below averaging) and settles at a fixed point when looped past b",
            string.Create(CultureInfo.InvariantCulture,
                $"d={s["dims"]}, {s["steps"]} steps: error at i={s["points"]!.GetValue<int>() - 1} {err:F3} after {s["looped"]!["loops"]}->{s["eval_loops"]} loops (averaging {avg:F3}); fixed point {(fixedPoint ? "yes" : "no")}"),
            vsAveraging && fixedPoint);
    }

    private sealed class TrainedModels : IDisposable
    {
        public LoopedTransformer? Looped { get; set; }

        public IclTransformer? Standard { get; set; }

        public void Dispose()
        {
            Looped?.Dispose();
            Standard?.Dispose();
        }
    }
}
