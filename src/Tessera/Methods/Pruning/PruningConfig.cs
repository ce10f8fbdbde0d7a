using Tessera.Experiments;

namespace Tessera.Methods.Pruning;

/// <summary>A pruning run (<c>tessera run gem-miner</c>): one or more pruners, each at one or more target densities,
/// each ticket fine-tuned and optionally sanity-checked. Density = fraction of prunable weights KEPT (the papers'
/// "sparsity"; spec's vocabulary trap).</summary>
public sealed record PruningConfig : IRunConfig, IValidatable
{
    public long Seed { get; init; }

    public int Threads { get; init; } = 1;

    public PruningDataConfig Data { get; init; } = new();

    public PruningModelConfig Model { get; init; } = new();

    public PruneConfig Prune { get; init; } = new();

    /// <summary>Gem-Miner's mining phase (spec §2.4).</summary>
    public MineConfig Mine { get; init; } = new();

    /// <summary>Weight training of every ticket with its mask fixed (spec §2.6), sanity checks included.</summary>
    public WeightTrainConfig Finetune { get; init; } = new();

    public ImpConfig Imp { get; init; } = new();

    public EdgePopupConfig EdgePopup { get; init; } = new();

    public ScoreConfig Scores { get; init; } = new();

    /// <summary>Test images per evaluation batch.</summary>
    public int EvalBatchSize { get; init; } = Training.Evaluation.DefaultBatchSize;

    /// <summary>Log the training loss every this many steps.</summary>
    public long LogEvery { get; init; } = 50;

    public void Validate()
    {
        if (Prune.Pruners.Length == 0)
        {
            throw new InputException($"prune.pruners is empty; list one or more of {string.Join(", ", PrunerNames.All)}.");
        }
        foreach (string p in Prune.Pruners)
        {
            if (!PrunerNames.All.Contains(p))
            {
                throw new InputException($"prune.pruners: unknown pruner '{p}'. Pruners: {string.Join(", ", PrunerNames.All)}.");
            }
        }
        if (Prune.Pruners.Distinct().Count() != Prune.Pruners.Length)
        {
            throw new InputException("prune.pruners lists a pruner twice.");
        }
        if (Prune.Densities.Length == 0 || Prune.Densities.Any(d => !(d > 0 && d < 1)))
        {
            throw new InputException($"prune.densities must list fractions of weights to KEEP in (0, 1), e.g. [0.014] for 1.4 % (got [{string.Join(", ", Prune.Densities)}]).");
        }
        foreach (string s in Prune.Sanity)
        {
            if (s is not ("shuffle" or "reinit" or "random" or "invert"))
            {
                throw new InputException($"prune.sanity: unknown check '{s}'; use shuffle, reinit, random or invert.");
            }
        }
        _ = ParseDistribution(Prune.RandomDistribution);
        if (Mine.Epochs < 1 || Mine.FreezeEvery < 1 || Mine.BatchSize < 1 || !(Mine.Lr > 0) || Mine.Lambda < 0)
        {
            throw new InputException("mine.epochs, mine.freezeEvery and mine.batchSize must be at least 1, mine.lr positive and mine.lambda >= 0.");
        }
        if (Mine.Optimizer is not ("sgd" or "adam"))
        {
            throw new InputException($"mine.optimizer must be sgd or adam (got '{Mine.Optimizer}').");
        }
        if (Mine.Schedule is not ("code" or "paper"))
        {
            throw new InputException($"mine.schedule must be code (the reference code's freezing events) or paper (Algorithm 1) (got '{Mine.Schedule}').");
        }
        if (Mine.Regularizer is not ("l2" or "l1"))
        {
            throw new InputException($"mine.regularizer must be l2 or l1 (got '{Mine.Regularizer}').");
        }
        Finetune.Validate("finetune");
        Imp.Validate();
        if (EdgePopup.Epochs < 1 || EdgePopup.BatchSize < 1 || !(EdgePopup.Lr > 0))
        {
            throw new InputException("edgePopup.epochs and edgePopup.batchSize must be at least 1 and edgePopup.lr positive.");
        }
        if (Scores.Batches < 1 || Scores.BatchSize < 1 || Scores.SynflowIterations < 1 || !(Scores.GraspTemperature > 0))
        {
            throw new InputException("scores.batches, scores.batchSize and scores.synflowIterations must be at least 1 and scores.graspTemperature positive.");
        }
        if (EvalBatchSize < 1 || LogEvery < 1)
        {
            throw new InputException("evalBatchSize and logEvery must be at least 1.");
        }
        if (Data.TrainSize < 0 || Data.TestSize < 0 || Data.CropPadding < 0 || Data.FlipProbability is < 0 or > 1)
        {
            throw new InputException("data.trainSize and data.testSize must be >= 0 (0 = all), data.cropPadding >= 0, data.flipProbability in [0, 1].");
        }
        if ((Data.Mean is null) != (Data.Std is null) || (Data.Std is { } std && std.Any(v => !(v > 0))))
        {
            throw new InputException("data.mean and data.std must be given together (one value per channel, std > 0), or both null to use the training set's statistics.");
        }
    }

