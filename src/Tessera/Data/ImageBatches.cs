namespace Tessera.Data;

/// <summary>Batch order, normalisation and augmentation for (N, C, H, W) image tensors. Every function returns a
/// new tensor and never disposes or changes its arguments.</summary>
public static class ImageBatches
{
    /// <summary>A permutation of 0..n-1 from <see cref="SeededRandom"/>(seed, stream: epoch): the same
    /// (seed, epoch) always gives the same order, and each epoch a different one.</summary>
    public static long[] Permutation(long seed, long epoch, long n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(n, Array.MaxLength);
        var order = new long[n];
        for (long i = 0; i < n; i++)
        {
            order[i] = i;
        }
        new SeededRandom(seed, epoch).Shuffle(order.AsSpan());
        return order;
    }

    /// <summary>Per-channel mean and population standard deviation (divisor N·H·W) over a whole image
    /// tensor; both float32 of shape (C).</summary>
    public static (Tensor Mean, Tensor Std) ChannelStats(Tensor images)
    {
        RequireImages(images);
        using var scope = torch.NewDisposeScope();
        Tensor mean = images.mean([0, 2, 3]);
        Tensor std = images.std([0, 2, 3], unbiased: false);
        return (mean.MoveToOuterDisposeScope(), std.MoveToOuterDisposeScope());
    }

    /// <summary>(images - mean[c]) / std[c] per channel; mean and std have shape (C).</summary>
    public static Tensor Normalize(Tensor images, Tensor mean, Tensor std)
    {
        RequireImages(images);
        long c = images.shape[1];
        if (mean.dim() != 1 || mean.shape[0] != c || std.dim() != 1 || std.shape[0] != c)
        {
            throw new ArgumentException(
                $"Normalize needs a mean and std of shape ({c}) for {c} channels; got [{string.Join(", ", mean.shape)}] " +
                $"and [{string.Join(", ", std.shape)}].");
        }
        using var scope = torch.NewDisposeScope();
        if (std.le(0).any().item<bool>())
        {
            throw new ArgumentException("Normalize needs a positive std in every channel (a constant channel has std 0).", nameof(std));
        }
        Tensor result = images.sub(mean.view(1, c, 1, 1)).div(std.view(1, c, 1, 1));
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Pads every image with <paramref name="padding"/> zeros on each side and crops an H x W window at a random
    /// offset in 0..2·padding (drawn per image, independently for rows and columns). Done with two gathers, no
    /// per-pixel loop. padding 0 returns a copy.
    /// </summary>
    public static Tensor RandomCropWithPadding(Tensor images, int padding, Generator generator)
    {
        RequireImages(images);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        ArgumentNullException.ThrowIfNull(generator);
        if (padding == 0)
        {
            return images.clone();
        }
        using var scope = torch.NewDisposeScope();
        long n = images.shape[0], c = images.shape[1], h = images.shape[2], w = images.shape[3];
        long paddedW = w + 2 * padding;
        Tensor padded = nn.functional.pad(images, [padding, padding, padding, padding]);        // (N, C, H+2p, W+2p)
        Tensor dy = torch.randint(0, 2 * padding + 1, [n], ScalarType.Int64, generator: generator).to(images.device);
        Tensor dx = torch.randint(0, 2 * padding + 1, [n], ScalarType.Int64, generator: generator).to(images.device);
        Tensor rowsIndex = dy.view(n, 1) + torch.arange(h, ScalarType.Int64, images.device).view(1, h);   // (N, H)
        Tensor colsIndex = dx.view(n, 1) + torch.arange(w, ScalarType.Int64, images.device).view(1, w);   // (N, W)
        Tensor rows = padded.gather(2, rowsIndex.view(n, 1, h, 1).expand(n, c, h, paddedW));            // (N, C, H, W+2p)
        Tensor crop = rows.gather(3, colsIndex.view(n, 1, 1, w).expand(n, c, h, w));                   // (N, C, H, W)
        return crop.MoveToOuterDisposeScope();
    }

    /// <summary>Mirrors each image along the width axis with probability <paramref name="p"/> (one uniform draw
    /// per image from <paramref name="generator"/>).</summary>
    public static Tensor RandomHorizontalFlip(Tensor images, double p, Generator generator)
    {
        RequireImages(images);
        ArgumentNullException.ThrowIfNull(generator);
        if (!(p >= 0 && p <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "The flip probability must lie in [0, 1].");
        }
        using var scope = torch.NewDisposeScope();
        long n = images.shape[0];
        Tensor flip = torch.rand([n], ScalarType.Float64, generator: generator).lt(p).to(images.device).view(n, 1, 1, 1);
        Tensor result = torch.where(flip, images.flip(3), images);
        return result.MoveToOuterDisposeScope();
    }

    private static void RequireImages(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4)
        {
            throw new ArgumentException(
                $"Expected images of shape (N, C, H, W); got [{string.Join(", ", images.shape)}].", nameof(images));
        }
    }
}
