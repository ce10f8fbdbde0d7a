using Tessera.Experiments;

namespace Tessera.Methods.BadMinima;

/// <summary>
/// Bad global minima (Liu, Papailiopoulos, Achlioptas 2020): phase 1 memorises random labels of replicated,
/// value-dropped copies of the training images (the adversarial initialisation θ_adv); phase 2 trains on the true
/// labels from θ_adv and from the same random initialisation θ_0, for every regularizer setting of the grid and
/// every seed. Defaults are the reduced-scale F1 run of the spec (§6.1): Fashion-MNIST, 2000 images, MLP-BN.
/// </summary>
public sealed record BadMinimaConfig : IRunConfig, IValidatable
{
    /// <summary>First seed of the grid: the seeds are seed, seed+1, ..., seed+grid.seeds−1. Each seed has its own
    /// training subset, θ_0, adversarial set and phase 1.</summary>
    public long Seed { get; init; }

    public int Threads { get; init; } = 1;

    public BadMinimaDataConfig Data { get; init; } = new();

    public AdversarialConfig Adversarial { get; init; } = new();

    public BadMinimaModelConfig Model { get; init; } = new();

    public Phase1Config Phase1 { get; init; } = new();

    public Phase2Config Phase2 { get; init; } = new();

    public GridConfig Grid { get; init; } = new();

    /// <summary>The grid's seeds, in order.</summary>
    public IReadOnlyList<long> Seeds() => Enumerable.Range(0, Grid.Seeds).Select(k => Seed + k).ToArray();

    public void Validate()
    {
        if (Data.TrainSize < 1 || Data.TestSize < 0 || Data.EvalBatchSize < 1)
        {
            throw new InputException("data.trainSize and data.evalBatchSize must be at least 1 and data.testSize at least 0 (0 = the whole test set).");
        }
        if ((Data.Mean is null) != (Data.Std is null) || (Data.Std?.Any(s => !(s > 0)) ?? false))
        {
            throw new InputException("data.mean and data.std must be given together (one value per channel, std > 0), or both left null to use the training set's statistics.");
        }
        if (Adversarial.Copies < 1)
        {
            throw new InputException($"adversarial.copies must be at least 1 (got {Adversarial.Copies}).");
        }
        if (!(Adversarial.ZeroRatio >= 0 && Adversarial.ZeroRatio < 1))
        {
            throw new InputException($"adversarial.zeroRatio must lie in [0, 1) (got {Adversarial.ZeroRatio}).");
        }
        Phase1.Validate();
        Phase2.Validate();
        Grid.Validate();
    }
}

public sealed record BadMinimaDataConfig
{
    /// <summary>fashion-mnist (default), mnist, cifar10, cifar100, digits (see <c>tessera data</c>).</summary>
    public string Dataset { get; init; } = "fashion-mnist";

    /// <summary>Folder holding downloaded datasets; null = $TESSERA_DATA or ./data.</summary>
    public string? Root { get; init; }

    /// <summary>Size n of the seeded random training subset that phase 2 trains on and phase 1 replicates.</summary>
    public int TrainSize { get; init; } = 2000;

    /// <summary>Number of test images (the first ones of the test split); 0 = all of them.</summary>
    public int TestSize { get; init; }

    /// <summary>Per-channel normalisation; null = mean and population std of the whole training split
    /// (Fashion-MNIST: 0.2860 and 0.3530, as the spec). Zeroing and padding happen before it.</summary>
    public double[]? Mean { get; init; }

    public double[]? Std { get; init; }

    public int EvalBatchSize { get; init; } = Training.Evaluation.DefaultBatchSize;
}

/// <summary>Phase 1a: each training image becomes <see cref="Copies"/> copies, each with its own
/// floor(C·H·W·<see cref="ZeroRatio"/>) distinct values set to 0 and its own uniform random label.</summary>
public sealed record AdversarialConfig
{
    public int Copies { get; init; } = 10;

    public double ZeroRatio { get; init; } = 0.1;
}

public sealed record BadMinimaModelConfig
{
    /// <summary>mlp-bn (default), cnn-bn, vgg16, resnet18 (the last two need 32×32 CIFAR-sized images).</summary>
    public string Name { get; init; } = "mlp-bn";

    /// <summary>Hidden widths of mlp-bn.</summary>
    public int[] Hidden { get; init; } = [512, 512];
}

/// <summary>Phase 1b: vanilla SGD (no momentum, no weight decay, no augmentation) on the adversarial set until the
/// eval-mode accuracy on it reaches <see cref="StopAccuracy"/> (checked every <see cref="CheckEvery"/> epochs).</summary>
public sealed record Phase1Config
{
    public double Lr { get; init; } = 0.1;

    public int BatchSize { get; init; } = 128;

    public int MaxEpochs { get; init; } = 200;

