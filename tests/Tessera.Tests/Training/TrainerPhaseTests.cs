using Tessera.Experiments;
using Tessera.Training;

namespace Tessera.Tests.Training;

/// <summary>The Trainer's optional FirstStep (runs made of several trainings) and its AfterBackward/AfterStep hooks.</summary>
public sealed class TrainerPhaseTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("tessera-phases-").FullName;
    private readonly int _threads = torch.get_num_threads();

    public TrainerPhaseTests() => torch.set_num_threads(1);

    public void Dispose()
    {
        torch.set_num_threads(_threads);
        Directory.Delete(_root, recursive: true);
    }

    private sealed record Seen(List<long> Steps, List<long> Evals, List<string> Events);

    private Seen Train(RunContext ctx, long first, long last, Func<long, bool>? crash = null)
    {
        var seen = new Seen([], [], []);
        torch.random.manual_seed(1);
        using var model = nn.Linear(3, 2);
        using var optimizer = optim.SGD(model.parameters(), 0.1);
        Tensor x = torch.ones(4, 3), y = torch.zeros(4, dtype: ScalarType.Int64);
        var trainer = new Trainer(model, optimizer, step =>
        {
            if (crash?.Invoke(step) == true)
            {
                throw new IOException("crash");
            }
            seen.Steps.Add(step);
            return nn.functional.cross_entropy(model.call(x), y);
        }, LrSchedules.Constant(0.1), new TrainerOptions(last, LogEvery: 1, EvalEvery: 4, CheckpointEvery: 4, FirstStep: first), ctx, 0)
        {
            Evaluate = seen.Evals.Add,
            AfterBackward = s => seen.Events.Add($"backward {s}: grad {(model.weight!.grad is null ? "missing" : "present")}"),
            AfterStep = s => seen.Events.Add($"step {s}"),
        };
        trainer.Run();
        return seen;
    }

    [Fact]
    public void Run_FirstStep_CoversItsRangeAndCountsEveryFromItsStart()
    {
        RunDirectory dir = RunDirectory.Create(Path.Combine(_root, "a"), _root, "t", "t", 0);
        using RunContext ctx = RunContext.Start(dir, NullSink.Instance);

        Seen seen = Train(ctx, 10, 20);

        Assert.Equal(Enumerable.Range(10, 10).Select(i => (long)i), seen.Steps);
        Assert.Equal([14L, 18L, 20L], seen.Evals);
        Assert.Equal(20, Checkpoint.Latest(dir.CheckpointsDir)!.Step);
        Assert.Equal(["backward 10: grad present", "step 10"], seen.Events.Take(2));
    }

    [Fact]
    public void Run_Resumed_RestoresOnlyInsideItsRange()
    {
        // Given: a first training (0, 8] and a second one (8, 16] that crashes in step 13 (checkpoint at 12)
        RunDirectory dir = RunDirectory.Create(Path.Combine(_root, "b"), _root, "t", "t", 0);
        using (RunContext ctx = RunContext.Start(dir, NullSink.Instance))
        {
            Train(ctx, 0, 8);
            Assert.Throws<IOException>(() => Train(ctx, 8, 16, crash: s => s == 13));
        }

        // When: resumed
        using RunContext resumed = RunContext.Resume(dir, NullSink.Instance);

        // Then: a training that ended before the resumed step must not run; the second one continues at 12; a later
        // one starts fresh
        Assert.Equal(12, resumed.ResumeStep);
        Assert.Throws<InvalidOperationException>(() => Train(resumed, 0, 8));
        Assert.Equal([12L, 13L, 14L, 15L], Train(resumed, 8, 16).Steps);
        Assert.Equal(16L, Train(resumed, 16, 20).Steps[0]);
    }
}
