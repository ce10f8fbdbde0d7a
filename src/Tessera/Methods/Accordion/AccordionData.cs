using Tessera.Data;
using Tessera.Training;

namespace Tessera.Methods.Accordion;

/// <summary>
/// The training and test data of a run, held in memory and shared read-only by in-process workers: Fashion-MNIST
/// (the first <c>perClass</c> training images of each class, normalised with mean 0.2860 / std 0.3530, spec §6), CIFAR-10/100
/// (with the code's normalisation), R0's synthetic Gaussian classes, or text for R4's character model (the first
/// <c>textTrainChars</c> characters of the corpus for training, the next <c>textValChars</c> for validation, cut into
/// windows of <c>bptt</c> inputs whose targets are the same characters shifted by one). Worker shards follow PyTorch's
/// DistributedSampler: a permutation of (seed, epoch), padded to a multiple of W, rank r taking every W-th index (of
/// images, or of text windows).
/// </summary>
public sealed class AccordionData : IDisposable
{
    private readonly AccordionDataConfig _config;

    private AccordionData(AccordionDataConfig config, Tensor trainX, Tensor trainY, Tensor testX, Tensor testY, int classes, bool images,
        string? vocabulary = null)
    {
        _config = config;
        TrainX = trainX.DetachFromDisposeScope();
        TrainY = trainY.DetachFromDisposeScope();
        TestX = testX.DetachFromDisposeScope();
        TestY = testY.DetachFromDisposeScope();
        (NumClasses, IsImage, Vocabulary) = (classes, images, vocabulary);
    }

    /// <summary>The data sets read as character text (R4's language model).</summary>
    public static IReadOnlyList<string> TextDatasets { get; } = ["bible", "fortunes", "text-file"];

    public Tensor TrainX { get; }

    public Tensor TrainY { get; }

    public Tensor TestX { get; }

    public Tensor TestY { get; }

    public int NumClasses { get; }

    public bool IsImage { get; }

    /// <summary>Text data: the characters, token id = position (sorted by code point); null otherwise.</summary>
    public string? Vocabulary { get; }

    public long TrainCount => TrainX.shape[0];

    /// <summary>Shape of one input (C, H, W) or (D).</summary>
    public long[] InputShape => TrainX.shape[1..];

    public static AccordionData Load(AccordionDataConfig c, long seed)
    {
        ArgumentNullException.ThrowIfNull(c);
        using var scope = torch.NewDisposeScope();
        if (c.Dataset == "synthetic")
        {
            return Synthetic(c, seed);
        }
        if (TextDatasets.Contains(c.Dataset))
        {
            return FromText(c, ReadText(c));
        }
        using ImageSplits splits = DatasetCatalog.LoadImages(c.Dataset, c.Root);
        ImageDataset train = splits.Train;
        Tensor index = torch.tensor(FirstPerClass(train.LabelArray(), train.NumClasses, c.PerClass));
        (double[] mean, double[] std) = c.Dataset switch
        {
            "fashion-mnist" => (new[] { 0.2860 }, new[] { 0.3530 }),
            "cifar10" => (new[] { 125.3 / 255, 123.0 / 255, 113.9 / 255 }, new[] { 63.0 / 255, 62.1 / 255, 66.7 / 255 }),
            "cifar100" => (new[] { 0.5071, 0.4865, 0.4409 }, new[] { 0.2673, 0.2564, 0.2762 }),
            _ => throw new InputException($"data.dataset '{c.Dataset}' has no normalisation in ACCORDION; use fashion-mnist, cifar10, cifar100 or synthetic."),
        };
        Tensor m = torch.tensor(mean, ScalarType.Float32), s = torch.tensor(std, ScalarType.Float32);
        Tensor trainX = ImageBatches.Normalize(train.Images.index_select(0, index), m, s);
        Tensor trainY = train.Labels.index_select(0, index);
        Tensor testX = ImageBatches.Normalize(splits.Test.Images, m, s);
        return new AccordionData(c, trainX, trainY, testX, splits.Test.Labels.clone(), train.NumClasses, images: true);
    }

    /// <summary>R0's data (spec §6): class means ~ N(0, meanStd²·I) drawn once, samples = mean[y] + N(0, I), labels
    /// balanced (i mod classes), training and test sets from the same means.</summary>
    private static AccordionData Synthetic(AccordionDataConfig c, long seed)
    {
        using Generator gMeans = StepSeeds.Generator(seed, -1, "synthetic-means");
        using Generator gTrain = StepSeeds.Generator(seed, -1, "synthetic-train");
        using Generator gTest = StepSeeds.Generator(seed, -1, "synthetic-test");
        Tensor means = torch.randn([c.SyntheticClasses, c.SyntheticDim], generator: gMeans).mul_(c.SyntheticMeanStd);
        (Tensor X, Tensor Y) Draw(int n, Generator g)
        {
            Tensor y = torch.arange(n, dtype: ScalarType.Int64).remainder(c.SyntheticClasses);
            return (means.index_select(0, y) + torch.randn([n, c.SyntheticDim], generator: g), y);
        }
        (Tensor trainX, Tensor trainY) = Draw(c.SyntheticTrain, gTrain);
        (Tensor testX, Tensor testY) = Draw(c.SyntheticTest, gTest);
        return new AccordionData(c, trainX, trainY, testX, testY, c.SyntheticClasses, images: false);
    }

