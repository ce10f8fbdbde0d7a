using System.Text.Json.Nodes;
using Tessera.Experiments;
using Tessera.Methods.LoopedTf;
using Tessera.Nn;

namespace Tessera.Tests.Methods.LoopedTf;

public sealed class LoopedTrainingTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("tessera-looped-").FullName;
    private readonly int _threads = torch.get_num_threads();

    public LoopedTrainingTests() => torch.set_num_threads(1);

    public void Dispose()
    {
        torch.set_num_threads(_threads);
        Directory.Delete(_root, recursive: true);
    }

    private static LoopedConfig Tiny(long seed, long steps = 6) => new()
    {
        Seed = seed,
        Task = new LoopedTaskConfig { Dims = 3, Points = 5 },
        Model = new LoopedModelConfig { NEmbd = 16, NHead = 2, NPositions = 5 },
        Looped = new LoopedNetConfig { Loops = 3, Window = 2 },
        Standard = new StandardNetConfig { Layers = 1 },
        Train = new LoopedTrainConfig { Steps = steps, BatchSize = 8, LogEvery = 1, EvalEvery = 3, MonitorPrompts = 16, CheckpointEvery = 3 },
        Eval = new LoopedEvalConfig { Prompts = 32, BatchSize = 16, Loops = 5, Baselines = ["averaging", "least_squares"] },
    };

    private (JsonObject Summary, IReadOnlyList<MetricRecord> Metrics) Run(LoopedConfig config, string name, IRunSink? sink = null)
    {
        RunDirectory dir = RunDirectory.Create(Path.Combine(_root, name), _root, "looped", "test", config.Seed);
        using RunContext ctx = RunContext.Start(dir, sink ?? NullSink.Instance);
        JsonObject summary = new LoopedExperiment().Run(config, ctx);
        return (summary, MetricsWriter.Read(dir.MetricsFile));
    }

    private static double[] Losses(IEnumerable<MetricRecord> m, string model) =>
        m.Where(r => r.Metric == "loss" && r.Get("model") == model).Select(r => r.Value).ToArray();

    [Fact]
    public void Run_SameSeed_IdenticalLosses_DifferentSeedDiffers()
    {
        var a = Run(Tiny(1), "a").Metrics;
        var b = Run(Tiny(1), "b").Metrics;
        var c = Run(Tiny(2), "c").Metrics;

        foreach (string model in new[] { "looped", "standard" })
        {
            Assert.Equal(6, Losses(a, model).Length);
            Assert.Equal(Losses(a, model), Losses(b, model));
            Assert.NotEqual(Losses(a, model), Losses(c, model));
        }
    }

    [Fact]
    public void Run_LiveTensorCount_DoesNotGrowAcrossSteps()
    {
        var sink = new LiveTensorSink();
        Run(Tiny(3, steps: 10) with { Standard = new StandardNetConfig { Enabled = false } }, "leak", sink);

        // Sampled after each step (outside the step scope): steps 3..10, monitor evaluations and checkpoints included.
        long[] live = sink.Live.Skip(2).Take(8).ToArray();
        Assert.Equal(8, live.Length);
        Assert.True(live.All(n => n == live[0]), string.Join(",", sink.Live));
    }

    [Fact]
    public void Run_Summary_HasCurvesParameterCountsAndChecks()
    {
        JsonObject s = Run(Tiny(4), "summary").Summary;

        Assert.Equal(5, s["err"]!["looped@3"]!.AsArray().Count);
        Assert.Equal(5, s["err"]!["looped@5"]!.AsArray().Count);
        Assert.NotNull(s["err"]!["standard"]);
        Assert.Equal(s["err"]!["least_squares"]![0]!.GetValue<double>(), s["err"]!["averaging"]![0]!.GetValue<double>());   // both predict 0
        Assert.Equal(5, s["loop_curve_last"]!.AsObject().Count);
        Assert.True(s["looped"]!["parameters"]!.GetValue<long>() < s["standard"]!["parameters"]!.GetValue<long>() + 1);
        Assert.NotNull(s["checks"]!["max_error"]);
        Assert.NotNull(s["checks"]!["fixed_point"]);
        Assert.False(s["checks"]!["vs_standard"]!["hard"]!.GetValue<bool>());
    }

    [Fact]
    public void QuickstartLine_HoldsExactlyWhenGatesTwoAndFiveHold()
    {
        JsonObject s = Run(Tiny(7), "quickstart").Summary;
        bool gates = s["checks"]!["vs_averaging"]!["pass"]!.GetValue<bool>() && s["checks"]!["fixed_point"]!["pass"]!.GetValue<bool>();

        QuickstartLine line = LoopedExperiment.QuickstartLineFrom(s);

        Assert.Equal(gates, line.Holds);
        Assert.Contains("after 3->5 loops", line.Measured);
        s["checks"]!["fixed_point"]!["pass"] = false;
        Assert.False(LoopedExperiment.QuickstartLineFrom(s).Holds);
    }

    [Fact]
    public void TrainingPrompts_FixedBatch_SameEveryStep_OtherwiseFresh()
    {
        using var scope = torch.NewDisposeScope();
        var task = new LinearRegression(3);
        var fixedCfg = Tiny(5) with { Train = Tiny(5).Train with { FixedBatch = true } };

        var (x0, _) = LoopedExperiment.TrainingPrompts(fixedCfg, task, 0);
        var (x7, _) = LoopedExperiment.TrainingPrompts(fixedCfg, task, 7);
        var (f0, _) = LoopedExperiment.TrainingPrompts(Tiny(5), task, 0);
        var (f7, _) = LoopedExperiment.TrainingPrompts(Tiny(5), task, 7);

        Assert.True(x0.eq(x7).all().item<bool>());
        Assert.False(f0.eq(f7).all().item<bool>());
    }

    [Fact]
    public void LoopedLoss_TwoIterationToy_EqualWeightPerIterationPromptAndPosition()
    {
        // Spec pitfall 8: with b = T = 2 the loss is ((p1 − y)² summed + (p2 − y)² summed) / (2·B·n).
        using var scope = torch.NewDisposeScope();
        torch.random.manual_seed(6);
        using var model = new LoopedTransformer(new IclConfig(2, 3, 1, 2, 8), 2);
        model.InitBackbone();
        var xs = torch.randn([2, 3, 2]);
        var ys = torch.randn([2, 3]);

        double loss = LoopedExperiment.LoopedLoss(model, xs, ys, 2, 2).item<float>();
        Tensor[] p = model.Loop(xs, ys, 2, 0);
        float[] a = p[0].data<float>().ToArray(), b = p[1].data<float>().ToArray(), y = ys.data<float>().ToArray();
        double expected = Enumerable.Range(0, 6).Sum(i => ((a[i] - y[i]) * (a[i] - y[i])) + ((b[i] - y[i]) * (b[i] - y[i]))) / 12.0;

        Assert.Equal(expected, loss, 1e-5);
        double lastOnly = b.Zip(y).Sum(t => (t.First - t.Second) * (t.First - t.Second)) / 6.0;   // T = 1
        Assert.Equal(lastOnly, LoopedExperiment.LoopedLoss(model, xs, ys, 2, 1).item<float>(), 1e-5);
    }

    [Fact]
    public void Validate_WindowLargerThanLoops_InputExceptionNamingTheKeys()
    {
        var e = Assert.Throws<InputException>(() => (Tiny(0) with { Looped = new LoopedNetConfig { Loops = 3, Window = 4 } }).Validate());
        Assert.Contains("window", e.Message);
        var p = Assert.Throws<InputException>(() => (Tiny(0) with { Task = new LoopedTaskConfig { Points = 9 } }).Validate());
        Assert.Contains("task.points", p.Message);
        var b = Assert.Throws<InputException>(() => (Tiny(0) with { Eval = new LoopedEvalConfig { Baselines = ["ridge"] } }).Validate());
        Assert.Contains("ridge", b.Message);
    }

    [Theory]
    [InlineData("smoke")]
    [InlineData("quick")]
    [InlineData("small")]
    [InlineData("sparse")]
    [InlineData("tree")]
    [InlineData("relu")]
    public void Presets_LoadAndValidate(string preset)
    {
        var experiment = new LoopedExperiment();

        var config = (LoopedConfig)experiment.LoadConfig([Presets.Load("looped", preset)], []);

        Assert.Equal(1, config.Threads);
        Assert.True(config.Task.Points <= config.Model.NPositions);
    }

    private sealed class LiveTensorSink : IRunSink
    {
        public List<long> Live { get; } = [];

        public void Progress(string task, double done, double total)
        {
            if (task != "looped")
            {
                return;
            }
            if (done == 2)
            {
                DisposeScopeManager.Statistics.Reset();
            }
            Live.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        }

        public void Info(string line)
        {
        }

        public void Metric(MetricRecord record)
        {
        }
    }
}
