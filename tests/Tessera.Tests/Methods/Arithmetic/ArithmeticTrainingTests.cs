using System.Text.Json.Nodes;
using Tessera.Experiments;
using Tessera.Methods.Arithmetic;
using Tessera.Nn;

namespace Tessera.Tests.Methods.Arithmetic;

public sealed class ArithmeticTrainingTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("tessera-arith-").FullName;
    private readonly int _threads = torch.get_num_threads();

    public ArithmeticTrainingTests() => torch.set_num_threads(1);

    public void Dispose()
    {
        torch.set_num_threads(_threads);
        Directory.Delete(_root, recursive: true);
    }

    private static ArithmeticConfig Tiny(long seed) => new()
    {
        Seed = seed,
        Data = new ArithmeticDataConfig { TrainSize = 300, TestSize = 20 },
        Model = new ArithmeticModelConfig { NLayer = 1, NHead = 2, NEmbd = 32, BlockSize = 16 },
        Train = new ArithmeticTrainConfig { Iters = 8, BatchSize = 8, Warmup = 2, LogEvery = 1, EvalEvery = 4, EvalPrompts = 5, CheckpointEvery = 4 },
        Eval = new ArithmeticEvalConfig { TrainSample = 10 },
    };

    private (JsonObject Summary, IReadOnlyList<MetricRecord> Metrics) Run(ArithmeticConfig config, string name, IRunSink? sink = null)
    {
        RunDirectory dir = RunDirectory.Create(Path.Combine(_root, name), _root, "arithmetic", "test", config.Seed);
        using (RunContext ctx = RunContext.Start(dir, sink ?? NullSink.Instance))
        {
            JsonObject summary = new ArithmeticExperiment().Run(config, ctx);
            return (summary, MetricsWriter.Read(dir.MetricsFile));
        }
    }

    [Fact]
    public void Windows_AreShiftedByOne_AndStartAnywhereInTheStream()
    {
        using Tensor stream = torch.arange(1000L);
        using var g = new Generator(1);

        (Tensor x, Tensor y) = ArithmeticExperiment.Windows(stream, 256, 8, g);

        Assert.Equal(new long[] { 256, 8 }, x.shape);
        Assert.Equal(x[.., 1..].data<long>().ToArray(), y[.., ..^1].data<long>().ToArray());
        long[] starts = x[.., 0].data<long>().ToArray();
        Assert.All(starts, s => Assert.InRange(s, 0, 1000 - 8 - 1));
        Assert.True(starts.Distinct().Count() > 200);   // arbitrary offsets, not example boundaries
    }

    [Fact]
    public void InitialLoss_IsAboutLnV()
    {
        // With GPT-2 init the logits are near zero, so the loss starts at the entropy of a uniform guess.
        ArithmeticDataset data = ArithmeticDataset.Build(new ArithmeticConfig { Data = new ArithmeticDataConfig { TrainSize = 1000, TestSize = 10 } });
        torch.random.manual_seed(0);
        using var model = new GptModel(new GptConfig(32, data.Tokenizer.VocabSize, 2, 4, 64, 0, Bias: false));
        Init.Gpt2(model);
        using Tensor stream = torch.tensor(data.StreamTokens);
        using var g = new Generator(0);

        (Tensor x, Tensor y) = ArithmeticExperiment.Windows(stream, 64, 32, g);
        using Tensor logits = model.call(x);
        double loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), y.reshape(-1)).item<float>();

        Assert.Equal(Math.Log(96), loss, 0.05);
    }

    [Fact]
    public void Run_SameSeed_IdenticalMetrics_DifferentSeedDiffers()
    {
        var a = Run(Tiny(1), "a").Metrics;
        var b = Run(Tiny(1), "b").Metrics;
        var c = Run(Tiny(2), "c").Metrics;

        double[] Losses(IEnumerable<MetricRecord> m) => m.Where(r => r.Metric == "loss").Select(r => r.Value).ToArray();
        Assert.Equal(Losses(a), Losses(b));
        Assert.NotEqual(Losses(a), Losses(c));
    }

    [Fact]
    public void Run_LiveTensorCount_DoesNotGrowAcrossSteps()
    {
        var sink = new LiveTensorSink();
        Run(Tiny(3) with { Train = Tiny(3).Train with { Iters = 10 } }, "leak", sink);

        // Sampled after each step (outside the step scope): steps 3..10, evaluations and checkpoints included.
        long[] live = sink.Live.Skip(2).ToArray();
        Assert.Equal(8, live.Length);
        Assert.True(live.All(n => n == live[0]), string.Join(",", sink.Live));
    }

    [Fact]
    public void Run_SummaryHasTheBreakdowns()
    {
        JsonObject s = Run(Tiny(4) with { Eval = new ArithmeticEvalConfig { TrainSample = 10, PromptPrefixes = ["\n"] } }, "summary").Summary;

        Assert.InRange(s["test_acc"]!.GetValue<double>(), 0, 1);
        Assert.NotNull(s["test_acc_by_carries"]);
        Assert.NotNull(s["test_acc_by_a_digits"]);
        Assert.NotNull(s["test_acc_prefix_newline"]);
        Assert.Equal(300, s["train_size"]!.GetValue<int>());
    }

    private sealed class LiveTensorSink : IRunSink
    {
        public List<long> Live { get; } = [];

        public void Progress(string task, double done, double total)
        {
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
