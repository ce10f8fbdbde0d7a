using Tessera.Data;
using static Tessera.Tests.Data.DataFixtures;

namespace Tessera.Tests.Data;

public sealed class ImageBatchesTests
{
    /// <summary>(N, C, H, W) with the distinct positive values 1..N·C·H·W.</summary>
    private static Tensor Distinct(long n, long c, long h, long w) =>
        torch.arange(1, n * c * h * w + 1, ScalarType.Float32).view(n, c, h, w);

    [Fact]
    public void Permutation_SameSeedAndEpoch_SameOrderOtherEpochOther()
    {
        long[] a = ImageBatches.Permutation(5, 0, 100);
        long[] b = ImageBatches.Permutation(5, 0, 100);
        long[] nextEpoch = ImageBatches.Permutation(5, 1, 100);
        long[] otherSeed = ImageBatches.Permutation(6, 0, 100);

        Assert.Equal(a, b);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), a.Order());
        Assert.NotEqual(a, nextEpoch);
        Assert.NotEqual(a, otherSeed);
        Assert.NotEqual(Enumerable.Range(0, 100).Select(i => (long)i), a);
    }

    [Fact]
    public void ChannelStats_HandValues_PopulationMeanAndStd()
    {
        // Channel 0 holds 1, 3, 5, 7: mean 4, population variance (9+1+1+9)/4 = 5. Channel 1 holds 2, 2, 2, 2.
        using Tensor images = torch.tensor(new float[] { 1, 3, 2, 2, 5, 7, 2, 2 }, [2, 2, 1, 2]);

        (Tensor mean, Tensor std) = ImageBatches.ChannelStats(images);
        using (mean)
        using (std)
        {
            Assert.Equal([2L], mean.shape);
            Assert.Equal([4f, 2f], Floats(mean));
            Assert.Equal(MathF.Sqrt(5f), Floats(std)[0], 6);
            Assert.Equal(0f, Floats(std)[1]);
        }
    }

    [Fact]
    public void Normalize_HandValues_SubtractsMeanDividesStdPerChannel()
    {
        using Tensor images = torch.tensor(new float[] { 1, 3, 2, 6 }, [1, 2, 1, 2]);
        using Tensor mean = torch.tensor(new float[] { 1, 2 });
        using Tensor std = torch.tensor(new float[] { 2, 4 });

        using Tensor result = ImageBatches.Normalize(images, mean, std);

        Assert.Equal([0f, 1f, 0f, 1f], Floats(result));
    }

    [Fact]
    public void Normalize_ZeroStdOrWrongShape_Throws()
    {
        using Tensor images = torch.ones(1, 2, 1, 2);
        using Tensor mean = torch.zeros(2);
        using Tensor zeroStd = torch.tensor(new float[] { 1, 0 });
        using Tensor threeStd = torch.ones(3);

        Assert.Throws<ArgumentException>(() => ImageBatches.Normalize(images, mean, zeroStd));
        Assert.Throws<ArgumentException>(() => ImageBatches.Normalize(images, mean, threeStd));
    }

    [Fact]
    public void RandomCropWithPadding_PaddingZero_IsIdentity()
    {
        using Tensor images = Distinct(3, 2, 4, 5);
        using var g = new Generator(1);

        using Tensor crop = ImageBatches.RandomCropWithPadding(images, 0, g);

        Assert.Equal(Floats(images), Floats(crop));
    }

    [Fact]
    public void RandomCropWithPadding_EachImage_IsAShiftedWindowOfItsZeroPaddedSelf()
    {
        // Given: distinct values, so each output image must equal exactly one window of its padded input
        const int n = 16, c = 2, h = 4, w = 5, p = 2;
        using Tensor images = Distinct(n, c, h, w);
        using var g = new Generator(7);

        // When
        using Tensor crop = ImageBatches.RandomCropWithPadding(images, p, g);

        // Then
        Assert.Equal([(long)n, c, h, w], crop.shape);
        float[] x = Floats(images), y = Floats(crop);
        var offsets = new HashSet<(int, int)>();
        for (int i = 0; i < n; i++)
        {
            var matches = new List<(int, int)>();
            for (int dy = 0; dy <= 2 * p; dy++)
            {
                for (int dx = 0; dx <= 2 * p; dx++)
                {
                    if (WindowMatches(x, y, i, c, h, w, dy - p, dx - p))
                    {
                        matches.Add((dy, dx));
                    }
                }
            }
            Assert.Single(matches);
            offsets.Add(matches[0]);
            Assert.All(y.AsSpan(i * c * h * w, c * h * w).ToArray(), v => Assert.True(v == 0 || x.Contains(v)));
        }
        Assert.True(offsets.Count > 1, "16 images should not all get the same offset");
    }

    [Fact]
    public void RandomCropWithPadding_SameGeneratorSeed_SameResult()
    {
        using Tensor images = Distinct(8, 1, 6, 6);
        using var g1 = new Generator(42);
        using var g2 = new Generator(42);
        using var g3 = new Generator(43);

        using Tensor a = ImageBatches.RandomCropWithPadding(images, 3, g1);
        using Tensor b = ImageBatches.RandomCropWithPadding(images, 3, g2);
        using Tensor other = ImageBatches.RandomCropWithPadding(images, 3, g3);

        Assert.Equal(Floats(a), Floats(b));
        Assert.NotEqual(Floats(a), Floats(other));
    }

    [Fact]
    public void RandomHorizontalFlip_POne_ReversesWidthAndTwiceIsIdentity()
    {
        using Tensor images = Distinct(3, 2, 2, 3);
        using var g = new Generator(0);

        using Tensor once = ImageBatches.RandomHorizontalFlip(images, 1.0, g);
        using Tensor twice = ImageBatches.RandomHorizontalFlip(once, 1.0, g);

        // Each row [a, b, c] becomes [c, b, a]: rows of 3 reversed one by one.
        float[] expected = Floats(images).Chunk(3).SelectMany(row => row.Reverse()).ToArray();
        Assert.Equal(expected, Floats(once));
        Assert.Equal(Floats(images), Floats(twice));
    }

    [Fact]
    public void RandomHorizontalFlip_PZero_IsIdentity()
    {
        using Tensor images = Distinct(4, 1, 2, 3);
        using var g = new Generator(0);

        using Tensor result = ImageBatches.RandomHorizontalFlip(images, 0.0, g);

        Assert.Equal(Floats(images), Floats(result));
    }

    [Fact]
    public void RandomHorizontalFlip_PHalf_EachImageEitherKeptOrMirroredAndSeeded()
    {
        // Given
        const int n = 32;
        using Tensor images = Distinct(n, 1, 2, 3);
        using Tensor mirrored = images.flip(3);
        using var g1 = new Generator(5);
        using var g2 = new Generator(5);

        // When
        using Tensor a = ImageBatches.RandomHorizontalFlip(images, 0.5, g1);
        using Tensor b = ImageBatches.RandomHorizontalFlip(images, 0.5, g2);

        // Then
        float[] x = Floats(images), m = Floats(mirrored), y = Floats(a);
        int flipped = 0;
        for (int i = 0; i < n; i++)
        {
            float[] yi = y[(i * 6)..(i * 6 + 6)];
            bool kept = yi.SequenceEqual(x[(i * 6)..(i * 6 + 6)]);
            bool flip = yi.SequenceEqual(m[(i * 6)..(i * 6 + 6)]);
            Assert.True(kept ^ flip);
            flipped += flip ? 1 : 0;
        }
        Assert.InRange(flipped, 1, n - 1);
        Assert.Equal(y, Floats(b));
    }

    /// <summary>Is output image i the input shifted by (sy, sx), zeros where the window leaves the image?</summary>
    private static bool WindowMatches(float[] x, float[] y, int i, int c, int h, int w, int sy, int sx)
    {
        for (int ch = 0; ch < c; ch++)
        {
            for (int r = 0; r < h; r++)
            {
                for (int col = 0; col < w; col++)
                {
                    int sr = r + sy, sc = col + sx;
                    float expected = sr >= 0 && sr < h && sc >= 0 && sc < w ? x[((i * c + ch) * h + sr) * w + sc] : 0f;
                    if (y[((i * c + ch) * h + r) * w + col] != expected)
                    {
                        return false;
                    }
                }
            }
        }
        return true;
    }
}
