using System.Text.Json.Nodes;
using Tessera.Experiments;

namespace Tessera.Training;

/// <summary>How long to train and how often to log, evaluate and checkpoint (in optimizer steps; 0 = only at the end).</summary>
/// <param name="FirstStep">The step this training starts at. A run made of several trainings in a row (e.g. pruning,
/// then fine-tuning) numbers its steps globally: each training covers (FirstStep, MaxSteps], evaluates and checkpoints
/// every EvalEvery/CheckpointEvery steps counted from FirstStep, and restores a checkpoint on resume only when the
/// resumed step lies inside its range (otherwise it starts fresh at FirstStep).</param>
public sealed record TrainerOptions(long MaxSteps, long LogEvery = 10, long EvalEvery = 0, long CheckpointEvery = 0,
    double GradClip = 0, int KeepCheckpoints = 2, string Task = "train", long FirstStep = 0);

/// <summary>
/// The one training loop of Tessera (minGPT's idea: the loop knows nothing of the model or the data).
/// Each step runs in its own dispose scope: set the learning rate, seed the global generator from (seed, step),
/// compute the loss for that step, backpropagate, clip, update. Evaluation and checkpoints are hooks.
/// A run whose <see cref="RunContext.ResumeStep"/> is positive first restores that checkpoint.
/// </summary>
public sealed class Trainer
{
    private readonly nn.Module _model;
    private readonly OptimizerHelper _optimizer;
    private readonly Func<long, Tensor> _stepLoss;
    private readonly Func<long, double> _learningRate;
    private readonly TrainerOptions _options;
    private readonly RunContext _ctx;
    private readonly long _seed;

    /// <param name="stepLoss">Builds the batch of step <c>s</c> (deterministically from the seed and <c>s</c>) and
    /// returns the scalar loss. Called inside the step's dispose scope.</param>
    public Trainer(nn.Module model, OptimizerHelper optimizer, Func<long, Tensor> stepLoss, Func<long, double> learningRate,
        TrainerOptions options, RunContext ctx, long seed)
    {
        (_model, _optimizer, _stepLoss, _learningRate, _options, _ctx, _seed) = (model, optimizer, stepLoss, learningRate, options, ctx, seed);
    }

    /// <summary>Called with the completed step count at every evaluation point: model in eval mode, no gradients,
    /// inside a dispose scope (tensors it creates die with it).</summary>
    public Action<long>? Evaluate { get; set; }

    /// <summary>Called with the step index after backward and before gradient clipping and the optimizer step
    /// (inside the step's dispose scope): e.g. masking gradients, or turning weight gradients into score gradients.</summary>
    public Action<long>? AfterBackward { get; set; }

    /// <summary>Called with the step index right after the optimizer step (inside the step's dispose scope):
    /// e.g. re-applying pruning masks or projecting parameters back onto their domain.</summary>
    public Action<long>? AfterStep { get; set; }

    /// <summary>Experiment state to keep in checkpoints (e.g. the best score so far), and its restore.</summary>
    public Func<JsonObject>? SaveState { get; set; }

    public Action<JsonObject>? LoadState { get; set; }

    /// <summary>A stopping rule, asked after every evaluation with the completed step count (e.g. "the training
    /// accuracy reached 99.9 %"). True ends training at that step: its checkpoint is written and marked as final,
    /// so a resumed run does not train any further either. Null (the default) trains to
    /// <see cref="TrainerOptions.MaxSteps"/>.</summary>
    public Func<long, bool>? StopWhen { get; set; }

    /// <summary>True when <see cref="StopWhen"/> ended training before <see cref="TrainerOptions.MaxSteps"/>,
    /// in this call or in the run this one resumed.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Step at which training ended (MaxSteps, or the step a stopping rule chose); set by <see cref="Run"/>.</summary>
    public long FinalStep { get; private set; }

    /// <summary>Loss of the last completed step.</summary>
    public double LastLoss { get; private set; } = double.NaN;