    internal static RandomDistribution ParseDistribution(string name) => name switch
    {
        "uniform" => RandomDistribution.Uniform,
        "erdos-renyi" => RandomDistribution.ErdosRenyi,
        _ => throw new InputException($"prune.randomDistribution must be uniform or erdos-renyi (got '{name}')."),
    };
}

/// <summary>The pruner names accepted in <c>prune.pruners</c>.</summary>
public static class PrunerNames
{
    public const string GemMiner = "gem-miner";
    public const string Imp = "imp";
    public const string Lrr = "lrr";
    public const string Snip = "snip";
    public const string Grasp = "grasp";
    public const string SynFlow = "synflow";
    public const string Magnitude = "magnitude";
    public const string Random = "random";
    public const string EdgePopup = "edge-popup";

    public static IReadOnlyList<string> All { get; } = [GemMiner, Imp, Lrr, Snip, Grasp, SynFlow, Magnitude, Random, EdgePopup];
}

public sealed record PruningDataConfig
{
    /// <summary>fashion-mnist (the reduced-scale plan), digits, mnist, cifar10, cifar100 (see <c>tessera data</c>).</summary>
    public string Dataset { get; init; } = "fashion-mnist";

    /// <summary>Folder holding downloaded datasets; null = $TESSERA_DATA or ./data.</summary>
    public string? Root { get; init; }

    /// <summary>Use the first N training images (0 = all).</summary>
    public int TrainSize { get; init; }

    /// <summary>Use the first N test images (0 = all).</summary>
    public int TestSize { get; init; }

    /// <summary>Per-channel normalisation mean (Fashion-MNIST: [0.2860]); null = the training set's own.</summary>
    public double[]? Mean { get; init; }

    /// <summary>Per-channel normalisation std (Fashion-MNIST: [0.3530]); null = the training set's own.</summary>
    public double[]? Std { get; init; }

    /// <summary>Random crop after zero padding (CIFAR: 4); 0 = off.</summary>
    public int CropPadding { get; init; }

    /// <summary>Horizontal flip probability (CIFAR: 0.5); 0 = off.</summary>
    public double FlipProbability { get; init; }
}

public sealed record PruningModelConfig
{
    /// <summary>bn-mlp, conv-fm, conv4, resnet20, resnet32, resnet18 or vgg16 (see <see cref="PruningModels"/>).</summary>
    public string Name { get; init; } = "bn-mlp";

    /// <summary>Hidden widths of bn-mlp (MLP-FM: [300, 100]).</summary>
    public int[] Hidden { get; init; } = [300, 100];
}

public sealed record PruneConfig
{
    /// <summary>Pruners to run, each producing a ticket per density (imp and lrr produce every density on their way).</summary>
    public string[] Pruners { get; init; } = [PrunerNames.GemMiner];

    /// <summary>Target densities (fractions of weights kept), e.g. [0.014] for 1.4 %.</summary>
    public double[] Densities { get; init; } = [0.014];

    /// <summary>Layers never pruned (weight or module names); empty = prune every layer, as the papers do.</summary>
    public string[] Exempt { get; init; } = [];

    /// <summary>Sanity checks per ticket: shuffle (layer-wise mask shuffling), reinit (weight re-initialisation),
    /// random (a random mask at the same density, see <see cref="RandomDistribution"/>), invert (Gem-Miner re-run
    /// freezing the top scores; score pruners keep their lowest scores). Each is fine-tuned like the ticket.</summary>
    public string[] Sanity { get; init; } = [];

    /// <summary>Layer profile of the random pruner and the random check: uniform or erdos-renyi.</summary>
    public string RandomDistribution { get; init; } = "uniform";
}

public sealed record MineConfig
{
    /// <summary>Mining epochs E.</summary>
    public int Epochs { get; init; } = 20;

    /// <summary>Freezing period T (epochs).</summary>
    public int FreezeEvery { get; init; } = 2;

    /// <summary>Regulariser weight λ.</summary>
    public double Lambda { get; init; } = 1e-4;

    /// <summary>l2 (λ·Σp², the paper's) or l1 (λ·Σ|p|).</summary>
    public string Regularizer { get; init; } = "l2";

