using System.Text.Json.Nodes;
using Tessera.Data;
using Tessera.Experiments;
using Tessera.Methods.BadMinima;
using Tessera.Tests.Nn;
using Tessera.Training;

namespace Tessera.Tests.Methods.BadMinima;

/// <summary>The whole grid at toy size on the embedded 8×8 digits: 100 training images, 2 copies, MLP-BN 16-16,
/// phase 1 at most 6 epochs, phase 2 4 epochs, vanilla and momentum from both inits.</summary>
public sealed class BadMinimaTrainingTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("tessera-badminima-").FullName;
    private readonly int _threads = torch.get_num_threads();

    public BadMinimaTrainingTests() => torch.set_num_threads(1);

    public void Dispose()
    {
        torch.set_num_threads(_threads);
        Directory.Delete(_root, recursive: true);
    }

    internal static BadMinimaConfig Tiny(long seed = 0, params string[] settings) => new()
    {
        Seed = seed,
        Data = new BadMinimaDataConfig { Dataset = "digits", TrainSize = 100, TestSize = 100, EvalBatchSize = 64 },
        Adversarial = new AdversarialConfig { Copies = 2, ZeroRatio = 0.1 },
        Model = new BadMinimaModelConfig { Hidden = [16, 16] },
        Phase1 = new Phase1Config { BatchSize = 32, MaxEpochs = 6, CheckEvery = 2, DecayEpochs = [4] },
        Phase2 = new Phase2Config { BatchSize = 32, Epochs = 4, EvalEvery = 2, DecayEpochs = [2] },
        Grid = new GridConfig { Settings = settings.Length == 0 ? ["vanilla", "mom"] : settings },
    };

    private RunDirectory Dir(string name) => RunDirectory.Create(Path.Combine(_root, name), _root, "bad-minima", "test", 0);

    private static JsonObject Run(BadMinimaConfig config, RunDirectory dir, IRunSink? sink = null, CancellationToken cancel = default,
        bool resume = false, BadMinimaExperiment? experiment = null)
    {
        using RunContext ctx = resume ? RunContext.Resume(dir, sink ?? NullSink.Instance, cancel) : RunContext.Start(dir, sink ?? NullSink.Instance, cancel);
        return (experiment ?? new BadMinimaExperiment()).Run(config, ctx);
    }

    private static (long, string, string, double, string) Row(MetricRecord m) =>
        (m.Step, m.Split, m.Metric, m.Value, string.Join(",", m.Extra?.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}={kv.Value}") ?? []));

    [Fact]
    public void Run_TinyGrid_WritesEveryCellAndTheTable()
    {
        RunDirectory dir = Dir("grid");

        JsonObject summary = Run(Tiny(), dir);

        foreach (string cell in new[] { "s0/vanilla/random", "s0/vanilla/adversarial", "s0/mom/random", "s0/mom/adversarial", "s0/phase1" })
        {
            Assert.True(File.Exists(Path.Combine(dir.Path, cell, "summary.json")), cell);
            Assert.False(Directory.Exists(Path.Combine(dir.Path, cell, "checkpoints")), $"{cell}: checkpoints are dropped once finished");
        }
        Assert.True(File.Exists(Path.Combine(dir.Path, "s0", "theta0.dat")));
        Assert.True(File.Exists(Path.Combine(dir.Path, "s0", "theta_adv.dat")));
        Assert.Contains("| mom |", File.ReadAllText(Path.Combine(dir.Path, "table.md")));
        JsonObject vanilla = summary["table"]!["vanilla"]!.AsObject();
        Assert.Equal(vanilla["random"]!.GetValue<double>() - vanilla["adversarial"]!.GetValue<double>(), vanilla["gap"]!.GetValue<double>(), 12);
        // Phase 2, per cell: 4 steps per epoch, (loss, lr) after each of 4 epochs + 7 metrics at the evaluations of
        // epochs 2 and 4 = 22 records; 4 cells. Step-0 evaluations stay in the cells' own metrics.
        Assert.Equal(88, MetricsWriter.Read(dir.MetricsFile).Count(m => m.Get("phase") == "phase2"));
    }

    [Fact]
    public void Run_SameSeed_IdenticalMetrics_DifferentSeedDiffers()
    {
        double[] Values(RunDirectory d) => MetricsWriter.Read(d.MetricsFile).Select(m => m.Value).ToArray();
        RunDirectory a = Dir("a"), b = Dir("b"), c = Dir("c");

        Run(Tiny(1, "vanilla"), a);
        Run(Tiny(1, "vanilla"), b);
        Run(Tiny(2, "vanilla"), c);

        Assert.Equal(Values(a), Values(b));
        Assert.NotEqual(Values(a), Values(c));
    }

    [Fact]
    public void Run_RandomInitCellStartsFromThePhase1StartingWeights_AdversarialCellFromThetaAdv()
    {
        // Spec §8 item 4: θ_0 of the random-init cells is bit-identical to the weights phase 1 started from.
        RunDirectory dir = Dir("init");
        Run(Tiny(3, "vanilla"), dir);
        JsonObject p1 = RunDirectory.Open(Path.Combine(dir.Path, "s3", "phase1")).ReadSummary();
        JsonObject ri = RunDirectory.Open(Path.Combine(dir.Path, "s3", "vanilla", "random")).ReadSummary();
        JsonObject ai = RunDirectory.Open(Path.Combine(dir.Path, "s3", "vanilla", "adversarial")).ReadSummary();

        Assert.Equal(p1["theta0_test_acc"]!.GetValue<double>(), ri["init_test_acc"]!.GetValue<double>());
        Assert.Equal(p1["theta0_norm"]!.GetValue<double>(), ri["init_norm"]!.GetValue<double>());
        Assert.Equal(p1["test_acc"]!.GetValue<double>(), ai["init_test_acc"]!.GetValue<double>());
        Assert.Equal(p1["norm"]!.GetValue<double>(), ai["init_norm"]!.GetValue<double>());
        using var data = BadMinimaData.Load(Tiny().Data);
        using var rebuilt = Phases.InitialModel(Tiny(3), data, 3);
        using var saved = Phases.LoadModel(Tiny(3), data, Path.Combine(dir.Path, "s3", "theta0.dat"));
        Assert.All(rebuilt.state_dict().Zip(saved.state_dict()), kv => Assert.True(ModelChecks.Same(kv.First.Value, kv.Second.Value), kv.First.Key));
    }

    [Fact]
    public void Run_ThetaAdvFile_ReproducesItsRandomLabelAccuracyExactly()
    {
        // Spec §8 item 10: θ_adv, BatchNorm statistics included, survives the save → load hand-off between the phases.
        RunDirectory dir = Dir("adv");
        BadMinimaConfig config = Tiny(4, "vanilla");
        Run(config, dir);
        JsonObject p1 = RunDirectory.Open(Path.Combine(dir.Path, "s4", "phase1")).ReadSummary();

        using var data = BadMinimaData.Load(config.Data);
        using SeedData seedData = data.ForSeed(4, config.Data.TrainSize, config.Adversarial, buildAdversarial: true);
        using var model = Phases.LoadModel(config, data, Path.Combine(dir.Path, "s4", "theta_adv.dat"));
        ClassifierScore score = Evaluation.Classifier(model, seedData.AdversarialX!, seedData.Adversarial!.Labels, config.Data.EvalBatchSize);

        Assert.Equal(p1["adversarial_acc"]!.GetValue<double>(), score.Accuracy);
        Assert.Equal(p1["fingerprint"]!.GetValue<string>(), seedData.Adversarial.Fingerprint);
        Assert.True(p1["adversarial_acc"]!.GetValue<double>() > 0.3, "phase 1 learns the random labels above chance");
    }

    [Fact]
    public void Run_LiveTensorCount_DoesNotGrowAcrossSteps()
    {
        var sink = new LiveTensorSink();
        Run(Tiny(5, "vanilla", "da+mom"), Dir("leak"), sink);

        // Per training task (phase 1, each cell): sampled after every step from the third on, evaluations and
        // checkpoints included.
        Assert.Equal(5, sink.Live.Count);
        Assert.All(sink.Live, kv => Assert.True(kv.Value.Count >= 10 && kv.Value.All(n => n == kv.Value[0]), $"{kv.Key}: {string.Join(",", kv.Value)}"));
    }

    [Fact]
    public void Run_InterruptedInACell_ResumeSkipsFinishedCellsAndEndsLikeAnUninterruptedRun()
    {
        // Given: an uninterrupted grid, and the same grid cancelled during "mom from random" after its first checkpoint
        RunDirectory whole = Dir("whole"), broken = Dir("broken");
        BadMinimaConfig config = Tiny(6);
        Run(config, whole);
        using var cancel = new CancellationTokenSource();
        var sink = new CancelSink("s6 mom from random", 10, cancel);
        Assert.ThrowsAny<OperationCanceledException>(() => Run(config, broken, sink, cancel.Token));
        string finished = Path.Combine(broken.Path, "s6", "vanilla", "adversarial", "summary.json");
        string half = Path.Combine(broken.Path, "s6", "mom", "random");
        DateTime finishedAt = File.GetLastWriteTimeUtc(finished);
        Assert.False(File.Exists(Path.Combine(half, "summary.json")));
        Assert.Equal(8, Checkpoint.Latest(Path.Combine(half, "checkpoints"))!.Step);

        // When
        var resumed = new RecordingSink();
        Run(config, broken, resumed, resume: true);

        // Then: the finished cells were not redone, the half-finished one continued from step 8, and every metric is
        // the uninterrupted run's
        Assert.Equal(finishedAt, File.GetLastWriteTimeUtc(finished));
        Assert.Contains(resumed.Lines, l => l.Contains("resuming at step 8", StringComparison.Ordinal));
        Assert.Equal(8, RunDirectory.Open(half).ReadEnv()!["resumedAt"]![0]!.GetValue<long>());
        Assert.Equal(MetricsWriter.Read(whole.MetricsFile).Select(Row), MetricsWriter.Read(broken.MetricsFile).Select(Row));
        Assert.Equal(MetricsWriter.Read(Path.Combine(whole.Path, "s6", "mom", "random", "metrics.jsonl")).Select(Row),
            MetricsWriter.Read(Path.Combine(half, "metrics.jsonl")).Select(Row));
    }

    [Fact]
    public void Run_CustomPenaltyEqualToL2_MatchesCoupledWeightDecay()
    {
        // Given: a user's regularizer adding (c/2)·‖θ‖² to the loss, whose gradient is c·θ: the same update as SGD's
        // coupled weight decay c, up to float rounding
        const double c = 0.05;
        RegularizerCatalog catalog = RegularizerCatalog.Default.With("ridge", (recipe, strength, _) => recipe with
        {
            Penalties = [model => model.parameters().Select(p => p.square().sum()).Aggregate((a, b) => a + b) * (0.5 * (strength ?? c))],
        });
        var experiment = new BadMinimaExperiment(catalog);

        // When
        JsonObject ridge = Run(Tiny(7, "ridge") with { Grid = new GridConfig { Settings = ["ridge"], Inits = [InitName.Random] } }, Dir("ridge"),
            experiment: experiment);
        JsonObject l2 = Run(Tiny(7, "l2=0.05") with { Grid = new GridConfig { Settings = ["l2=0.05"], Inits = [InitName.Random] } }, Dir("l2"),
            experiment: experiment);
        JsonObject vanilla = Run(Tiny(7) with { Grid = new GridConfig { Settings = ["vanilla"], Inits = [InitName.Random] } }, Dir("vanilla"));

        // Then
        double Norm(JsonObject s, string setting) => s["table"]![setting]!["random_norm"]!.GetValue<double>();
        Assert.Equal(Norm(l2, "l2=0.05"), Norm(ridge, "ridge"), 4);
        Assert.True(Norm(vanilla, "vanilla") - Norm(l2, "l2=0.05") > 1e-3, "the decay shrinks the weights");
    }

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.0, 5e-4)]
    [InlineData(0.9, 5e-4)]
    public void Sgd_FirstStep_IsMinusLrTimesGradientPlusDecay(double momentum, double decay)
    {
        // Spec §8 items 6–7: a fresh optimizer's first update is −lr·(g + wd·θ) exactly (momentum buffer starts at g).
        using var scope = torch.NewDisposeScope();
        torch.random.manual_seed(0);
        using var model = new Tessera.Nn.MlpBn(6, [5], 3);
        using OptimizerHelper sgd = Phases.Sgd(model, 0.01, momentum, decay);
        nn.functional.cross_entropy(model.call(torch.randn(8, 6)), torch.tensor(new long[] { 0, 1, 2, 0, 1, 2, 0, 1 })).backward();
        var before = model.parameters().Select(p => (Value: p.detach().clone(), Grad: p.grad!.clone())).ToArray();

        sgd.step();

        Parameter[] after = model.parameters().ToArray();
        for (int i = 0; i < after.Length; i++)
        {
            Tensor expected = before[i].Value.add(before[i].Grad.add(before[i].Value, alpha: decay), alpha: -0.01);
            Assert.True(ModelChecks.Same(expected, after[i]), $"parameter {i}");
        }
    }

    [Fact]
    public void ForSeed_AdversarialRowsComeFromTheSubset_AndZeroedValuesNormaliseToMinusMeanOverStd()
    {
        // Spec §8 items 2 and 13.
        BadMinimaConfig config = Tiny();
        using var data = BadMinimaData.Load(config.Data);
        using SeedData seed = data.ForSeed(0, 100, new AdversarialConfig { Copies = 3, ZeroRatio = 0.2 }, buildAdversarial: true);
        AdversarialSet set = seed.Adversarial!;
        float background = (-data.Mean / data.Std).item<float>();
        float[] raw = seed.TrainRaw.contiguous().data<float>().ToArray(), rows = set.Images.contiguous().data<float>().ToArray();
        float[] normalized = seed.AdversarialX!.contiguous().data<float>().ToArray();

        Assert.Equal(300, set.Count);
        Assert.Equal(12, set.ZeroedPerCopy);                           // floor(64·0.2)
        for (long r = 0; r < set.Count; r++)
        {
            int[] zeroed = set.ZeroedOf(r).ToArray();
            for (int t = 0; t < 64; t++)
            {
                Assert.Equal(zeroed.Contains(t) ? 0f : raw[set.SourceOf(r) * 64 + t], rows[r * 64 + t]);
            }
            Assert.All(zeroed, t => Assert.Equal(background, normalized[r * 64 + t]));
        }
        Assert.Equal(100, seed.Subset.Distinct().Count());
    }

    [Fact]
    public void Run_UnknownSettingOrModel_ThrowsInputExceptionBeforeTraining()
    {
        var e1 = Assert.Throws<InputException>(() => Run(Tiny(0, "vanilla", "dropout"), Dir("bad1")));
        var e2 = Assert.Throws<InputException>(() => Run(Tiny() with { Model = new BadMinimaModelConfig { Name = "resnet50" } }, Dir("bad2")));
        var e3 = Assert.Throws<InputException>(() => Run(Tiny() with { Data = Tiny().Data with { TrainSize = 5000 } }, Dir("bad3")));

        Assert.Contains("grid.settings", e1.Message, StringComparison.Ordinal);
        Assert.Contains("model.name", e2.Message, StringComparison.Ordinal);
        Assert.Contains("data.trainSize", e3.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_root, "bad1", "s0")));
    }

    /// <summary>Live tensor counts after each step, per task, from the third step of the task on.</summary>
    private sealed class LiveTensorSink : IRunSink
    {
        public Dictionary<string, List<long>> Live { get; } = [];

        public void Progress(string task, double done, double total)
        {
            if (done == 2)
            {
                DisposeScopeManager.Statistics.Reset();
                Live[task] = [];
            }
            else if (done > 2)
            {
                Live[task].Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount);
            }
        }

        public void Info(string line)
        {
        }

        public void Metric(MetricRecord record)
        {
        }
    }

    /// <summary>Cancels the run once <paramref name="task"/> has done <paramref name="after"/> steps.</summary>
    private sealed class CancelSink(string task, double after, CancellationTokenSource cancel) : IRunSink
    {
        public void Progress(string t, double done, double total)
        {
            if (t == task && done >= after)
            {
                cancel.Cancel();
            }
        }

        public void Info(string line)
        {
        }

        public void Metric(MetricRecord record)
        {
        }
    }
}
