using Tessera.Experiments;
using Tessera.Tests.Support.Models;
using Tessera.Training;

namespace Tessera.Tests.Support;

/// <summary>A small real training job (TinyNet on a fixed labelled point cloud) for trainer tests.</summary>
public sealed class TrainerHarness : IDisposable
{
    private readonly Tensor _x;
    private readonly Tensor _y;

    public TrainerHarness(string runDir)
    {
        Dir = RunDirectory.Create(runDir, "", "test", "unit", 0);
        using var g = new Generator(123);
        _x = torch.randn([256, 4], generator: g);
        _y = (_x[.., 0] + _x[.., 1] * _x[.., 2] > 0).to(ScalarType.Int64);
    }

    public RunDirectory Dir { get; }

    /// <summary>Runs (or resumes) a training of <paramref name="maxSteps"/> steps; <paramref name="onStep"/> sees each
    /// step index before its loss is computed (tests use it to sample statistics or to crash the run).</summary>
    public double Train(long seed, long maxSteps, bool resume = false, long checkpointEvery = 5, Action<long>? onStep = null,
        int batch = 32)
    {
        torch.random.manual_seed(seed);
        using var model = new TinyNet();
        using var optimizer = optim.Adam(model.parameters(), 0.01);
        using RunContext ctx = resume ? RunContext.Resume(Dir, NullSink.Instance) : RunContext.Start(Dir, NullSink.Instance);
        Tensor StepLoss(long step)
        {
            onStep?.Invoke(step);
            using Generator g = StepSeeds.Generator(seed, step, "data");
            Tensor index = torch.randint(0, 256, [batch], generator: g);
            return nn.functional.cross_entropy(model.call(_x.index_select(0, index)), _y.index_select(0, index));
        }
        var trainer = new Trainer(model, optimizer, StepLoss, LrSchedules.WarmupCosine(0.01, 3, maxSteps, 0.001),
            new TrainerOptions(maxSteps, LogEvery: 1, EvalEvery: 4, CheckpointEvery: checkpointEvery), ctx, seed)
        {
            Evaluate = step => ctx.Log(step, "eval", "loss", nn.functional.cross_entropy(model.call(_x), _y).item<float>()),
        };
        trainer.Run();
        return trainer.LastLoss;
    }

    public IReadOnlyList<MetricRecord> Metrics() => MetricsWriter.Read(Dir.MetricsFile);

    public void Dispose()
    {
        _x.Dispose();
        _y.Dispose();
    }
}