    /// <summary>Trains until <see cref="TrainerOptions.MaxSteps"/>; returns the number of steps this call ran.</summary>
    public long Run()
    {
        long step = RestoreIfResuming();
        long first = step;
        _model.train();
        var parameters = _model.parameters().ToArray();
        while (step < _options.MaxSteps && !Stopped)
        {
            _ctx.Cancel.ThrowIfCancellationRequested();
            TorchGc.SafePoint();
            double lr = _learningRate(step);
            using (torch.NewDisposeScope())
            {
                foreach (var group in _optimizer.ParamGroups)
                {
                    group.LearningRate = lr;
                }
                StepSeeds.SeedGlobal(_seed, step);
                _optimizer.zero_grad();
                Tensor loss = _stepLoss(step);
                loss.backward();
                AfterBackward?.Invoke(step);
                if (_options.GradClip > 0)
                {
                    nn.utils.clip_grad_norm_(parameters, _options.GradClip);
                }
                _optimizer.step();
                AfterStep?.Invoke(step);
                LastLoss = loss.item<float>();
            }
            step++;

            if (!double.IsFinite(LastLoss))
            {
                throw new RunFailedException($"The training loss became {LastLoss} at step {step} (lr {lr:G3}). " +
                    "Lower train.lr or enable gradient clipping.");
            }
            if (step % Math.Max(1, _options.LogEvery) == 0 || step == _options.MaxSteps)
            {
                _ctx.Log(step, "train", "loss", LastLoss);
                _ctx.Log(step, "train", "lr", lr);
            }
            _ctx.Progress(_options.Task, step - _options.FirstStep, _options.MaxSteps - _options.FirstStep);
            if (Due(step, _options.EvalEvery))
            {
                RunEvaluation(step);
                Stopped = StopWhen?.Invoke(step) == true;
            }
            if (Stopped || Due(step, _options.CheckpointEvery))
            {
                JsonObject? state = SaveState?.Invoke();
                if (Stopped)
                {
                    state ??= [];
                    state[StoppedKey] = true;
                }
                Checkpoint.Save(_ctx.Dir.CheckpointsDir, step, _ctx.WallSeconds, _model, _optimizer, state, _options.KeepCheckpoints);
            }
        }
        FinalStep = step;
        return step - first;
    }

    /// <summary>The key a stopping checkpoint carries in its state (removed before <see cref="LoadState"/> sees it).</summary>
    internal const string StoppedKey = "trainer_stopped";

    private bool Due(long step, long every) =>
        step == _options.MaxSteps || (every > 0 && (step - _options.FirstStep) % every == 0);

    private void RunEvaluation(long step)
    {
        if (Evaluate is null)
        {
            return;
        }
        _model.eval();
        using (torch.no_grad())
        using (torch.NewDisposeScope())
        {
            Evaluate(step);
        }
        _model.train();
    }

    private long RestoreIfResuming()
    {
        if (_ctx.ResumeStep <= _options.FirstStep)
        {
            return _options.FirstStep;
        }
        if (_ctx.ResumeStep > _options.MaxSteps)
        {
            throw new InvalidOperationException($"The run resumes at step {_ctx.ResumeStep}, after this training's last step " +
                $"{_options.MaxSteps}: a training that already finished must not be run again.");
        }
        Checkpoint.Info checkpoint = Checkpoint.Latest(_ctx.Dir.CheckpointsDir)
            ?? throw new InputException($"'{_ctx.Dir.CheckpointsDir}' holds no checkpoint to resume from.");
        Checkpoint.Restore(checkpoint, _model, _optimizer);
        Stopped = checkpoint.State[StoppedKey]?.GetValue<bool>() == true;
        var state = (JsonObject)checkpoint.State.DeepClone();
        state.Remove(StoppedKey);
        LoadState?.Invoke(state);
        _ctx.Info($"resumed from step {checkpoint.Step} ({checkpoint.Dir})");
        return checkpoint.Step;
    }
}

/// <summary>A run that started correctly but could not finish (diverged, ran out of memory). Exit code 1.</summary>
public sealed class RunFailedException(string message) : Exception(message);
