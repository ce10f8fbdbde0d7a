using Tessera.Data;
using static Tessera.Tests.Data.DataFixtures;

namespace Tessera.Tests.Data;

public sealed class ImageDatasetTests
{
    [Fact]
    public void Constructor_ValidTensors_ExposesShape()
    {
        using var ds = new ImageDataset("toy", torch.zeros(5, 3, 4, 6), torch.tensor(new long[] { 0, 1, 2, 1, 0 }), 3);

        Assert.Equal((5L, 3, 4, 6), (ds.Count, ds.Channels, ds.Height, ds.Width));
        Assert.Equal(3, ds.NumClasses);
        Assert.Equal("toy", ds.Name);
    }

    [Fact]
    public void Constructor_LabelOutOfRange_ThrowsInputException()
    {
        using Tensor images = torch.zeros(2, 1, 2, 2);
        using Tensor labels = torch.tensor(new long[] { 0, 3 });

        var e = Assert.Throws<InputException>(() => new ImageDataset("toy", images, labels, 3));

        Assert.Contains("label 3", e.Message);
    }

    [Fact]
    public void Constructor_NegativeLabel_ThrowsInputException()
    {
        using Tensor images = torch.zeros(2, 1, 2, 2);
        using Tensor labels = torch.tensor(new long[] { -1, 0 });

        Assert.Throws<InputException>(() => new ImageDataset("toy", images, labels, 3));
    }

    [Fact]
    public void Constructor_WrongDtypeOrCount_ThrowsArgumentException()
    {
        using Tensor doubles = torch.zeros(2, 1, 2, 2, ScalarType.Float64);
        using Tensor floats = torch.zeros(2, 1, 2, 2);
        using Tensor flat = torch.zeros(2, 4);
        using Tensor labels = torch.tensor(new long[] { 0, 1 });
        using Tensor intLabels = torch.tensor(new int[] { 0, 1 });
        using Tensor threeLabels = torch.tensor(new long[] { 0, 1, 1 });

        Assert.Throws<ArgumentException>(() => new ImageDataset("toy", doubles, labels, 2));
        Assert.Throws<ArgumentException>(() => new ImageDataset("toy", flat, labels, 2));
        Assert.Throws<ArgumentException>(() => new ImageDataset("toy", floats, intLabels, 2));
        Assert.Throws<ArgumentException>(() => new ImageDataset("toy", floats, threeLabels, 2));
    }

    [Fact]
    public void Subset_Indices_CopiesThoseRowsInOrder()
    {
        // Given: image i is filled with the value i, label i mod 2
        using var ds = new ImageDataset("toy",
            torch.arange(4, ScalarType.Float32).view(4, 1, 1, 1).expand(4, 1, 2, 2).contiguous(),
            torch.tensor(new long[] { 0, 1, 0, 1 }), 2);

        // When
        using ImageDataset sub = ds.Subset([3, 0, 3]);

        // Then
        Assert.Equal("toy", sub.Name);
        Assert.Equal([3f, 3, 3, 3, 0, 0, 0, 0, 3, 3, 3, 3], Floats(sub.Images));
        Assert.Equal([1L, 0, 1], Longs(sub.Labels));
        Assert.Equal([1L, 0, 1], sub.LabelArray());
    }

    [Fact]
    public void Subset_IndexOutOfRange_Throws()
    {
        using var ds = new ImageDataset("toy", torch.zeros(2, 1, 1, 1), torch.tensor(new long[] { 0, 1 }), 2);

        Assert.Throws<ArgumentOutOfRangeException>(() => ds.Subset([2]));
    }

    [Fact]
    public void Constructor_InsideDisposeScope_TensorsOutliveTheScope()
    {
        ImageDataset ds;
        using (torch.NewDisposeScope())
        {
            ds = new ImageDataset("toy", torch.ones(1, 1, 2, 2), torch.tensor(new long[] { 0 }), 1);
        }

        using (ds)
        {
            Assert.Equal([1f, 1, 1, 1], Floats(ds.Images));
        }
    }
}
