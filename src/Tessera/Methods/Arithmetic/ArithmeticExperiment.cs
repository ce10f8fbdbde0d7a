using System.Globalization;
using System.Text.Json.Nodes;
using Tessera.Data;
using Tessera.Experiments;
using Tessera.Nn;
using Tessera.Training;

namespace Tessera.Methods.Arithmetic;

/// <summary>
/// Trains a character-level GPT from scratch on a stream of formatted arithmetic examples (spec §2.3–2.5) and
/// scores exact-match accuracy on held-out prompts (§2.6), overall, by carries and by operand length.
/// </summary>
public sealed class ArithmeticExperiment : Experiment<ArithmeticConfig>, ISweepReport
{
    public override string Name => "arithmetic";

    public override string Description => "Teaching arithmetic to small transformers: data formats, char GPT, exact match, sample-size sweeps.";

    public override string Reference => "src/Tessera/Methods/Arithmetic/README.md";

    public override JsonObject Run(ArithmeticConfig config, RunContext ctx)
    {
        ArithmeticDataset data = ArithmeticDataset.Build(config);
        ctx.Info($"{data.Format.Name} {config.Data.Operation}: {data.Train.Count} training examples " +
            $"({data.StreamTokens.Length} tokens, {data.TokensPerExample:F1} per example), {data.Test.Count} test prompts, vocabulary {data.Tokenizer.VocabSize}");

        ArithmeticModelConfig m = config.Model;
        torch.random.manual_seed(StepSeeds.For(config.Seed, -1, "init"));
        using var model = new GptModel(new GptConfig(m.BlockSize, data.Tokenizer.VocabSize, m.NLayer, m.NHead, m.NEmbd, m.Dropout,
            Bias: false, TiedHead: true));
        Init.Gpt2(model);
        using var optimizer = CreateOptimizer(model, config.Train);
        using Tensor stream = torch.tensor(data.StreamTokens);

        ArithmeticTrainConfig t = config.Train;
        Tensor StepLoss(long step)
        {
            using Generator g = StepSeeds.Generator(config.Seed, step, "windows");
            (Tensor x, Tensor y) = Windows(stream, t.BatchSize, m.BlockSize, g);
            Tensor logits = model.call(x);                                              // (B, T, V)
            return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), y.reshape(-1));
        }

        Problem[] monitor = data.Test.Take(t.EvalPrompts).ToArray();
        Trainer trainer = null!;
        trainer = new Trainer(model, optimizer, StepLoss, LrSchedules.WarmupCosine(t.Lr, t.Warmup, t.Iters, t.Lr * t.MinLrRatio),
            new TrainerOptions(t.Iters, t.LogEvery, t.EvalEvery, t.CheckpointEvery, t.GradClip, Task: $"{data.Format.Name} N={data.Train.Count}"),
            ctx, config.Seed)
        {
            Evaluate = step =>
            {
                if (step == t.Iters)
                {
                    return;   // the final evaluation below uses every prompt
                }
                ArithmeticScore s = ArithmeticEval.Score(model, data.Tokenizer, data.Format, monitor, data.Prompt, config.Eval, data.Digits, step);
                ctx.Log(step, "test", "acc", s.Accuracy);
                ctx.Info(string.Create(CultureInfo.InvariantCulture, $"iter {step}/{t.Iters}: loss {trainer.LastLoss:F3}, accuracy {s.Accuracy:P1} on {monitor.Length} test prompts"));
            },
        };
        trainer.Run();
        return FinalEvaluation(config, data, model, trainer.LastLoss, ctx);
    }

    /// <summary>Random windows of the stream (spec §2.3): start ~ U{0..len−T−1}, input = [i, i+T), target = [i+1, i+T+1).</summary>
    public static (Tensor X, Tensor Y) Windows(Tensor stream, int batch, int block, Generator generator)
    {
        Tensor starts = torch.randint(0, stream.shape[0] - block, [batch, 1], generator: generator);    // (B, 1)
        Tensor index = starts + torch.arange(block + 1).unsqueeze(0);                                 // (B, T+1)
        Tensor windows = stream[index];                                                               // (B, T+1)
        return (windows[.., ..block], windows[.., 1..]);
    }

    public static OptimizerHelper CreateOptimizer(GptModel model, ArithmeticTrainConfig t)
    {
        (IReadOnlyList<Parameter> decay, IReadOnlyList<Parameter> noDecay) = model.DecayAndNoDecayParameters();
        return optim.AdamW(
        [
            new AdamW.ParamGroup(decay, t.Lr, 0.9, t.Beta2, 1e-8, t.WeightDecay, false, false),
            new AdamW.ParamGroup(noDecay, t.Lr, 0.9, t.Beta2, 1e-8, 0, false, false),
        ], t.Lr, 0.9, t.Beta2, 1e-8, t.WeightDecay);
    }

    private static JsonObject FinalEvaluation(ArithmeticConfig config, ArithmeticDataset data, GptModel model, double lastLoss, RunContext ctx)
    {
        long step = config.Train.Iters;
        ArithmeticEvalConfig e = config.Eval;
        ArithmeticScore test = ArithmeticEval.Score(model, data.Tokenizer, data.Format, data.Test, data.Prompt, e, data.Digits, step);
        ArithmeticScore train = ArithmeticEval.Score(model, data.Tokenizer, data.Format, data.Train.Take(e.TrainSample).ToArray(),
            data.Prompt, e, data.Digits, step);
        ctx.Log(step, "test", "acc", test.Accuracy);
        ctx.Log(step, "train", "acc", train.Accuracy);
        ctx.Log(step, "test", "parsed", test.Parsed);
        var summary = new JsonObject
        {
            ["operation"] = config.Data.Operation,
            ["format"] = data.Format.Name,
            ["digits"] = data.Digits,
            ["train_size"] = data.Train.Count,
            ["test_size"] = data.Test.Count,
            ["tokens_per_example"] = Math.Round(data.TokensPerExample, 2),
            ["iters"] = step,
            ["final_train_loss"] = lastLoss,
            ["test_acc"] = test.Accuracy,
            ["train_acc"] = train.Accuracy,
            ["test_parsed"] = test.Parsed,
        };
        foreach ((string name, Func<Problem, int> key) in new (string, Func<Problem, int>)[]
                 {
                     ("carries", p => p.Carries), ("digits", p => p.Digits), ("a_digits", p => Length(p.A)),
                 })
        {
            var breakdown = new JsonObject();
            foreach ((int k, (double acc, int count)) in test.By(key))
            {
                ctx.Log(step, "test", "acc", acc, (name, k.ToString(CultureInfo.InvariantCulture)), ("prompts", count.ToString(CultureInfo.InvariantCulture)));
                breakdown[k.ToString(CultureInfo.InvariantCulture)] = acc;
            }
            summary[$"test_acc_by_{name}"] = breakdown;
        }
        summary["train_acc_by_digits"] = new JsonObject(train.By(p => p.Digits)
            .Select(kv => KeyValuePair.Create(kv.Key.ToString(CultureInfo.InvariantCulture), (JsonNode?)kv.Value.Accuracy)));
        if (data.ExcludedTest.Count > 0)
        {
            ArithmeticScore excluded = ArithmeticEval.Score(model, data.Tokenizer, data.Format, data.ExcludedTest, data.Prompt, e, data.Digits, step);
            ctx.Log(step, "test_excluded", "acc", excluded.Accuracy);
            summary["test_acc_excluded"] = excluded.Accuracy;
            summary["test_excluded_size"] = data.ExcludedTest.Count;
        }
        foreach (string prefix in e.PromptPrefixes)
        {
            ArithmeticScore prefixed = ArithmeticEval.Score(model, data.Tokenizer, data.Format, data.Test, p => prefix + data.Prompt(p), e, data.Digits, step);
            string label = PrefixLabel(prefix);
            ctx.Log(step, "test", "acc", prefixed.Accuracy, ("prefix", label));
            summary[$"test_acc_prefix_{label}"] = prefixed.Accuracy;
        }
        ctx.Info(string.Create(CultureInfo.InvariantCulture,
            $"{data.Format.Name} N={data.Train.Count}: test {test.Accuracy:P1}, train {train.Accuracy:P1}, parsed {test.Parsed:P0}"));
        WriteSamples(ctx, test);
        return summary;
    }

    private static int Length(long v) => Math.Abs(v).ToString(CultureInfo.InvariantCulture).Length;

    private static string PrefixLabel(string prefix) => prefix == "\n" ? "newline" : Uri.EscapeDataString(prefix);

    /// <summary>A readable sample of right and wrong generations, for looking at what the model does.</summary>
    private static void WriteSamples(RunContext ctx, ArithmeticScore score)
    {
        IEnumerable<string> lines = score.Items.Where(i => !i.Correct).Take(50).Concat(score.Items.Where(i => i.Correct).Take(10))
            .Select(i => $"{(i.Correct ? "ok   " : "WRONG")} {Escape(i.Prompt)} -> {Escape(i.Generated)}  (parsed {i.Answer ?? "nothing"}, expected {i.Problem.Answer})");
        RunDirectory.WriteAtomically(Path.Combine(ctx.Dir.Path, "samples.txt"), string.Join('\n', lines) + "\n");
    }

    private static string Escape(string s) => s.Replace("\n", "\\n", StringComparison.Ordinal);

    /// <summary>The standard curves, plus final test accuracy by carries and by operand length.</summary>
    public override IEnumerable<Figure> Figures(IReadOnlyList<MetricRecord> metrics)
    {
        foreach (Figure f in Figure.Standard(metrics))
        {
            yield return f;
        }
        foreach ((string key, string title) in new[] { ("carries", "carries"), ("digits", "digits of the longer operand"), ("a_digits", "digits of the first operand") })
        {
            MetricRecord[] rows = metrics.Where(m => m.Split == "test" && m.Metric == "acc" && m.Get(key) is not null)
                .OrderBy(m => int.Parse(m.Get(key)!, CultureInfo.InvariantCulture)).ToArray();
            if (rows.Length > 0)
            {
                yield return new Figure($"acc_by_{key}", $"Test exact match by {title}", title, "% exact match",
                    [new FigureSeries("test", rows.Select((_, i) => (double)i).ToArray(), rows.Select(m => 100 * m.Value).ToArray())],
                    Categories: rows.Select(m => m.Get(key)!).ToArray());
            }
        }
    }

    public IEnumerable<Figure> SweepFigures(IReadOnlyList<SweepResult> results) => ArithmeticSweep.Figures(results);

    public string SweepTable(IReadOnlyList<SweepResult> results) => ArithmeticSweep.Table(results);

    /// <summary>The format effect in about two minutes: reverse and plain on the 2-digit table (R0 setting).</summary>
    public override QuickstartLine Quickstart(RunDirectory dir, IRunSink sink)
    {
        JsonObject reverse = RunPreset("smoke", dir.Child("reverse"), sink);
        JsonObject plain = RunPreset("smoke", dir.Child("plain"), sink, "data.format=plain", "eval.promptPrefixes=[\"\\n\"]");
        double r = reverse["test_acc"]!.GetValue<double>(), p = plain["test_acc"]!.GetValue<double>();
        double pn = plain["test_acc_prefix_newline"]!.GetValue<double>();
        return new QuickstartLine("arithmetic",
            "writing the sum reversed makes addition far easier to learn than plain a+b=c (3-digit, 10k examples: 100% vs 87.4%)",
            string.Create(CultureInfo.InvariantCulture,
                $"2-digit, N={reverse["train_size"]}, {reverse["iters"]} iters: reverse {r:P1} vs plain {p:P1} ({pn:P1} with a \\n-prefixed prompt)"),
            r - p >= 0.08);
    }
}
