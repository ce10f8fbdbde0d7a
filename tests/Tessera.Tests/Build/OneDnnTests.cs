namespace Tessera.Tests.Build;

public sealed class OneDnnTests
{
    [Fact]
    public void LoadingTessera_TurnsOneDnnOff_AndConvolutionsStillRun()
    {
        Assert.False(OneDnn.Enabled);

        using var conv = nn.Conv2d(1, 4, 5);
        using Tensor y = conv.call(torch.ones(2, 1, 12, 12));

        Assert.Equal(new long[] { 2, 4, 8, 8 }, y.shape);
        Assert.True(y.isfinite().all().item<bool>());
    }
}
