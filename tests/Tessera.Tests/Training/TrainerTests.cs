using Tessera.Experiments;
using Tessera.Tests.Support;
using Tessera.Training;

namespace Tessera.Tests.Training;

public sealed class TrainerTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("tessera-trainer-").FullName;
    private readonly int _threads = torch.get_num_threads();

    public TrainerTests() => torch.set_num_threads(1);

    public void Dispose()
    {
        torch.set_num_threads(_threads);
        Directory.Delete(_root, recursive: true);
    }

    private TrainerHarness Harness(string name) => new(Path.Combine(_root, name));

    private static double[] Values(IEnumerable<MetricRecord> records) => records.Select(r => r.Value).ToArray();

    [Fact]
    public void Run_SameSeedTwice_BitIdenticalLosses_DifferentSeedDiffers()
    {
        using TrainerHarness a = Harness("a"), b = Harness("b"), c = Harness("c");

        a.Train(seed: 1, maxSteps: 12);
        b.Train(seed: 1, maxSteps: 12);
        c.Train(seed: 2, maxSteps: 12);

        double[] lossA = Values(a.Metrics().Where(r => r.Metric == "loss"));
        Assert.Equal(lossA, Values(b.Metrics().Where(r => r.Metric == "loss")));
        Assert.NotEqual(lossA, Values(c.Metrics().Where(r => r.Metric == "loss")));
    }

    [Fact]
    public void Run_ReducesTheLoss()
    {
        using TrainerHarness h = Harness("learn");
        h.Train(seed: 3, maxSteps: 60);
        double[] eval = Values(h.Metrics().Where(r => r.Split == "eval"));
        Assert.True(eval[^1] < 0.8 * eval[0], $"eval loss {eval[0]} -> {eval[^1]}");
    }

    [Fact]
    public void Run_CrashThenResume_EqualsUninterruptedRun()
    {
        // Given: an uninterrupted run, and a run that dies during step 13 (checkpoints every 5 steps)
        using TrainerHarness whole = Harness("whole"), broken = Harness("broken");
        whole.Train(seed: 5, maxSteps: 20);
        Assert.Throws<IOException>(() => broken.Train(seed: 5, maxSteps: 20,
            onStep: s => { if (s == 13) { throw new IOException("simulated crash"); } }));
        Assert.Equal(10, Checkpoint.Latest(broken.Dir.CheckpointsDir)!.Step);

        // When: the broken run is resumed from its latest checkpoint
        var stepsSeen = new List<long>();
        broken.Train(seed: 5, maxSteps: 20, resume: true, onStep: stepsSeen.Add);

        // Then: it continued at step 10 and every metric equals the uninterrupted run's, bit for bit
        Assert.Equal(10, stepsSeen[0]);
        IReadOnlyList<MetricRecord> expected = whole.Metrics(), actual = broken.Metrics();
        Assert.Equal(expected.Select(r => (r.Step, r.Split, r.Metric)), actual.Select(r => (r.Step, r.Split, r.Metric)));
        Assert.Equal(Values(expected), Values(actual));
    }

    [Fact]
    public void Run_LiveTensorCount_DoesNotGrowAcrossSteps()
    {
        using TrainerHarness h = Harness("leak");
        var live = new List<long>();
        h.Train(seed: 1, maxSteps: 9, checkpointEvery: 100, onStep: step =>
        {
            if (step == 2)
            {
                DisposeScopeManager.Statistics.Reset();
            }
            if (step >= 3)
            {
                live.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount);
            }
        });

        // Sampled at the start of steps 3..8: anything a step leaks would show up as growth.
        Assert.Equal(6, live.Count);
        Assert.True(live.All(n => n == live[0]), string.Join(",", live));
    }

    [Fact]
    public void Run_NonFiniteLoss_FailsWithClearMessage()
    {
        using TrainerHarness h = Harness("nan");
        var ctxDir = h.Dir;
        using var model = nn.Linear(2, 1);
        using var optimizer = optim.SGD(model.parameters(), 0.1);
        using RunContext ctx = RunContext.Start(ctxDir, NullSink.Instance);
        var trainer = new Trainer(model, optimizer, _ => torch.tensor(float.NaN, requires_grad: true) * 1,
            LrSchedules.Constant(0.1), new TrainerOptions(5), ctx, 0);

        var e = Assert.Throws<RunFailedException>(() => trainer.Run());
        Assert.Contains("step 1", e.Message);
    }
}
