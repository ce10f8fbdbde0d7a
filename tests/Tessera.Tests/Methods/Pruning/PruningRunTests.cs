using System.Text.Json.Nodes;
using Tessera.Experiments;
using Tessera.Methods.Pruning;
using Tessera.Training;

namespace Tessera.Tests.Methods.Pruning;

public sealed class PruningRunTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("tessera-pruning-").FullName;
    private readonly int _threads = torch.get_num_threads();

    public PruningRunTests() => torch.set_num_threads(1);

    public void Dispose()
    {
        torch.set_num_threads(_threads);
        Directory.Delete(_root, recursive: true);
    }

    /// <summary>Gem-Miner on 256 digits (4 steps per epoch): 2 mining epochs, 1 fine-tuning epoch, a shuffle check.</summary>
    private static PruningConfig Tiny(long seed, params string[] sanity) => new()
    {
        Seed = seed,
        Data = new PruningDataConfig { Dataset = "digits", TrainSize = 256, TestSize = 100 },
        Model = new PruningModelConfig { Name = "bn-mlp", Hidden = [32] },
        Prune = new PruneConfig { Densities = [0.2], Sanity = sanity },
        Mine = new MineConfig { Epochs = 2, FreezeEvery = 1, BatchSize = 64 },
        Finetune = new WeightTrainConfig { Epochs = 2, BatchSize = 64, Milestones = [1] },
        LogEvery = 1,
    };

    private (JsonObject Summary, IReadOnlyList<MetricRecord> Metrics) Run(PruningConfig config, string name, IRunSink? sink = null, bool resume = false)
    {
        string path = Path.Combine(_root, name);
        RunDirectory dir = resume ? RunDirectory.Open(path) : RunDirectory.Create(path, _root, "gem-miner", "test", config.Seed);
        if (!resume)
        {
            dir.WriteConfig(ConfigLoader.ToJson(config));
        }
        using RunContext ctx = resume ? RunContext.Resume(dir, sink ?? NullSink.Instance) : RunContext.Start(dir, sink ?? NullSink.Instance);
        JsonObject summary = new GemMinerExperiment().Run(config, ctx);
        return (summary, MetricsWriter.Read(dir.MetricsFile));
    }

    private static (long, string, string, double, string)[] Comparable(IEnumerable<MetricRecord> metrics) =>
        metrics.Where(m => !m.Metric.Contains("wall", StringComparison.Ordinal))
            .Select(m => (m.Step, m.Split, m.Metric, m.Value, string.Join(",", m.Extra?.Select(e => $"{e.Key}={e.Value}") ?? [])))
            .ToArray();

    [Fact]
    public void Run_Tiny_SummaryHasTheTicketItsChecksAndHonestBookkeeping()
    {
        JsonObject s = Run(Tiny(1, "shuffle", "random"), "summary").Summary;

        var t = (JsonObject)s["tickets"]!["gem-miner@0.2"]!;
        Assert.Equal(0.2, t["density"]!.GetValue<double>(), 3);
        Assert.True(t["weights_unchanged_by_mining"]!.GetValue<bool>());
        Assert.Equal(0, t["pruned_weights_nonzero_after_finetune"]!.GetValue<long>());
        Assert.Single((JsonArray)t["freeze_events"]!);                     // E = 2, T = 1: one event, after epoch 1
        Assert.Equal(0.2, t["sanity"]!["shuffle"]!["density"]!.GetValue<double>(), 3);
        // Every check starts from real initial weights: no kept position holds a weight an earlier mask zeroed.
        Assert.Equal(0, t["kept_zero_weights"]!.GetValue<long>());
        Assert.Equal(0, t["sanity"]!["shuffle"]!["kept_zero_weights"]!.GetValue<long>());
        Assert.Equal(0, t["sanity"]!["random"]!["kept_zero_weights"]!.GetValue<long>());
        Assert.Equal(t["post_ft_acc"]!.GetValue<double>() - t["sanity"]!["random"]!["post_ft_acc"]!.GetValue<double>(),
            t["sanity"]!["random"]!["gap"]!.GetValue<double>(), 12);
        Assert.Equal(64L * 32 + 32 * 10, s["prunable_weights"]!.GetValue<long>());
        string table = File.ReadAllText(Path.Combine(_root, "summary", "tickets.md"));
        Assert.Matches(@"\| gem-miner@0\.2 \| (19\.9\d|20\.0\d) % \| \d+\.\d\d % \| \d+\.\d\d % \| 2 \|", table);
        Assert.Contains("shuffle ", table);
    }

    [Fact]
    public void Run_SameSeed_IdenticalMetrics_DifferentSeedDiffers()
    {
        var a = Comparable(Run(Tiny(2), "a").Metrics);
        var b = Comparable(Run(Tiny(2), "b").Metrics);
        var c = Comparable(Run(Tiny(3), "c").Metrics);

        Assert.Equal(a, b);
        Assert.NotEqual(a.Select(m => m.Item4), c.Select(m => m.Item4));
    }

    [Fact]
    public void Run_LiveTensorCount_IsFlatAcrossStepsOfEveryPhase()
    {
        var sink = new LiveTensorSink();
        Run(Tiny(4) with { Mine = Tiny(4).Mine with { Epochs = 3 }, Finetune = Tiny(4).Finetune with { Epochs = 3 } }, "leak", sink);

        // Sampled after each step (outside the step scope), from the third step of a phase on: evaluations,
        // freezing events and checkpoints included.
        Assert.Equal(2, sink.Live.Count);
        foreach ((string task, List<long> live) in sink.Live)
        {
            Assert.Equal(10, live.Count);
            Assert.True(live.All(n => n == live[0]), $"{task}: {string.Join(",", live)}");
        }
    }

    [Theory]
    [InlineData("gem-miner@0.2/mine", 6)]
    [InlineData("gem-miner@0.2/finetune", 5)]
    [InlineData("gem-miner@0.2/shuffle", 3)]
    public void Run_CrashedAndResumed_EndsExactlyLikeAnUninterruptedRun(string crashIn, int crashAt)
    {
        // Given: an uninterrupted run, and the same run crashing inside one phase (checkpoints every epoch = 4 steps)
        PruningConfig config = Tiny(5, "shuffle");
        (JsonObject expected, IReadOnlyList<MetricRecord> whole) = Run(config, "whole");
        Assert.Throws<IOException>(() => Run(config, "broken", new CrashingSink(crashIn, crashAt)));
        long resumedAt = Checkpoint.Latest(Path.Combine(_root, "broken", "checkpoints"))!.Step;

        // When
        (JsonObject actual, IReadOnlyList<MetricRecord> resumed) = Run(config, "broken", resume: true);

        // Then: masks, scores, flags, optimizer state and the phase results came back: every number is the same
        Assert.True(resumedAt > 0);
        Assert.Equal(Comparable(whole), Comparable(resumed));
        var e = (JsonObject)expected["tickets"]!["gem-miner@0.2"]!;
        var a = (JsonObject)actual["tickets"]!["gem-miner@0.2"]!;
        foreach (string key in new[] { "density", "pre_ft_acc", "post_ft_acc", "layer_densities", "freeze_events", "sanity" })
        {
            Assert.Equal(e[key]!.ToJsonString(), a[key]!.ToJsonString());
        }
    }

    [Fact]
    public void Run_EveryPrunerOnce_ProducesTicketsAtTheDensity()
    {
        // Given: every pruner at 30 % on the tiny digits task (IMP: 5 prunings, 0.8^5 = 32.8 %)
        PruningConfig config = Tiny(6) with
        {
            Prune = new PruneConfig { Pruners = [.. PrunerNames.All], Densities = [0.3] },
            Mine = Tiny(6).Mine with { Epochs = 2 },
            Finetune = Tiny(6).Finetune with { Epochs = 1, Milestones = [] },
            Imp = new ImpConfig { Epochs = 1, Rounds = 5, RewindStep = 2, BatchSize = 64, Milestones = [] },
            EdgePopup = new EdgePopupConfig { Epochs = 1, BatchSize = 64 },
            Scores = new ScoreConfig { SynflowIterations = 5, BatchSize = 64 },
        };

        JsonObject s = Run(config, "all").Summary;

        var tickets = (JsonObject)s["tickets"]!;
        Assert.Equal(PrunerNames.All.Select(p => $"{p}@0.3").Order(), tickets.Select(t => t.Key).Order());
        foreach ((string id, JsonNode? t) in tickets)
        {
            double expected = id.StartsWith("imp", StringComparison.Ordinal) || id.StartsWith("lrr", StringComparison.Ordinal) ? Math.Pow(0.8, 5) : 0.3;
            Assert.True(Math.Abs(t!["density"]!.GetValue<double>() - expected) < 0.005, $"{id}: {t.ToJsonString()}");
            Assert.Equal(0, t["pruned_weights_nonzero_after_finetune"]!.GetValue<long>());
        }
        Assert.Equal(6, ((JsonArray)s["imp_rounds"]!["imp"]!).Count);
    }

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

    /// <summary>Throws (like a crash) after step <c>at</c> of the named phase.</summary>
    private sealed class CrashingSink(string task, int at) : IRunSink
    {
        public void Progress(string t, double done, double total)
        {
            if (t == task && done == at)
            {
                throw new IOException("simulated crash");
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