    public int CheckEvery { get; init; } = 5;

    /// <summary>Stop threshold on the adversarial set (the paper: 99.99 %; the reduced run: 99.9 %).</summary>
    public double StopAccuracy { get; init; } = 0.999;

    /// <summary>The learning rate is multiplied by <see cref="DecayFactor"/> after each of these epochs.</summary>
    public int[] DecayEpochs { get; init; } = [100];

    public double DecayFactor { get; init; } = 0.1;

    internal void Validate()
    {
        if (!(Lr > 0) || BatchSize < 1 || MaxEpochs < 1 || CheckEvery < 1)
        {
            throw new InputException("phase1.lr must be positive and phase1.batchSize, phase1.maxEpochs, phase1.checkEvery at least 1.");
        }
        if (!(StopAccuracy > 0 && StopAccuracy <= 1))
        {
            throw new InputException($"phase1.stopAccuracy must lie in (0, 1] (got {StopAccuracy}).");
        }
        EpochSchedule.Validate(DecayEpochs, DecayFactor, "phase1");
    }
}

/// <summary>Phase 2: SGD on the true labels of the training subset for a fixed number of epochs (no early stop).
/// The regularizers of a grid setting take their strengths from here (see <see cref="RegularizerCatalog"/>).</summary>
public sealed record Phase2Config
{
    /// <summary>0.01 at reduced scale (spec §6.1: at 0.1 the MLP recovers from θ_adv); the paper uses 0.1.</summary>
    public double Lr { get; init; } = 0.01;

    public int BatchSize { get; init; } = 128;

    public int Epochs { get; init; } = 60;

    public int[] DecayEpochs { get; init; } = [30, 45];

    public double DecayFactor { get; init; } = 0.1;

    /// <summary>Momentum of the <c>mom</c> regularizer.</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>Coupled weight decay of the <c>l2</c> regularizer (SGD's weight_decay, on every parameter).</summary>
    public double WeightDecay { get; init; } = 5e-4;

    /// <summary>Padding of the <c>da</c> random crop, with the raw background value 0 (2 for 28×28, 4 for CIFAR).</summary>
    public int CropPadding { get; init; } = 2;

    /// <summary>Horizontal flip probability of <c>da</c>.</summary>
    public double FlipProbability { get; init; } = 0.5;

    /// <summary>Evaluate (train and test accuracy, norms) every this many epochs and at the end.</summary>
    public int EvalEvery { get; init; } = 5;

    internal void Validate()
    {
        if (!(Lr > 0) || BatchSize < 1 || Epochs < 1 || EvalEvery < 1)
        {
            throw new InputException("phase2.lr must be positive and phase2.batchSize, phase2.epochs, phase2.evalEvery at least 1.");
        }
        if (Momentum < 0 || WeightDecay < 0 || CropPadding < 0 || FlipProbability is < 0 or > 1)
        {
            throw new InputException("phase2.momentum, phase2.weightDecay and phase2.cropPadding must be >= 0 and phase2.flipProbability in [0, 1].");
        }
        EpochSchedule.Validate(DecayEpochs, DecayFactor, "phase2");
    }
}

/// <summary>The phase-2 grid: every seed × setting × init is one cell with its own folder and summary.</summary>
public sealed record GridConfig
{
    public int Seeds { get; init; } = 1;

    /// <summary>random (θ_0) and/or adversarial (θ_adv).</summary>
    public string[] Inits { get; init; } = [InitName.Random, InitName.Adversarial];

    /// <summary>Regularizer settings: "vanilla", "all" (= da+l2+mom), or regularizer names joined by '+', each
    /// optionally with a strength, e.g. "l2=0.05" or "da+l2=0.05+mom" (see <see cref="RegularizerCatalog"/>).</summary>
    public string[] Settings { get; init; } = ["vanilla", "l2", "mom", "da", "all"];

    internal void Validate()
    {
        if (Seeds < 1)
        {
            throw new InputException($"grid.seeds must be at least 1 (got {Seeds}).");
        }
        if (Inits.Length == 0 || Inits.Any(i => i is not (InitName.Random or InitName.Adversarial)) || Inits.Distinct().Count() != Inits.Length)
        {
            throw new InputException($"grid.inits must list '{InitName.Random}' and/or '{InitName.Adversarial}' once each (got [{string.Join(", ", Inits)}]).");
        }
        if (Settings.Length == 0)
        {
            throw new InputException("grid.settings must list at least one setting, e.g. [\"vanilla\", \"all\"].");
        }
    }
}

/// <summary>The two phase-2 starting points.</summary>
public static class InitName
{
    /// <summary>θ_0: the seeded fresh initialisation phase 1 also starts from.</summary>
    public const string Random = "random";

    /// <summary>θ_adv: the end of phase 1.</summary>
    public const string Adversarial = "adversarial";
}
