using Tessera.Data;
using static Tessera.Tests.Data.DataFixtures;

namespace Tessera.Tests.Data;

public sealed class IdxReaderTests : TempDirTest
{
    // Two 2x3 images, pixels written row by row; 255 must map to exactly 1 and 51 to 0.2.
    private static byte[] Pixels { get; } = [0, 255, 51, 1, 2, 3, 10, 20, 30, 40, 50, 60];

    [Fact]
    public void ReadImages_RawFile_ScalesEveryPixelBy255()
    {
        string path = Write("images", IdxImages(2, 2, 3, Pixels));

        using Tensor images = IdxReader.ReadImages(path);

        Assert.Equal(ScalarType.Float32, images.dtype);
        Assert.Equal([2L, 1, 2, 3], images.shape);
        Assert.Equal(Pixels.Select(b => b / 255f).ToArray(), Floats(images));
        Assert.Equal(1f, Floats(images)[1]);
    }

    [Fact]
    public void ReadImages_GzipWithoutGzName_DetectedByMagicBytes()
    {
        string path = Write("images.bin", Gzip(IdxImages(2, 2, 3, Pixels)));

        using Tensor images = IdxReader.ReadImages(path);

        Assert.Equal(Pixels.Select(b => b / 255f).ToArray(), Floats(images));
    }

    [Fact]
    public void ReadImages_HighlyCompressibleGzip_ReadCompletely()
    {
        // 1 MB of pixels that gzip to about 1 KB: the reader's first buffer is too small and must grow.
        var pixels = new byte[100 * 100 * 100];
        pixels[^1] = 255;
        string path = Write("images", Gzip(IdxImages(100, 100, 100, pixels)));

        using Tensor images = IdxReader.ReadImages(path);
        using Tensor sum = images.sum();

        Assert.True(new FileInfo(path).Length < 20_000);
        Assert.Equal([100L, 1, 100, 100], images.shape);
        Assert.Equal(1f, sum.item<float>());
        Assert.Equal(1f, Floats(images)[^1]);
    }

    [Fact]
    public void ReadImages_RawFileNamedGz_ReadAsRaw()
    {
        string path = Write("images.gz", IdxImages(2, 2, 3, Pixels));

        using Tensor images = IdxReader.ReadImages(path);

        Assert.Equal([2L, 1, 2, 3], images.shape);
    }

    [Fact]
    public void ReadLabels_Gzipped_Int64Values()
    {
        string path = Write("labels.gz", Gzip(IdxLabels([7, 0, 9, 3])));

        using Tensor labels = IdxReader.ReadLabels(path);

        Assert.Equal(ScalarType.Int64, labels.dtype);
        Assert.Equal([7L, 0, 9, 3], Longs(labels));
    }

    [Fact]
    public void LoadMnistLayout_MixedRawAndGzip_LoadsBothSplits()
    {
        // Given: train files raw, test files gzip'd, as a user might have them
        byte[] testPixels = Pattern(1 * 2 * 3, seed: 5);
        Write("train-images-idx3-ubyte", IdxImages(2, 2, 3, Pixels));
        Write("train-labels-idx1-ubyte", IdxLabels([4, 9]));
        Write("t10k-images-idx3-ubyte.gz", Gzip(IdxImages(1, 2, 3, testPixels)));
        Write("t10k-labels-idx1-ubyte.gz", Gzip(IdxLabels([0])));

        // When
        using ImageSplits splits = IdxReader.LoadMnistLayout(Dir, "mnist");

        // Then
        Assert.Equal("mnist", splits.Train.Name);
        Assert.Equal(10, splits.Train.NumClasses);
        Assert.Equal(2, splits.Train.Count);
        Assert.Equal((1, 2, 3), (splits.Train.Channels, splits.Train.Height, splits.Train.Width));
        Assert.Equal(Pixels.Select(b => b / 255f).ToArray(), Floats(splits.Train.Images));
        Assert.Equal([4L, 9], Longs(splits.Train.Labels));
        Assert.Equal(1, splits.Test.Count);
        Assert.Equal(testPixels.Select(b => b / 255f).ToArray(), Floats(splits.Test.Images));
        Assert.Equal([0L], Longs(splits.Test.Labels));
    }

    [Theory]
    [InlineData("mnist", "yann.lecun.com")]
    [InlineData("fashion-mnist", "apt-get install dataset-fashion-mnist")]
    public void LoadMnistLayout_MissingFiles_NamesEachFileAndWhereToGetIt(string name, string hint)
    {
        Write("train-images-idx3-ubyte.gz", Gzip(IdxImages(2, 2, 3, Pixels)));

        var e = Assert.Throws<InputException>(() => IdxReader.LoadMnistLayout(Dir, name));

        Assert.Contains(Path.Combine(Dir, "train-labels-idx1-ubyte"), e.Message);
        Assert.Contains(Path.Combine(Dir, "t10k-images-idx3-ubyte"), e.Message);
        Assert.Contains(Path.Combine(Dir, "t10k-labels-idx1-ubyte"), e.Message);
        Assert.DoesNotContain(Path.Combine(Dir, "train-images-idx3-ubyte"), e.Message);
        Assert.Contains(hint, e.Message);
    }

