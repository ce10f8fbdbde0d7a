using Tessera.Experiments;

namespace Tessera.Methods.Classify;

/// <summary>Image classification: a model from the zoo trained on an image dataset (digits by default).</summary>
public sealed record ClassifyConfig : IRunConfig, IValidatable
{
    public long Seed { get; init; }

    public int Threads { get; init; } = 2;

    public ClassifyDataConfig Data { get; init; } = new();

    public ClassifyModelConfig Model { get; init; } = new();

    public ClassifyTrainConfig Train { get; init; } = new();

    public void Validate()
    {
        if (Train.Epochs < 1 || Train.BatchSize < 1 || Train.EvalBatchSize < 1)
        {
            throw new InputException("train.epochs, train.batchSize and train.evalBatchSize must be at least 1.");
        }
        if (Train.Lr <= 0)
        {
            throw new InputException($"train.lr must be positive (got {Train.Lr}).");
        }
        if (Train.Optimizer is not ("adam" or "adamw" or "sgd"))
        {
            throw new InputException($"train.optimizer must be adam, adamw or sgd (got '{Train.Optimizer}').");
        }
        if (Train.Schedule is not ("constant" or "cosine"))
        {
            throw new InputException($"train.schedule must be constant or cosine (got '{Train.Schedule}').");
        }
        if (Data.CropPadding < 0 || Data.FlipProbability is < 0 or > 1)
        {
            throw new InputException("data.cropPadding must be >= 0 and data.flipProbability in [0, 1].");
        }
    }
}

public sealed record ClassifyDataConfig
{
    /// <summary>digits (embedded), fashion-mnist, mnist, cifar10, cifar100 (see <c>tessera data</c>).</summary>
    public string Dataset { get; init; } = "digits";

    /// <summary>Folder holding downloaded datasets; null = $TESSERA_DATA or ./data.</summary>
    public string? Root { get; init; }

    /// <summary>Standardise each channel with the training set's mean and std.</summary>
    public bool Normalize { get; init; } = true;

    /// <summary>Random crop after zero padding by this many pixels (0 = off; 4 is the CIFAR standard).</summary>
    public int CropPadding { get; init; }

    /// <summary>Horizontal flip probability (0 = off; 0.5 for CIFAR; never for digits).</summary>
    public double FlipProbability { get; init; }
}

public sealed record ClassifyModelConfig
{
    /// <summary>mlp, lenet5 or smallcnn.</summary>
    public string Name { get; init; } = "smallcnn";

    /// <summary>Hidden layer widths of the mlp.</summary>
    public int[] Hidden { get; init; } = [128];
}

public sealed record ClassifyTrainConfig
{
    public int Epochs { get; init; } = 15;

    public int BatchSize { get; init; } = 64;

    /// <summary>adam, adamw or sgd (with momentum).</summary>
    public string Optimizer { get; init; } = "adam";

    public double Lr { get; init; } = 2e-3;

    public double Momentum { get; init; } = 0.9;

    public double WeightDecay { get; init; }

    /// <summary>constant or cosine (to lr/100 at the last step).</summary>
    public string Schedule { get; init; } = "cosine";

    public long LogEvery { get; init; } = 10;

    /// <summary>Evaluate every this many steps; 0 = once per epoch.</summary>
    public long EvalEvery { get; init; }

    /// <summary>Checkpoint every this many steps; 0 = once per epoch.</summary>
    public long CheckpointEvery { get; init; }

    public int EvalBatchSize { get; init; } = Training.Evaluation.DefaultBatchSize;
}
