using Tessera.Experiments;

namespace Tessera.Methods.LoopedTf;

/// <summary>
/// Looped transformers for in-context learning (spec: looped-transformer.md). One run trains the enabled models
/// (the looped transformer and a standard GPT-2-style transformer of the same width) on fresh prompts of one function
/// class, then scores them and the classical baselines on the same evaluation prompts. Defaults are R1 of spec §6.
/// </summary>
public sealed record LoopedConfig : IRunConfig, IValidatable
{
    public long Seed { get; init; }

    /// <summary>One libtorch thread per run (results are bit-identical at one thread).</summary>
    public int Threads { get; init; } = 1;

    public LoopedTaskConfig Task { get; init; } = new();

    public LoopedModelConfig Model { get; init; } = new();

    public LoopedNetConfig Looped { get; init; } = new();

    public StandardNetConfig Standard { get; init; } = new();

    public CurriculumConfig Curriculum { get; init; } = new();

    public LoopedTrainConfig Train { get; init; } = new();

    public LoopedEvalConfig Eval { get; init; } = new();

    public LoopedChecksConfig Checks { get; init; } = new();

    public void Validate()
    {
        FunctionClass.Create(Task);
        if (Task.Points < 1 || Task.Points > Model.NPositions)
        {
            throw new InputException($"task.points must be in 1..model.nPositions={Model.NPositions} (got {Task.Points}); " +
                "the position table needs 2·points tokens.");
        }
        new Nn.IclConfig(Task.Dims, Model.NPositions, 1, Model.NHead, Model.NEmbd).Validate();
        if (!Looped.Enabled && !Standard.Enabled)
        {
            throw new InputException("looped.enabled and standard.enabled are both false: enable at least one model.");
        }
        if (Looped.Layers < 1 || Looped.Loops < 1 || Looped.Window < 1 || Looped.Window > Looped.Loops || Looped.Lr <= 0)
        {
            throw new InputException($"looped needs layers >= 1, 1 <= window <= loops and lr > 0 (got layers {Looped.Layers}, " +
                $"loops {Looped.Loops}, window {Looped.Window}, lr {Looped.Lr}).");
        }
        if (Standard.Layers < 1 || Standard.Lr <= 0)
        {
            throw new InputException($"standard needs layers >= 1 and lr > 0 (got {Standard.Layers}, {Standard.Lr}).");
        }
        if (Curriculum.Enabled)
        {
            Curriculum.Dims.Validate("curriculum.dims", Task.Dims);
            Curriculum.Points.Validate("curriculum.points", Model.NPositions);
            Curriculum.Loops.Validate("curriculum.loops", int.MaxValue);
            if (Curriculum.Loops.Start < Looped.Window)
            {
                throw new InputException($"curriculum.loops.start ({Curriculum.Loops.Start}) must be at least looped.window ({Looped.Window}).");
            }
        }
        if (Train.Steps < 1 || Train.BatchSize < 1 || Train.MonitorPrompts < 1)
        {
            throw new InputException("train.steps, train.batchSize and train.monitorPrompts must be at least 1.");
        }
        if (Eval.Prompts < 1 || Eval.BatchSize < 1 || Eval.Loops < 1 || Eval.KnnK < 1 || Eval.SlowBaselinePrompts < 1 || Eval.LassoAlpha <= 0)
        {
            throw new InputException("eval.prompts, eval.batchSize, eval.loops, eval.knnK and eval.slowBaselinePrompts must be >= 1 " +
                "and eval.lassoAlpha > 0.");
        }
        string[] unknown = Eval.Baselines.Where(b => !Baselines.Names.Contains(b)).ToArray();
        if (unknown.Length > 0)
        {
            throw new InputException($"eval.baselines has unknown names {string.Join(", ", unknown)}; " +
                $"known: {string.Join(", ", Baselines.Names)}.");
        }
    }
}

public sealed record LoopedTaskConfig
{
    /// <summary>linear, sparse, relu or tree.</summary>
    public string Name { get; init; } = "linear";

    /// <summary>Input width d (the model's read-in width).</summary>
    public int Dims { get; init; } = 5;

    /// <summary>(x, y) pairs per prompt, n (without a curriculum; also the evaluation length).</summary>
    public int Points { get; init; } = 11;

    /// <summary>Non-zeros k of sparse linear regression.</summary>
    public int Sparsity { get; init; } = 3;

    /// <summary>Hidden units of the random ReLU networks.</summary>
    public int Hidden { get; init; } = 100;

    /// <summary>Depth of the random decision trees.</summary>
    public int Depth { get; init; } = 4;

    /// <summary>Decision trees: zero x beyond the active dimension (Garg's repo); false = the looped repo.</summary>
    public bool TruncateTree { get; init; }

    /// <summary>Standard deviation of label noise (0.1 for the paper's noisy LR).</summary>
    public double Noise { get; init; }
}

public sealed record LoopedModelConfig
{
    /// <summary>Residual width D (shared by both models).</summary>
    public int NEmbd { get; init; } = 64;

    public int NHead { get; init; } = 4;

    /// <summary>Most pairs per prompt; the position table has 2·nPositions + 1 rows.</summary>
    public int NPositions { get; init; } = 11;
}

public sealed record LoopedNetConfig
{
    public bool Enabled { get; init; } = true;

    /// <summary>Blocks in the looped stack (1 in the paper).</summary>
    public int Layers { get; init; } = 1;