    [Fact]
    public void ReadImages_LabelFile_ReportsFoundAndExpectedMagic()
    {
        string path = Write("train-labels-idx1-ubyte", IdxLabels([1, 2]));

        var e = Assert.Throws<InputException>(() => IdxReader.ReadImages(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("0x00000801", e.Message);
        Assert.Contains("expected 0x00000803", e.Message);
    }

    [Fact]
    public void ReadImages_DimsSmallerThanData_ReportsMismatch()
    {
        // The header says 1 image of 2x3 (6 bytes) but 12 pixel bytes follow.
        string path = Write("images", IdxImages(1, 2, 3, Pixels));

        var e = Assert.Throws<InputException>(() => IdxReader.ReadImages(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("does not match its header", e.Message);
        Assert.Contains("1 x 2 x 3", e.Message);
    }

    [Fact]
    public void ReadImages_TruncatedRawFile_ReportsTruncation()
    {
        byte[] whole = IdxImages(2, 2, 3, Pixels);
        string path = Write("images", whole[..^5]);

        var e = Assert.Throws<InputException>(() => IdxReader.ReadImages(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.Contains("only 7 follow", e.Message);
    }

    [Fact]
    public void ReadImages_TruncatedHeader_ReportsTruncation()
    {
        string path = Write("images", IdxImages(2, 2, 3, Pixels)[..9]);

        var e = Assert.Throws<InputException>(() => IdxReader.ReadImages(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("inside its 16-byte IDX header", e.Message);
    }

    [Fact]
    public void ReadImages_TruncatedGzip_ReportsTruncatedGzip()
    {
        byte[] gz = Gzip(IdxImages(20, 10, 10, Pattern(2000, seed: 1)));
        string path = Write("images.gz", gz[..(gz.Length / 2)]);

        var e = Assert.Throws<InputException>(() => IdxReader.ReadImages(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("truncated or corrupt gzip", e.Message);
    }

    [Fact]
    public void ReadLabels_ZeroLabels_EmptyTensor()
    {
        string path = Write("labels", IdxLabels([]));

        using Tensor labels = IdxReader.ReadLabels(path);

        Assert.Equal([0L], labels.shape);
    }

    [Fact]
    public void ReadImages_HugeDimsInHeader_ReportsTruncationWithoutOverflow()
    {
        string path = Write("images", Idx(ImagesMagic, [int.MaxValue, int.MaxValue, int.MaxValue], Pattern(10, 1)));

        var e = Assert.Throws<InputException>(() => IdxReader.ReadImages(path));

        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void ReadImages_GzipWithCorruptedCrc_Rejected()
    {
        // Flip one bit of the stored CRC-32 (the 8th byte from the end): the data still inflates, the check must fail.
        byte[] gz = Gzip(IdxImages(2, 2, 3, Pixels));
        gz[^8] ^= 0x01;
        string path = Write("images.gz", gz);

        var e = Assert.Throws<InputException>(() => IdxReader.ReadImages(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("truncated or corrupt gzip", e.Message);
    }

    [Fact]
    public void ReadLabels_MissingFile_NamesPath()
    {
        string path = Path.Combine(Dir, "nope-labels");

        var e = Assert.Throws<InputException>(() => IdxReader.ReadLabels(path));

        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void LoadMnistLayout_LabelOutOfRange_NamesFileLabelAndIndex()
    {
        WriteLayout(trainLabels: [3, 10]);
        string labels = Path.Combine(Dir, "train-labels-idx1-ubyte");

        var e = Assert.Throws<InputException>(() => IdxReader.LoadMnistLayout(Dir, "mnist"));

        Assert.Contains(labels, e.Message);
        Assert.Contains("label 10 at index 1", e.Message);
    }

    [Fact]
    public void LoadMnistLayout_CountMismatch_NamesBothFiles()
    {
        WriteLayout(trainLabels: [3, 4, 5]);

        var e = Assert.Throws<InputException>(() => IdxReader.LoadMnistLayout(Dir, "mnist"));

        Assert.Contains(Path.Combine(Dir, "train-images-idx3-ubyte"), e.Message);
        Assert.Contains(Path.Combine(Dir, "train-labels-idx1-ubyte"), e.Message);
        Assert.Contains("2 images", e.Message);
        Assert.Contains("3 labels", e.Message);
    }

    private void WriteLayout(byte[] trainLabels)
    {
        Write("train-images-idx3-ubyte", IdxImages(2, 2, 3, Pixels));
        Write("train-labels-idx1-ubyte", IdxLabels(trainLabels));
        Write("t10k-images-idx3-ubyte", IdxImages(1, 2, 3, Pixels[..6]));
        Write("t10k-labels-idx1-ubyte", IdxLabels([1]));
    }
}
