using CsCheck;
using Tessera.Methods.BadMinima;
using Tessera.Tests.Nn;

namespace Tessera.Tests.Methods.BadMinima;

public sealed class AdversarialSetTests
{
    /// <summary>Images with every value in (0, 1], so that a zeroed value always differs from its source.</summary>
    private static Tensor Images(long n, long c, long h, long w, long seed)
    {
        using var g = new Generator((ulong)seed);
        return torch.rand([n, c, h, w], generator: g) * 0.9f + 0.1f;
    }

    /// <summary>The spec's §6.5 invariants, row by row.</summary>
    private static void AssertInvariants(Tensor images, AdversarialSet set, int copies, int n0, int classes)
    {
        long n = images.shape[0], length = images.shape[1] * images.shape[2] * images.shape[3];
        Assert.Equal([n * copies, images.shape[1], images.shape[2], images.shape[3]], set.Images.shape);
        Assert.Equal(n0, set.ZeroedPerCopy);
        float[] source = images.contiguous().data<float>().ToArray();
        float[] rows = set.Images.contiguous().data<float>().ToArray();
        long[] labels = set.Labels.data<long>().ToArray();
        for (long row = 0; row < n * copies; row++)
        {
            long i = set.SourceOf(row);
            Assert.Equal(row / copies, i);                                // copies of image i are rows i·R … i·R+R−1
            var zeroed = new HashSet<int>(set.ZeroedOf(row).ToArray());
            Assert.Equal(n0, zeroed.Count);                               // n0 distinct positions
            for (int t = 0; t < length; t++)
            {
                float value = rows[row * length + t], original = source[i * length + t];
                Assert.Equal(zeroed.Contains(t) ? 0f : original, value);  // differs only where zeroed, and is 0 there
            }
            Assert.InRange(labels[row], 0, classes - 1);
        }
    }

    [Fact]
    public void Build_SmallSet_EveryRowIsItsSourceWithExactlyN0ZeroedValues()
    {
        // Given: 6 images of 1×5×4 (20 values), 3 copies, ρ = 0.25 → n0 = floor(20·0.25) = 5
        using var scope = torch.NewDisposeScope();
        Tensor images = Images(6, 1, 5, 4, 1);

        // When
        using AdversarialSet set = AdversarialSet.Build(images, 3, 0.25, 10, seed: 7);

        // Then
        AssertInvariants(images, set, 3, 5, 10);
    }

    [Fact]
    public void Build_FashionMnistShape_ZeroesFloorOf78Point4()
    {
        using var scope = torch.NewDisposeScope();
        Tensor images = Images(2, 1, 28, 28, 2);

        using AdversarialSet set = AdversarialSet.Build(images, 2, 0.1, 10, seed: 0);

        Assert.Equal(78, set.ZeroedPerCopy);   // spec §6.1: floor(784·0.1) = 78 distinct pixels
        AssertInvariants(images, set, 2, 78, 10);
    }

    [Fact]
    public void Build_ZeroZeroRatioOneCopy_IsThePlainImagesWithRandomLabels()
    {
        using var scope = torch.NewDisposeScope();
        Tensor images = Images(5, 3, 2, 2, 3);

        using AdversarialSet set = AdversarialSet.Build(images, 1, 0.0, 10, seed: 0);

        Assert.Equal(0, set.ZeroedPerCopy);
        Assert.True(ModelChecks.Same(images, set.Images));
    }

    [Fact]
    public void Build_AnyShapeCopiesAndRatio_KeepsTheInvariants()
    {
        Gen.Select(Gen.Int[1, 6], Gen.Int[1, 3], Gen.Int[1, 5], Gen.Int[1, 4], Gen.Double[0, 0.99], Gen.Long, Gen.Int[2, 12])
            .Sample((n, c, side, copies, ratio, seed, classes) =>
            {
                using var scope = torch.NewDisposeScope();
                Tensor images = Images(n, c, side, side + 1, seed);
                using AdversarialSet set = AdversarialSet.Build(images, copies, ratio, classes, seed);
                AssertInvariants(images, set, copies, (int)Math.Floor(c * side * (side + 1) * ratio), classes);
            }, iter: 100, threads: 1);
    }

    [Fact]
    public void Build_SameSeed_SameSet_OtherSeedOtherLabelsAndPositions()
    {
        using var scope = torch.NewDisposeScope();
        Tensor images = Images(20, 1, 4, 4, 4);

        using AdversarialSet a = AdversarialSet.Build(images, 4, 0.3, 10, seed: 1);
        using AdversarialSet b = AdversarialSet.Build(images, 4, 0.3, 10, seed: 1);
        using AdversarialSet c = AdversarialSet.Build(images, 4, 0.3, 10, seed: 2);

        Assert.Equal(a.Fingerprint, b.Fingerprint);
        Assert.True(ModelChecks.Same(a.Images, b.Images) && ModelChecks.Same(a.Labels, b.Labels));
        Assert.NotEqual(a.Fingerprint, c.Fingerprint);
        Assert.False(ModelChecks.Same(a.Labels, c.Labels));
        Assert.NotEqual(a.ZeroedOf(0).ToArray(), c.ZeroedOf(0).ToArray());
    }

    [Fact]
    public void Build_TenCopies_EachCopyHasItsOwnUniformLabel()
    {
        // Spec §8 item 1: labels are drawn per copy. With R = 10 the chance that all ten labels of an image agree is
        // 10·10⁻¹⁰ = 10⁻⁹, so among 3000 images none should; a label shared by the copies would make all of them agree.
        using var scope = torch.NewDisposeScope();
        Tensor images = Images(3000, 1, 2, 2, 5);

        using AdversarialSet set = AdversarialSet.Build(images, 10, 0.0, 10, seed: 3);

        long[] labels = set.Labels.data<long>().ToArray();
        int allEqual = Enumerable.Range(0, 3000).Count(i => labels.Skip(i * 10).Take(10).Distinct().Count() == 1);
        Assert.Equal(0, allEqual);
        // Uniform over 10 classes: each class holds 10% ± 1% of 30 000 labels (binomial std 0.17%).
        foreach (var group in labels.GroupBy(l => l))
        {
            Assert.InRange(group.Count() / 30000.0, 0.09, 0.11);
        }
        Assert.Equal(10, labels.Distinct().Count());
    }

    [Fact]
    public void Build_LabelsIgnoreTheTrueLabels_AgreeAboutOneTimeInTen()
    {
        // Spec §6.5: labels agree with the true label for ≈ 10% ± 5% of rows (here: true label = image index mod 10).
        using var scope = torch.NewDisposeScope();
        Tensor images = Images(500, 1, 2, 2, 6);

        using AdversarialSet set = AdversarialSet.Build(images, 4, 0.1, 10, seed: 4);

        long[] labels = set.Labels.data<long>().ToArray();
        double agree = Enumerable.Range(0, labels.Length).Count(r => labels[r] == set.SourceOf(r) % 10) / (double)labels.Length;
        Assert.InRange(agree, 0.05, 0.15);
    }

    [Fact]
    public void Build_TooManyValuesForOneArray_ThrowsInputExceptionNamingKeys()
    {
        using var scope = torch.NewDisposeScope();
        Tensor images = Images(1, 1, 4, 4, 7);

        var e = Assert.Throws<InputException>(() => AdversarialSet.Build(images, int.MaxValue / 8, 0.1, 10, 0));

        Assert.Contains("adversarial.copies", e.Message, StringComparison.Ordinal);
    }
}
