namespace Tessera.Data;

/// <summary>
/// A labelled image set held in memory. Images: float32 (N, C, H, W) scaled to [0, 1] (raw pixel divided by
/// the format's maximum pixel value). Labels: int64 (N) in 0..NumClasses-1.
/// </summary>
/// <remarks>The dataset owns both tensors (they are detached from any dispose scope) and disposes them.</remarks>
public sealed class ImageDataset : IDisposable
{
    /// <summary>Takes ownership of <paramref name="images"/> and <paramref name="labels"/> when it succeeds;
    /// when it throws, they stay with the caller.</summary>
    /// <exception cref="ArgumentException">Wrong dtype or rank, or the counts differ.</exception>
    /// <exception cref="InputException">A label lies outside 0..numClasses-1.</exception>
    public ImageDataset(string name, Tensor images, Tensor labels, int numClasses)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numClasses);
        if (images.dtype != ScalarType.Float32 || images.dim() != 4)
        {
            throw new ArgumentException(
                $"Images of '{name}' must be float32 (N, C, H, W); got {images.dtype} [{string.Join(", ", images.shape)}].",
                nameof(images));
        }
        if (labels.dtype != ScalarType.Int64 || labels.dim() != 1)
        {
            throw new ArgumentException(
                $"Labels of '{name}' must be int64 (N); got {labels.dtype} [{string.Join(", ", labels.shape)}].",
                nameof(labels));
        }
        if (images.shape[0] != labels.shape[0])
        {
            throw new ArgumentException(
                $"'{name}' has {images.shape[0]} images but {labels.shape[0]} labels.", nameof(labels));
        }
        if (labels.shape[0] > 0)
        {
            using Tensor minT = labels.min();
            using Tensor maxT = labels.max();
            long min = minT.item<long>();
            long max = maxT.item<long>();
            if (min < 0 || max >= numClasses)
            {
                long bad = min < 0 ? min : max;
                throw new InputException(
                    $"Dataset '{name}' has label {bad}, outside 0..{numClasses - 1} for its {numClasses} classes.");
            }
        }
        Name = name;
        Images = images.DetachFromDisposeScope();
        Labels = labels.DetachFromDisposeScope();
        NumClasses = numClasses;
    }

    public string Name { get; }

    /// <summary>float32 (N, C, H, W) in [0, 1].</summary>
    public Tensor Images { get; }

    /// <summary>int64 (N).</summary>
    public Tensor Labels { get; }

    public int NumClasses { get; }

    public long Count => Images.shape[0];

    public int Channels => (int)Images.shape[1];

    public int Height => (int)Images.shape[2];

    public int Width => (int)Images.shape[3];

    /// <summary>A new dataset with copies of the rows at <paramref name="indices"/>, in that order.</summary>
    public ImageDataset Subset(long[] indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        long n = Count;
        foreach (long i in indices)
        {
            if (i < 0 || i >= n)
            {
                throw new ArgumentOutOfRangeException(nameof(indices), i, $"Index outside 0..{n - 1} of '{Name}'.");
            }
        }
        using var index = torch.tensor(indices, dtype: ScalarType.Int64);
        Tensor images = Images.index_select(0, index);
        Tensor labels = Labels.index_select(0, index);
        return new ImageDataset(Name, images, labels, NumClasses);
    }

    /// <summary>The label of every row, as a managed array (for partitioners).</summary>
    public long[] LabelArray() => Labels.data<long>().ToArray();

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}

/// <summary>A train/test pair; disposing it disposes both.</summary>
public sealed record ImageSplits(ImageDataset Train, ImageDataset Test) : IDisposable
{
    public void Dispose()
    {
        Train.Dispose();
        Test.Dispose();
    }
}
