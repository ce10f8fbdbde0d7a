using Tessera.Data;
using Tessera.Training;

namespace Tessera.Methods.Pruning;

/// <summary>The training and test images of a pruning run, normalised, with the seeded batch order and augmentation.</summary>
internal sealed class PruningData : IDisposable
{
    private readonly PruningDataConfig _config;
    private readonly EpochOrder _order;
    private readonly long _seed;

    public PruningData(PruningDataConfig config, long seed)
    {
        (_config, _seed) = (config, seed);
        using ImageSplits splits = DatasetCatalog.LoadImages(config.Dataset, config.Root);
        using ImageDataset train = Take(splits.Train, config.TrainSize), test = Take(splits.Test, config.TestSize);
        (Channels, Height, Width, NumClasses) = (train.Channels, train.Height, train.Width, train.NumClasses);
        using var scope = torch.NewDisposeScope();
        (Tensor mean, Tensor std) = config.Mean is { } m && config.Std is { } s
            ? (torch.tensor(m.Select(v => (float)v).ToArray()), torch.tensor(s.Select(v => (float)v).ToArray()))
            : ImageBatches.ChannelStats(train.Images);
        if (mean.shape[0] != Channels)
        {
            throw new InputException($"data.mean and data.std have {mean.shape[0]} values but '{config.Dataset}' has {Channels} channels.");
        }
        TrainX = ImageBatches.Normalize(train.Images, mean, std).DetachFromDisposeScope();
        TrainY = train.Labels.clone().DetachFromDisposeScope();
        TestX = ImageBatches.Normalize(test.Images, mean, std).DetachFromDisposeScope();
        TestY = test.Labels.clone().DetachFromDisposeScope();
        _order = new EpochOrder(seed, TrainCount);
    }

    public Tensor TrainX { get; }

    public Tensor TrainY { get; }

    public Tensor TestX { get; }

    public Tensor TestY { get; }

    public int Channels { get; }

    public int Height { get; }

    public int Width { get; }

    public int NumClasses { get; }

    public long TrainCount => TrainX.shape[0];

    public long[] InputShape => [Channels, Height, Width];

    /// <summary>Minibatches per epoch: ⌈n/B⌉, except that a last batch of one image is dropped (BatchNorm needs two).</summary>
    public long StepsPerEpoch(int batchSize) => (TrainCount / batchSize) + (TrainCount % batchSize > 1 ? 1 : 0);

    /// <summary>Batch <paramref name="index"/> of (local) epoch <paramref name="epoch"/>, augmented with a generator
    /// derived from (seed, <paramref name="step"/>) — a pure function of its arguments, so resumes are exact.</summary>
    public LabelledBatch Batch(long epoch, long index, int batchSize, long step)
    {
        using var scope = torch.NewDisposeScope();
        Tensor idx = torch.tensor(_order.Batch(epoch, index, batchSize));
        Tensor x = TrainX.index_select(0, idx);
        if (_config.CropPadding > 0 || _config.FlipProbability > 0)
        {
            using Generator g = StepSeeds.Generator(_seed, step, "augment");
            if (_config.CropPadding > 0)
            {
                x = ImageBatches.RandomCropWithPadding(x, _config.CropPadding, g);
            }
            if (_config.FlipProbability > 0)
            {
                x = ImageBatches.RandomHorizontalFlip(x, _config.FlipProbability, g);
            }
        }
        return new LabelledBatch(x.MoveToOuterDisposeScope(), TrainY.index_select(0, idx).MoveToOuterDisposeScope());
    }

    public void Dispose()
    {
        TrainX.Dispose();
        TrainY.Dispose();
        TestX.Dispose();
        TestY.Dispose();
    }

    private static ImageDataset Take(ImageDataset data, int size)
    {
        if (size > data.Count)
        {
            throw new InputException($"data.trainSize/testSize asks for {size} images but '{data.Name}' has {data.Count}; use 0 for all.");
        }
        long n = size == 0 ? data.Count : size;
        return data.Subset(Enumerable.Range(0, (int)n).Select(i => (long)i).ToArray());
    }
}