    /// <summary>Loop iterations b during training (without a loops curriculum).</summary>
    public int Loops { get; init; } = 12;

    /// <summary>Truncated loss window T: loss and gradients on the last T iterations.</summary>
    public int Window { get; init; } = 6;

    public double Lr { get; init; } = 1e-3;
}

public sealed record StandardNetConfig
{
    public bool Enabled { get; init; } = true;

    public int Layers { get; init; } = 4;

    public double Lr { get; init; } = 5e-4;
}

/// <summary>One counter of the curriculum (spec §2.7): value at step s = min(end, start + inc·⌊s/interval⌋).</summary>
public sealed record CounterConfig
{
    public int Start { get; init; } = 1;

    public int End { get; init; } = 1;

    public int Inc { get; init; } = 1;

    public int Interval { get; init; } = 1000;

    public int At(long step) => (int)Math.Min(End, Start + (Inc * (step / Interval)));

    internal void Validate(string key, int max)
    {
        if (Start < 1 || End < Start || End > max || Inc < 0 || Interval < 1)
        {
            throw new InputException($"{key} needs 1 <= start <= end <= {max}, inc >= 0 and interval >= 1 " +
                $"(got start {Start}, end {End}, inc {Inc}, interval {Interval}).");
        }
    }
}

public sealed record CurriculumConfig
{
    /// <summary>Off at reduced scale (spec §6): fixed task.dims, task.points and looped.loops.</summary>
    public bool Enabled { get; init; }

    public CounterConfig Dims { get; init; } = new() { Start = 5, End = 20, Inc = 1, Interval = 5000 };

    public CounterConfig Points { get; init; } = new() { Start = 11, End = 41, Inc = 2, Interval = 5000 };

    /// <summary>Starts at the window T and ends at b (the looped model only).</summary>
    public CounterConfig Loops { get; init; } = new() { Start = 15, End = 20, Inc = 2, Interval = 500 };
}

public sealed record LoopedTrainConfig
{
    public long Steps { get; init; } = 3000;

    public int BatchSize { get; init; } = 64;

    /// <summary>Sample one batch at step 0 and train on it every step (the spec's smoke/overfitting test).</summary>
    public bool FixedBatch { get; init; }

    public long LogEvery { get; init; } = 50;

    /// <summary>Monitor the error at the last position every this many steps (0 = only at the end).</summary>
    public long EvalEvery { get; init; } = 500;

    /// <summary>Prompts of the monitor evaluation during training.</summary>
    public int MonitorPrompts { get; init; } = 256;

    public long CheckpointEvery { get; init; } = 1000;
}

public sealed record LoopedEvalConfig
{
    /// <summary>Evaluation prompts (spec: 1,280), the same for every model and baseline.</summary>
    public int Prompts { get; init; } = 1280;

    /// <summary>Prompts per forward pass (≤ 128, spec pitfall 5).</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>Seed of the evaluation prompts, independent of the run seed (spec §6: 1234).</summary>
    public long Seed { get; init; } = 1234;

    /// <summary>Loops of the looped model at evaluation: the loop curve covers 1..loops, and the error per position is
    /// reported at the trained b and at this count (spec: 500, 200 for trees; R1: 60).</summary>
    public int Loops { get; init; } = 60;

    /// <summary>least_squares, averaging, knn, lasso, tree, tree_sign, boosting, boosting_sign, nn_gd, zero.</summary>
    public string[] Baselines { get; init; } = ["least_squares", "averaging", "knn"];

    public int KnnK { get; init; } = 3;

    public double LassoAlpha { get; init; } = 0.01;

    /// <summary>Prompts for the slow baselines (boosting, nn_gd): the first this many evaluation prompts.</summary>
    public int SlowBaselinePrompts { get; init; } = 128;
}

/// <summary>Pass thresholds of the spec's reduced-scale checks (§6); 0 switches a check off.</summary>
public sealed record LoopedChecksConfig
{
    /// <summary>Hard: looped error at the last position, at eval.loops, at most this (R1 0.30, R2 0.35).</summary>
    public double MaxError { get; init; } = 0.30;

    /// <summary>Hard: looped error at the last position at most this times averaging's (R1 0.6, R2 0.7).</summary>
    public double MaxVsAveraging { get; init; } = 0.6;

    /// <summary>Hard: looped error at the last position at most this times k-NN's (R2 0.7; 0 = off).</summary>
    public double MaxVsKnn { get; init; }

    /// <summary>Hard (R1 gate 4): every model's err(i=0) in [0.85, 1.15] and err(i=2) ≥ 0.5.</summary>
    public bool Leakage { get; init; } = true;

    /// <summary>Hard (R1 gate 5): the loop curve settles at a fixed point.</summary>
    public bool FixedPoint { get; init; } = true;

    /// <summary>Soft: looped err ≤ factor · standard err + slack (R1 1.25 and 0.05, R2 1 and 0).</summary>
    public double VsStandardFactor { get; init; } = 1.25;

    public double VsStandardSlack { get; init; } = 0.05;

    /// <summary>Hard (smoke check S): mean loss of the last 50 steps at most this times the first 50's (0.5 looped,
    /// 0.3 standard; 0 = off).</summary>
    public double MaxLossRatioLooped { get; init; }

    public double MaxLossRatioStandard { get; init; }
}
