using Tessera.Data;
using static Tessera.Tests.Data.DataFixtures;

namespace Tessera.Tests.Data;

public sealed class CifarReaderTests : TempDirTest
{
    internal const int Pixels = 3072;

    private static string[] Batches { get; } =
        ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];

    [Fact]
    public void LoadCifar10_GeneratedBatches_ConcatenatesRecordsInFileOrder()
    {
        // Given: batch k holds k records (k = 1..5, 15 in all) with labels (k + r) mod 10; the test batch 2 records
        var expectedPixels = new List<byte>();
        var expectedLabels = new List<long>();
        for (int k = 1; k <= 5; k++)
        {
            var records = Enumerable.Range(0, k)
                .Select(r => (Labels: new[] { (byte)((k + r) % 10) }, Pixels: Pattern(Pixels, seed: 10 * k + r)))
                .ToArray();
            Write($"data_batch_{k}.bin", CifarRecords(records));
            expectedPixels.AddRange(records.SelectMany(r => r.Pixels));
            expectedLabels.AddRange(records.Select(r => (long)r.Labels[0]));
        }
        byte[] testPixels = Pattern(2 * Pixels, seed: 99);
        Write("test_batch.bin", CifarRecords([([9], testPixels[..Pixels]), ([0], testPixels[Pixels..])]));

        // When
        using ImageSplits splits = CifarReader.LoadCifar10(Dir);

        // Then: (N, 3, 32, 32) in record order, CHW exactly as stored, /255
        Assert.Equal([15L, 3, 32, 32], splits.Train.Images.shape);
        Assert.Equal(10, splits.Train.NumClasses);
        Assert.Equal(expectedPixels.Select(b => b / 255f).ToArray(), Floats(splits.Train.Images));
        Assert.Equal(expectedLabels, Longs(splits.Train.Labels));
        Assert.Equal(testPixels.Select(b => b / 255f).ToArray(), Floats(splits.Test.Images));
        Assert.Equal([9L, 0], Longs(splits.Test.Labels));
    }

    [Fact]
    public void LoadCifar10_PixelLayout_IsChannelRowColumn()
    {
        // Given: one record whose only non-zero pixel is green (channel 1) at row 2, column 5
        var pixels = new byte[Pixels];
        pixels[1024 + 2 * 32 + 5] = 255;
        foreach (string file in Batches.Append("test_batch.bin"))
        {
            Write(file, CifarRecords([([3], pixels)]));
        }

        // When
        using ImageSplits splits = CifarReader.LoadCifar10(Dir);

        // Then
        using var scope = torch.NewDisposeScope();
        Assert.Equal(1f, splits.Test.Images[0, 1, 2, 5].item<float>());
        Assert.Equal(1f, splits.Test.Images.sum().item<float>());
    }

    [Theory]
    [InlineData(true, 100, new long[] { 57, 99 })]
    [InlineData(false, 20, new long[] { 3, 19 })]
    public void LoadCifar100_FineOrCoarse_PicksTheLabelByte(bool fine, int classes, long[] expected)
    {
        byte[] pixels = Pattern(2 * Pixels, seed: 4);
        Write("train.bin", CifarRecords([([3, 57], pixels[..Pixels]), ([19, 99], pixels[Pixels..])]));
        Write("test.bin", CifarRecords([([0, 0], pixels[..Pixels])]));

        using ImageSplits splits = CifarReader.LoadCifar100(Dir, fine);

        Assert.Equal(classes, splits.Train.NumClasses);
        Assert.Equal("cifar100", splits.Train.Name);
        Assert.Equal(expected, Longs(splits.Train.Labels));
        Assert.Equal(pixels.Select(b => b / 255f).ToArray(), Floats(splits.Train.Images));
        Assert.Equal(1, splits.Test.Count);
    }

    [Fact]
    public void LoadCifar10_MissingFiles_NamesEachFileAndWhereToGetIt()
    {
        Write("data_batch_1.bin", CifarRecords([([1], new byte[Pixels])]));

        var e = Assert.Throws<InputException>(() => CifarReader.LoadCifar10(Dir));

        foreach (string file in Batches[1..].Append("test_batch.bin"))
        {
            Assert.Contains(Path.Combine(Dir, file), e.Message);
        }
        Assert.DoesNotContain(Path.Combine(Dir, "data_batch_1.bin"), e.Message);
        Assert.Contains("cifar-10-binary.tar.gz", e.Message);
    }

    [Fact]
    public void LoadCifar100_MissingFiles_NamesEachFile()
    {
        var e = Assert.Throws<InputException>(() => CifarReader.LoadCifar100(Dir));

        Assert.Contains(Path.Combine(Dir, "train.bin"), e.Message);
        Assert.Contains(Path.Combine(Dir, "test.bin"), e.Message);
    }

    [Fact]
    public void LoadCifar10_SizeNotMultipleOfRecord_NamesFileAndSizes()
    {
        WriteCifar10();
        string bad = Write("data_batch_3.bin", CifarRecords([([1], new byte[Pixels])])[..^1]);

        var e = Assert.Throws<InputException>(() => CifarReader.LoadCifar10(Dir));

        Assert.Contains(bad, e.Message);
        Assert.Contains("3072 bytes", e.Message);
        Assert.Contains("3073-byte records", e.Message);
    }

    [Fact]
    public void LoadCifar10_LabelOutOfRange_NamesFileAndRecord()
    {
        WriteCifar10();
        string bad = Write("test_batch.bin", CifarRecords([([1], new byte[Pixels]), ([10], new byte[Pixels])]));

        var e = Assert.Throws<InputException>(() => CifarReader.LoadCifar10(Dir));

        Assert.Contains(bad, e.Message);
        Assert.Contains("record 1", e.Message);
        Assert.Contains("label 10", e.Message);
    }

    [Fact]
    public void LoadCifar100_FineLabelOutOfRange_NamesFile()
    {
        string bad = Write("train.bin", CifarRecords([([1, 100], new byte[Pixels])]));
        Write("test.bin", CifarRecords([([1, 1], new byte[Pixels])]));

        var e = Assert.Throws<InputException>(() => CifarReader.LoadCifar100(Dir));

        Assert.Contains(bad, e.Message);
        Assert.Contains("fine label 100", e.Message);
    }

    private void WriteCifar10()
    {
        foreach (string file in Batches.Append("test_batch.bin"))
        {
            Write(file, CifarRecords([([2], new byte[Pixels])]));
        }
    }
}
