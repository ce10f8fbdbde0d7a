using Tessera.Data;
using static Tessera.Tests.Data.DataFixtures;

namespace Tessera.Tests.Data;

public sealed class DatasetCatalogTests : TempDirTest
{
    [Fact]
    public void All_ListsTheEightDataSetsWithKinds()
    {
        Assert.Equal(
            ["digits", "fashion-mnist", "mnist", "cifar10", "cifar100", "fortunes", "bible", "shakespeare"],
            DatasetCatalog.All.Select(d => d.Name));
        Assert.All(DatasetCatalog.All, d => Assert.Contains(d.Kind, new[] { "image", "text" }));
        Assert.All(DatasetCatalog.All, d => Assert.False(string.IsNullOrWhiteSpace(d.HowToGet)));
        Assert.True(DatasetCatalog.Find("digits").IsPresent(Dir));
    }

    [Fact]
    public void LoadImages_UnknownName_ListsKnownNames()
    {
        var e = Assert.Throws<InputException>(() => DatasetCatalog.LoadImages("imagenet", Dir));

        Assert.Contains("imagenet", e.Message);
        Assert.Contains("digits, fashion-mnist, mnist, cifar10, cifar100, fortunes, bible, shakespeare", e.Message);
    }

    [Fact]
    public void LoadImages_TextDataSet_ThrowsInputException()
    {
        var e = Assert.Throws<InputException>(() => DatasetCatalog.LoadImages("fortunes", Dir));

        Assert.Contains("text", e.Message);
    }

    [Fact]
    public void LoadImages_Digits_IsTheEmbeddedDefault()
    {
        using ImageSplits splits = DatasetCatalog.LoadImages("Digits", Dir);

        Assert.Equal(1797, splits.Train.Count + splits.Test.Count);
    }

    [Fact]
    public void LoadImages_MnistAbsent_NamesFilesUnderTheDataRoot()
    {
        string mnist = Path.Combine(Dir, "mnist");

        var e = Assert.Throws<InputException>(() => DatasetCatalog.LoadImages("mnist", Dir));

        Assert.Contains(Path.Combine(mnist, "train-images-idx3-ubyte"), e.Message);
        Assert.Contains(Path.Combine(mnist, "t10k-labels-idx1-ubyte"), e.Message);
        Assert.False(DatasetCatalog.Find("mnist").IsPresent(Dir));
    }

    [Fact]
    public void LoadImages_MnistUnderDataRoot_LoadsAndIsPresent()
    {
        Write("mnist/train-images-idx3-ubyte.gz", Gzip(IdxImages(3, 2, 2, Pattern(12, 1))));
        Write("mnist/train-labels-idx1-ubyte.gz", Gzip(IdxLabels([0, 1, 2])));
        Write("mnist/t10k-images-idx3-ubyte.gz", Gzip(IdxImages(1, 2, 2, Pattern(4, 2))));
        Write("mnist/t10k-labels-idx1-ubyte.gz", Gzip(IdxLabels([9])));

        using ImageSplits splits = DatasetCatalog.LoadImages("mnist", Dir);

        Assert.Equal((3L, 1L), (splits.Train.Count, splits.Test.Count));
        Assert.True(DatasetCatalog.Find("mnist").IsPresent(Dir));
    }

    [Fact]
    public void LoadImages_FashionMnistCopyUnderDataRoot_PreferredOverThePackage()
    {
        Write("fashion-mnist/train-images-idx3-ubyte", IdxImages(2, 3, 3, Pattern(18, 1)));
        Write("fashion-mnist/train-labels-idx1-ubyte", IdxLabels([5, 6]));
        Write("fashion-mnist/t10k-images-idx3-ubyte", IdxImages(1, 3, 3, Pattern(9, 2)));
        Write("fashion-mnist/t10k-labels-idx1-ubyte", IdxLabels([7]));

        using ImageSplits splits = DatasetCatalog.LoadImages("fashion-mnist", Dir);

        Assert.Equal("fashion-mnist", splits.Train.Name);
        Assert.Equal([5L, 6], Longs(splits.Train.Labels));
    }

    [Fact]
    public void LoadImages_Cifar10UnderDataRoot_Loads()
    {
        foreach (string file in new[] { "data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch" })
        {
            Write($"cifar-10-batches-bin/{file}.bin", CifarRecords([([4], Pattern(3072, 1))]));
        }

        using ImageSplits splits = DatasetCatalog.LoadImages("cifar10", Dir);

        Assert.Equal(5, splits.Train.Count);
        Assert.True(DatasetCatalog.Find("cifar10").IsPresent(Dir));
        Assert.False(DatasetCatalog.Find("cifar100").IsPresent(Dir));
    }

    [Fact]
    public void DefaultDataRoot_EnvironmentVariable_WinsOverCurrentDirectory()
    {
        string? saved = Environment.GetEnvironmentVariable(DatasetCatalog.DataRootVariable);
        try
        {
            Environment.SetEnvironmentVariable(DatasetCatalog.DataRootVariable, Dir);
            Assert.Equal(Dir, DatasetCatalog.DefaultDataRoot);
            Environment.SetEnvironmentVariable(DatasetCatalog.DataRootVariable, null);
            Assert.Equal(Path.Combine(Environment.CurrentDirectory, "data"), DatasetCatalog.DefaultDataRoot);
        }
        finally
        {
            Environment.SetEnvironmentVariable(DatasetCatalog.DataRootVariable, saved);
        }
    }

    [Fact]
    public void LoadText_Shakespeare_PointsToItsReader()
    {
        var e = Assert.Throws<InputException>(() => DatasetCatalog.LoadText("shakespeare", Dir));

        Assert.Contains("LeafShakespeareReader", e.Message);
    }
}