    /// <summary>sgd (momentum, no weight decay) or adam, on the scores only.</summary>
    public string Optimizer { get; init; } = "sgd";

    public double Lr { get; init; } = 0.1;

    public double Momentum { get; init; } = 0.9;

    public int BatchSize { get; init; } = 128;

    /// <summary>Fine-tune the flags q (true, most of the paper's runs) or H(p) ⊙ q (false).</summary>
    public bool Unflag { get; init; } = true;

    /// <summary>code (the reference code's freezing events, default) or paper (Algorithm 1).</summary>
    public string Schedule { get; init; } = "code";
}

public sealed record WeightTrainConfig
{
    public int Epochs { get; init; } = 20;

    public double Lr { get; init; } = 0.1;

    public double Momentum { get; init; } = 0.9;

    public double WeightDecay { get; init; } = 1e-4;

    public int BatchSize { get; init; } = 128;

    /// <summary>Epochs at which the learning rate is multiplied by 0.1; null = the reference code's rule for E
    /// (150/160 → [80, 120], 200 → [100, 150], 300 → [150, 250], 100 → [50, 80], else [⌊E/2⌋, ⌊2E/3⌋]).</summary>
    public int[]? Milestones { get; init; }

    internal void Validate(string key)
    {
        if (Epochs < 1 || BatchSize < 1 || !(Lr > 0) || WeightDecay < 0)
        {
            throw new InputException($"{key}.epochs and {key}.batchSize must be at least 1, {key}.lr positive and {key}.weightDecay >= 0.");
        }
        if (Milestones is { } m && (m.Any(e => e < 1 || e > Epochs) || !m.SequenceEqual(m.Order())))
        {
            throw new InputException($"{key}.milestones must be increasing epochs in 1..{key}.epochs (got [{string.Join(", ", m)}]).");
        }
    }

    /// <summary>The milestones in effect (the configured ones or the reference rule).</summary>
    public int[] EffectiveMilestones() => Milestones ?? Epochs switch
    {
        150 or 160 => [80, 120],
        200 => [100, 150],
        300 => [150, 250],
        100 => [50, 80],
        _ => [Epochs / 2, 2 * Epochs / 3],
    };
}

public sealed record ImpConfig
{
    /// <summary>Training epochs per round (round 0 trains the dense network).</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Number of prunings (rounds + 1 trainings); 0 = as many as the smallest density needs, (1−rate)^r ≈ d.</summary>
    public int Rounds { get; init; }

    /// <summary>Fraction of the remaining weights pruned after every round.</summary>
    public double Rate { get; init; } = 0.2;

    /// <summary>IMP rewinds to the weights after this many updates of round 0 (0 = to the initialisation).</summary>
    public int RewindStep { get; init; } = 200;

    public double Lr { get; init; } = 0.1;

    public double Momentum { get; init; } = 0.9;

    public double WeightDecay { get; init; } = 1e-4;

    public int BatchSize { get; init; } = 128;

    /// <summary>LR milestones per round (null = the reference rule for <see cref="Epochs"/>).</summary>
    public int[]? Milestones { get; init; }

    internal WeightTrainConfig Training => new()
    {
        Epochs = Epochs,
        Lr = Lr,
        Momentum = Momentum,
        WeightDecay = WeightDecay,
        BatchSize = BatchSize,
        Milestones = Milestones,
    };

    internal void Validate()
    {
        Training.Validate("imp");
        if (Rounds < 0 || !(Rate > 0 && Rate < 1) || RewindStep < 0)
        {
            throw new InputException("imp.rounds must be >= 0, imp.rate in (0, 1) and imp.rewindStep >= 0.");
        }
    }
}

public sealed record EdgePopupConfig
{
    public int Epochs { get; init; } = 20;

    public double Lr { get; init; } = 0.1;

    public double Momentum { get; init; } = 0.9;

    /// <summary>Weight decay on the scores (the reference configs' effective 5e-4).</summary>
    public double WeightDecay { get; init; } = 5e-4;

    public int BatchSize { get; init; } = 128;

    /// <summary>One global top-k over all layers instead of the same density in every layer (Table 3's Global EP).</summary>
    public bool Global { get; init; }
}

public sealed record ScoreConfig
{
    /// <summary>Minibatches of the first epoch's order used by SNIP and GraSP.</summary>
    public int Batches { get; init; } = 1;

    public int BatchSize { get; init; } = 128;

    /// <summary>Softmax temperature of GraSP's loss (200 in GraSP's code).</summary>
    public double GraspTemperature { get; init; } = 200;

    public int SynflowIterations { get; init; } = 100;
}
