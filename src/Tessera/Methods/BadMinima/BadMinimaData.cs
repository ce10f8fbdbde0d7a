using Tessera.Data;
using Tessera.Training;

namespace Tessera.Methods.BadMinima;

/// <summary>
/// The dataset of a run, loaded once: the normalisation statistics (of the whole training split unless the config
/// gives them) and the normalised test images. <see cref="ForSeed"/> draws a seed's training subset and its
/// adversarial set.
/// </summary>
public sealed class BadMinimaData : IDisposable
{
    private readonly ImageSplits _splits;

    private BadMinimaData(ImageSplits splits, Tensor mean, Tensor std, Tensor testX, Tensor testY)
    {
        _splits = splits;
        Mean = mean.DetachFromDisposeScope();
        Std = std.DetachFromDisposeScope();
        TestX = testX.DetachFromDisposeScope();
        TestY = testY.DetachFromDisposeScope();
    }

    /// <summary>Per-channel normalisation, float32 (C).</summary>
    public Tensor Mean { get; }

    public Tensor Std { get; }

    /// <summary>Normalised test images (N_test, C, H, W) and their labels.</summary>
    public Tensor TestX { get; }

    public Tensor TestY { get; }

    public string Name => _splits.Train.Name;

    public int Channels => _splits.Train.Channels;

    public int Height => _splits.Train.Height;

    public int Width => _splits.Train.Width;

    public int NumClasses => _splits.Train.NumClasses;

    public long TrainCount => _splits.Train.Count;

    public static BadMinimaData Load(BadMinimaDataConfig config)
    {
        ImageSplits splits = DatasetCatalog.LoadImages(config.Dataset, config.Root);
        try
        {
            return From(splits, config);
        }
        catch
        {
            splits.Dispose();
            throw;
        }
    }

    /// <summary>Wraps loaded splits (taking ownership of them).</summary>
    public static BadMinimaData From(ImageSplits splits, BadMinimaDataConfig config)
    {
        ImageDataset train = splits.Train, test = splits.Test;
        if (config.TrainSize > train.Count)
        {
            throw new InputException($"data.trainSize is {config.TrainSize}, but '{train.Name}' has only {train.Count} training images.");
        }
        if (config.TestSize > test.Count)
        {
            throw new InputException($"data.testSize is {config.TestSize}, but '{test.Name}' has only {test.Count} test images.");
        }
        if (config.Mean is { } m && (m.Length != train.Channels || config.Std!.Length != train.Channels))
        {
            throw new InputException($"data.mean and data.std need {train.Channels} values (one per channel of '{train.Name}').");
        }
        using var scope = torch.NewDisposeScope();
        (Tensor mean, Tensor std) = config.Mean is { } given
            ? (torch.tensor(given.Select(v => (float)v).ToArray()), torch.tensor(config.Std!.Select(v => (float)v).ToArray()))
            : ImageBatches.ChannelStats(train.Images);
        long testCount = config.TestSize == 0 ? test.Count : config.TestSize;
        Tensor testX = ImageBatches.Normalize(test.Images.narrow(0, 0, testCount), mean, std);
        Tensor testY = test.Labels.narrow(0, 0, testCount).clone();
        var data = new BadMinimaData(splits, mean, std, testX, testY);
        return data;
    }

    /// <summary>(raw − mean) / std per channel.</summary>
    public Tensor Normalize(Tensor raw) => ImageBatches.Normalize(raw, Mean, Std);

    /// <summary>The data of one grid seed: a seeded random subset of <paramref name="trainSize"/> training images
    /// (stream "subset") and the adversarial set built from exactly those images (stream "adversarial").</summary>
    public SeedData ForSeed(long seed, int trainSize, AdversarialConfig adversarial, bool buildAdversarial)
    {
        long[] subset = ImageBatches.Permutation(StepSeeds.For(seed, 0, "subset"), 0, TrainCount)[..trainSize];
        using ImageDataset part = _splits.Train.Subset(subset);
        AdversarialSet? set = buildAdversarial
            ? AdversarialSet.Build(part.Images, adversarial.Copies, adversarial.ZeroRatio, NumClasses, StepSeeds.For(seed, 0, "adversarial"))
            : null;
        try
        {
            using var scope = torch.NewDisposeScope();
            return new SeedData(subset, part.Images.clone(), part.Labels.clone(), Normalize(part.Images), set,
                set is null ? null : Normalize(set.Images));
        }
        catch
        {
            set?.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _splits.Dispose();
        Mean.Dispose();
        Std.Dispose();
        TestX.Dispose();
        TestY.Dispose();
    }
}

/// <summary>One seed's training data: the subset (raw for augmentation, normalised for evaluation), its true labels,
/// and the adversarial set (raw and normalised) built from the same images.</summary>
public sealed class SeedData : IDisposable
{
    internal SeedData(long[] subset, Tensor trainRaw, Tensor trainY, Tensor trainX, AdversarialSet? adversarial, Tensor? adversarialX)
    {
        Subset = subset;
        TrainRaw = trainRaw.DetachFromDisposeScope();
        TrainY = trainY.DetachFromDisposeScope();
        TrainX = trainX.DetachFromDisposeScope();
        Adversarial = adversarial;
        AdversarialX = adversarialX?.DetachFromDisposeScope();
    }

    /// <summary>Indices of the subset in the training split, in subset order.</summary>
    public IReadOnlyList<long> Subset { get; }

    public Tensor TrainRaw { get; }

    public Tensor TrainX { get; }

    public Tensor TrainY { get; }

    /// <summary>Null when the grid has no adversarial init.</summary>
    public AdversarialSet? Adversarial { get; }

    /// <summary>The adversarial images after normalisation (a zeroed value is −mean/std).</summary>
    public Tensor? AdversarialX { get; }

    public long Count => TrainY.shape[0];

    public void Dispose()
    {
        TrainRaw.Dispose();
        TrainX.Dispose();
        TrainY.Dispose();
        Adversarial?.Dispose();
        AdversarialX?.Dispose();
    }
}
