using System.Text.Json.Nodes;
using Tessera.Experiments;
using Tessera.Training;

namespace Tessera.Tests.Training;

public sealed class TrainerStopTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("tessera-trainer-stop-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>Linear regression y = 2x with SGD; evaluation every 3 steps; stop once <paramref name="stopAt"/> steps
    /// are done (if given). Returns the trainer, the steps it ran and the evaluation steps seen.</summary>
    private (Trainer Trainer, long Ran, List<long> Evaluated, List<long> StepsSeen) Train(string name, long? stopAt, bool resume = false,
        long failAt = -1)
    {
        RunDirectory dir = resume ? RunDirectory.Open(Path.Combine(_root, name)) : RunDirectory.Create(Path.Combine(_root, name), "", "test", "unit", 0);
        if (!resume)
        {
            dir.WriteConfig("{}");
        }
        torch.random.manual_seed(0);
        using var model = nn.Linear(1, 1);
        using var optimizer = optim.SGD(model.parameters(), 0.01);
        using RunContext ctx = resume ? RunContext.Resume(dir, NullSink.Instance) : RunContext.Start(dir, NullSink.Instance);
        var evaluated = new List<long>();
        var seen = new List<long>();
        var x = torch.arange(1f, 5f).view(4, 1);
        Tensor StepLoss(long step)
        {
            seen.Add(step);
            if (step == failAt)
            {
                throw new IOException("simulated crash");
            }
            return nn.functional.mse_loss(model.call(x), x * 2);
        }
        var trainer = new Trainer(model, optimizer, StepLoss, LrSchedules.Constant(0.01),
            new TrainerOptions(30, LogEvery: 1, EvalEvery: 3, CheckpointEvery: 9), ctx, 0)
        {
            Evaluate = evaluated.Add,
            StopWhen = stopAt is { } s ? step => step >= s : null,
            SaveState = () => new JsonObject { ["evaluations"] = evaluated.Count },
        };
        long ran = trainer.Run();
        return (trainer, ran, evaluated, seen);
    }

    [Fact]
    public void Run_StopWhenTrue_EndsAtThatEvaluationWithACheckpoint()
    {
        (Trainer trainer, long ran, List<long> evaluated, _) = Train("stop", stopAt: 7);

        Assert.Equal(9, ran);                          // the rule is asked at evaluations only: 3, 6, 9
        Assert.Equal([3L, 6L, 9L], evaluated);
        Assert.True(trainer.Stopped);
        Assert.Equal(9, trainer.FinalStep);
        Checkpoint.Info latest = Checkpoint.Latest(Path.Combine(_root, "stop", "checkpoints"))!;
        Assert.Equal(9, latest.Step);
    }

    [Fact]
    public void Run_StopCheckpointOffTheCheckpointGrid_IsStillWritten()
    {
        (Trainer trainer, long ran, _, _) = Train("offgrid", stopAt: 12);

        Assert.Equal(12, ran);
        Assert.Equal(12, Checkpoint.Latest(Path.Combine(_root, "offgrid", "checkpoints"))!.Step);
        Assert.True(trainer.Stopped);
    }

    [Fact]
    public void Run_ResumeAfterStop_TrainsNoFurther_AndStateHasNoTrainerKey()
    {
        // Given: a run stopped by the rule at step 12
        Train("resume", stopAt: 12);

        // When: it is resumed (without a rule, as a user would after a kill between the stop and the end)
        (Trainer trainer, long ran, _, List<long> seen) = Train("resume", stopAt: null, resume: true);

        // Then: nothing more was trained, and the experiment's state is what it saved
        Assert.Equal(0, ran);
        Assert.Empty(seen);
        Assert.True(trainer.Stopped);
        Assert.Equal(12, trainer.FinalStep);
        Checkpoint.Info latest = Checkpoint.Latest(Path.Combine(_root, "resume", "checkpoints"))!;
        Assert.Equal(4, latest.State["evaluations"]!.GetValue<int>());
    }

    [Fact]
    public void Run_NoRule_TrainsToMaxSteps()
    {
        (Trainer trainer, long ran, List<long> evaluated, _) = Train("full", stopAt: null);

        Assert.Equal(30, ran);
        Assert.False(trainer.Stopped);
        Assert.Equal(30, trainer.FinalStep);
        Assert.Equal(10, evaluated.Count);
    }

    [Fact]
    public void Run_CrashBeforeTheStop_ResumesAndStopsAtTheSameStep()
    {
        // Given: a run that dies during step 10 (last checkpoint at 9), with a rule that stops at 12
        Assert.Throws<IOException>(() => Train("crash", stopAt: 12, failAt: 10));

        // When
        (Trainer trainer, long ran, _, List<long> seen) = Train("crash", stopAt: 12, resume: true);

        // Then: it continued at step 9 and stopped at 12, as an uninterrupted run does
        Assert.Equal(9, seen[0]);
        Assert.Equal(3, ran);
        Assert.True(trainer.Stopped);
        Assert.Equal(12, trainer.FinalStep);
    }
}
