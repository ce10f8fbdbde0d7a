using Tessera.Data;
using static Tessera.Tests.Data.DataFixtures;

namespace Tessera.Tests.Data;

public sealed class DigitsDatasetTests
{
    [Fact]
    public void LoadAll_EmbeddedCsv_Has1797RowsOf64PixelsInUnitRange()
    {
        using ImageDataset all = DigitsDataset.LoadAll();

        float[] pixels = Floats(all.Images);
        long[] labels = Longs(all.Labels);
        Assert.Equal([1797L, 1, 8, 8], all.Images.shape);
        Assert.Equal(1797 * 64, pixels.Length);
        Assert.All(pixels, p => Assert.InRange(p, 0f, 1f));
        Assert.Equal(1f, pixels.Max());                        // some pixel is 16, the format's maximum
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), labels.Distinct().Order());
        Assert.Equal(10, all.NumClasses);
    }

    [Fact]
    public void LoadAll_FirstAndLastRows_MatchTheCsvText()
    {
        // Row 1 of digits.csv: 0,0,5,13,9,1,0,0,... label 0. Row 1797: 0,0,10,14,8,1,0,0,... label 8.
        using ImageDataset all = DigitsDataset.LoadAll();

        float[] pixels = Floats(all.Images);
        long[] labels = Longs(all.Labels);
        Assert.Equal(new float[] { 0, 0, 5, 13, 9, 1, 0, 0 }.Select(v => v / 16f), pixels[..8]);
        Assert.Equal(0, labels[0]);
        Assert.Equal(new float[] { 0, 0, 10, 14, 8, 1, 0, 0 }.Select(v => v / 16f), pixels[(1796 * 64)..(1796 * 64 + 8)]);
        Assert.Equal(8, labels[1796]);
    }

    [Fact]
    public void SplitIndices_AnySeed_DisjointAndCoverAllRows()
    {
        (int[] train, int[] test) = DigitsDataset.SplitIndices(360, seed: 3);

        Assert.Equal(1437, train.Length);
        Assert.Equal(360, test.Length);
        Assert.Empty(train.Intersect(test));
        Assert.Equal(Enumerable.Range(0, 1797), train.Concat(test).Order());
    }

    [Fact]
    public void SplitIndices_SameSeed_SameSplitAndOtherSeedOther()
    {
        var a = DigitsDataset.SplitIndices(100, seed: 7);
        var b = DigitsDataset.SplitIndices(100, seed: 7);
        var c = DigitsDataset.SplitIndices(100, seed: 8);

        Assert.Equal(a.Test, b.Test);
        Assert.NotEqual(a.Test, c.Test);
    }

    [Fact]
    public void Load_DefaultSplit_IsTheRowsOfSplitIndices()
    {
        // Given
        using ImageDataset all = DigitsDataset.LoadAll();
        (int[] train, int[] test) = DigitsDataset.SplitIndices();

        // When
        using ImageSplits splits = DigitsDataset.Load();
        using ImageDataset expectedTest = all.Subset(test.Select(i => (long)i).ToArray());
        using ImageDataset expectedTrain = all.Subset(train.Select(i => (long)i).ToArray());

        // Then
        Assert.Equal(Floats(expectedTest.Images), Floats(splits.Test.Images));
        Assert.Equal(Longs(expectedTest.Labels), Longs(splits.Test.Labels));
        Assert.Equal(Floats(expectedTrain.Images), Floats(splits.Train.Images));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), Longs(splits.Train.Labels).Distinct().Order());
        Assert.Equal("digits", splits.Train.Name);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1797)]
    public void Load_TestCountOutOfRange_Throws(int testCount)
    {
        Assert.Throws<InputException>(() => DigitsDataset.Load(testCount));
    }
}
