using Tessera.Data;
using Xunit.Abstractions;
using static Tessera.Tests.Data.DataFixtures;

namespace Tessera.Tests.Data;

/// <summary>The data sets that Debian packages install. Each test checks the real files when the package is
/// there; on a machine without it, it logs why and checks nothing (on CI, which installs them, it fails).</summary>
public sealed class RealDataTests(ITestOutputHelper output) : TempDirTest
{
    [Fact]
    public void FashionMnist_DebianPackage_60000TrainAnd10000TestWithLabels0To9()
    {
        if (!RequireInstalled(output, Directory.Exists(DatasetCatalog.FashionMnistSystemDir), "Fashion-MNIST", "dataset-fashion-mnist"))
        {
            return;
        }

        using ImageSplits splits = IdxReader.LoadMnistLayout(DatasetCatalog.FashionMnistSystemDir, "fashion-mnist");

        Assert.Equal([60000L, 1, 28, 28], splits.Train.Images.shape);
        Assert.Equal([10000L, 1, 28, 28], splits.Test.Images.shape);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), Longs(splits.Train.Labels).Distinct().Order());
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), Longs(splits.Test.Labels).Distinct().Order());
        using Tensor max = splits.Train.Images.max();
        using Tensor min = splits.Train.Images.min();
        Assert.Equal(1f, max.item<float>());
        Assert.Equal(0f, min.item<float>());
    }

    [Fact]
    public void Fortunes_DebianPackage_CategoriesWithoutIndexFilesOrSeparators()
    {
        if (!RequireInstalled(output, Directory.Exists(FortunesReader.DefaultDir), "The fortunes database", "fortunes"))
        {
            return;
        }

        IReadOnlyList<TextClient> clients = FortunesReader.Load();

        Assert.InRange(clients.Count, 10, 200);
        Assert.Contains(clients, c => c.Name == "computers");
        Assert.DoesNotContain(clients, c => c.Name.EndsWith(".dat", StringComparison.Ordinal) || c.Name.EndsWith(".u8", StringComparison.Ordinal));
        Assert.All(clients, c => Assert.DoesNotContain("\n%\n", c.Text));
        Assert.InRange(clients.Sum(c => (long)c.Text.Length), 500_000, 10_000_000);
    }

    [Fact]
    public void Bible_DebianPackage_66BooksAndACacheThatReloadsTheSame()
    {
        if (!RequireInstalled(output, BibleReader.CommandAvailable(), "The 'bible' command", "bible-kjv"))
        {
            return;
        }

        IReadOnlyList<TextClient> books = BibleReader.Load(Dir);
        IReadOnlyList<TextClient> cached = BibleReader.Load(Dir);

        Assert.True(File.Exists(Path.Combine(Dir, BibleReader.CacheFileName)));
        Assert.Equal(66, books.Count);
        Assert.Equal(BibleReader.BookNames, books.Select(b => b.Name));
        Assert.StartsWith("In the beginning God created the heaven and the earth.\n", books[0].Text);
        Assert.EndsWith("The grace of our Lord Jesus Christ be with you all. Amen.", books[65].Text);
        Assert.Equal(31102, books.Sum(b => b.Text.Split('\n').Length));
        Assert.Equal(books, cached);
    }
}