    private static string ReadText(AccordionDataConfig c)
    {
        if (c.Dataset != "text-file")
        {
            return string.Join('\n', DatasetCatalog.LoadText(c.Dataset, c.Root).Select(t => t.Text));
        }
        if (string.IsNullOrEmpty(c.TextPath) || !File.Exists(c.TextPath))
        {
            throw new InputException($"data.dataset=text-file reads data.textPath, a UTF-8 text file; '{c.TextPath}' does not exist.");
        }
        return File.ReadAllText(c.TextPath);
    }

    /// <summary>Training and validation windows from a corpus: characters [0, train) and [train, train + val), token ids
    /// from the sorted set of characters of both parts, each part cut into ⌊(length − 1) / bptt⌋ windows.</summary>
    public static AccordionData FromText(AccordionDataConfig c, string text)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(text);
        int need = c.TextTrainChars + c.TextValChars;
        if (text.Length < need || Math.Min(c.TextTrainChars, c.TextValChars) <= c.Bptt)
        {
            throw new InputException($"data.dataset={c.Dataset}: the text has {text.Length:N0} characters; data.textTrainChars " +
                $"({c.TextTrainChars:N0}) + data.textValChars ({c.TextValChars:N0}) must fit in it and each be longer than data.bptt ({c.Bptt}).");
        }
        string used = text[..need];
        string vocabulary = new(used.Distinct().Order().ToArray());
        var id = vocabulary.Select((ch, i) => (ch, i)).ToDictionary(p => p.ch, p => (long)p.i);
        (Tensor X, Tensor Y) Windows(string part)
        {
            long n = (part.Length - 1) / c.Bptt;
            long[] tokens = part.Select(ch => id[ch]).ToArray();
            Tensor all = torch.tensor(tokens);
            return (all.narrow(0, 0, n * c.Bptt).view(n, c.Bptt), all.narrow(0, 1, n * c.Bptt).view(n, c.Bptt));
        }
        (Tensor trainX, Tensor trainY) = Windows(used[..c.TextTrainChars]);
        (Tensor testX, Tensor testY) = Windows(used[c.TextTrainChars..]);
        return new AccordionData(c, trainX, trainY, testX, testY, vocabulary.Length, images: false, vocabulary);
    }

    /// <summary>The first <paramref name="perClass"/> indices of each class, in index order (all when 0).</summary>
    public static long[] FirstPerClass(long[] labels, int classes, int perClass)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (perClass <= 0)
        {
            return Enumerable.Range(0, labels.Length).Select(i => (long)i).ToArray();
        }
        var taken = new int[classes];
        var keep = new List<long>();
        for (int i = 0; i < labels.Length; i++)
        {
            if (taken[labels[i]]++ < perClass)
            {
                keep.Add(i);
            }
        }
        return keep.ToArray();
    }

    /// <summary>Rank <paramref name="rank"/>'s training indices for an epoch (DistributedSampler: ceil(N/W) each).</summary>
    public long[] Shard(long seed, int epoch, int rank, int workers)
    {
        long n = TrainCount;
        long[] order = ImageBatches.Permutation(seed, _config.Reshuffle ? epoch : 0, n);
        long per = (n + workers - 1) / workers;
        var shard = new long[per];
        for (long i = 0; i < per; i++)
        {
            shard[i] = order[((i * workers) + rank) % n];
        }
        return shard;
    }

    /// <summary>A training batch with augmentation (images only) drawn from <paramref name="augment"/>; text targets come
    /// flattened.</summary>
    public (Tensor X, Tensor Y) Batch(ReadOnlySpan<long> indices, Generator augment)
    {
        Tensor index = torch.tensor(indices.ToArray());
        Tensor x = TrainX.index_select(0, index);
        if (IsImage && _config.CropPadding > 0)
        {
            x = ImageBatches.RandomCropWithPadding(x, _config.CropPadding, augment);
        }
        if (IsImage && _config.FlipProbability > 0)
        {
            x = ImageBatches.RandomHorizontalFlip(x, _config.FlipProbability, augment);
        }
        return (x, TrainY.index_select(0, index).reshape(-1));   // text: (N·T) targets, matching the model's (N·T, vocab) logits
    }

    public void Dispose()
    {
        TrainX.Dispose();
        TrainY.Dispose();
        TestX.Dispose();
        TestY.Dispose();
    }
}
