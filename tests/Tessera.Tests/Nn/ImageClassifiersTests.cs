using Tessera.Nn;

namespace Tessera.Tests.Nn;

public sealed class ImageClassifiersTests
{
    [Theory]
    [InlineData("mlp", typeof(Mlp))]
    [InlineData("lenet5", typeof(LeNet5))]
    [InlineData("smallcnn", typeof(SmallCnn))]
    [InlineData(" SmallCNN ", typeof(SmallCnn))]
    public void Create_KnownName_BuildsThatModelForTheInput(string name, Type expected)
    {
        using var scope = torch.NewDisposeScope();
        using var model = ImageClassifiers.Create(name, 1, 28, 28, 10);

        var logits = model.call(torch.randn(2, 1, 28, 28));

        Assert.IsType(expected, model);
        Assert.Equal([2L, 10L], logits.shape);
    }

    [Fact]
    public void Create_MlpWithoutHidden_UsesOneHiddenLayerOf128()
    {
        using var model = ImageClassifiers.Create("mlp", 3, 4, 4, 5);

        Assert.Equal([128L, 48L], model.state_dict()["layers.0.weight"].shape);
        Assert.Equal([5L, 128L], model.state_dict()["layers.1.weight"].shape);
    }

    [Fact]
    public void Create_MlpWithHidden_UsesThoseWidths()
    {
        var model = (Mlp)ImageClassifiers.Create("mlp", 1, 8, 8, 10, hidden: [32, 16]);
        using var _ = model;

        Assert.Equal([32, 16], model.Hidden);
        Assert.Equal(64, model.InputSize);
        Assert.Equal(6, model.state_dict().Count);
    }

    [Fact]
    public void Create_UnknownName_ThrowsInputExceptionListingNames()
    {
        var ex = Assert.Throws<InputException>(() => ImageClassifiers.Create("resnet", 1, 28, 28, 10));

        Assert.Contains("'resnet'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("mlp, lenet5, smallcnn", ex.Message, StringComparison.Ordinal);
        Assert.Equal(["mlp", "lenet5", "smallcnn"], ImageClassifiers.Names);
    }
}
