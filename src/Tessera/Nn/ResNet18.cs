namespace Tessera.Nn;

/// <summary>ResNet-18 for CIFAR-sized images (the layout of the bad-global-minima code): conv 3×3 (64, no bias)
/// → BN → ReLU, four stages of two <see cref="BasicBlock"/>s (64, 128/2, 256/2, 512/2; the stride is on the first
/// block of a stage), global average pool, Linear(512, numClasses). The original pools with a 4×4 window, which is
/// the global average for 32×32 inputs; the global pool also accepts other sizes (28×28 leaves 4×4 too).</summary>
public sealed class ResNet18 : nn.Module<Tensor, Tensor>
{
    // state_dict keys: conv1.*, bn1.*, layer1.{0,1}.*, layer2.{0,1}.*, layer3.{0,1}.*, layer4.{0,1}.*, linear.*
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;
    private readonly Linear linear;

    /// <param name="channels">Input channels (3 for CIFAR).</param>
    /// <param name="numClasses">Number of output logits.</param>
    public ResNet18(int channels, int numClasses) : base(nameof(ResNet18))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numClasses);
        conv1 = nn.Conv2d(channels, 64, 3, stride: 1, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(64);
        layer1 = Stage(64, 64, 1);
        layer2 = Stage(64, 128, 2);
        layer3 = Stage(128, 256, 2);
        layer4 = Stage(256, 512, 2);
        linear = nn.Linear(512, numClasses);
        RegisterComponents();
    }

    private static Sequential Stage(long inPlanes, long planes, long stride) =>
        nn.Sequential(new BasicBlock(inPlanes, planes, stride), new BasicBlock(planes, planes, 1));

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        x = nn.functional.relu(bn1.call(conv1.call(x)));       // (N, 64, H, W)
        x = layer4.call(layer3.call(layer2.call(layer1.call(x))));   // (N, 512, H/8, W/8)
        x = nn.functional.adaptive_avg_pool2d(x, 1).flatten(1);     // (N, 512)
        return linear.call(x).MoveToOuterDisposeScope();             // (N, numClasses)
    }
}
