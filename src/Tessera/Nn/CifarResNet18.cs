namespace Tessera.Nn;

/// <summary>ResNet-18 in its CIFAR variant as the ACCORDION code uses it (accordion.md §4): 3×3 stem conv (64, no
/// bias) → BN → ReLU, no max-pool, four stages of two <see cref="ResNetBasicBlock"/>s (64, 128, 256, 512; stride 2
/// from the second stage), 4×4 average pool, fully connected layer. For 3×32×32 and 10 classes: 11,173,962
/// parameters in 62 tensors, 21 of them compressible (≥ 2 dimensions).</summary>
public sealed class CifarResNet18 : nn.Module<Tensor, Tensor>
{
    // state_dict keys: conv1.weight, bn1.*, layer1..layer4.{0,1}.*, linear.*  (declared in call order)
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly ModuleList<ResNetBasicBlock> layer1;
    private readonly ModuleList<ResNetBasicBlock> layer2;
    private readonly ModuleList<ResNetBasicBlock> layer3;
    private readonly ModuleList<ResNetBasicBlock> layer4;
    private readonly Linear linear;

    /// <param name="channels">Input channels (3 for CIFAR).</param>
    /// <param name="numClasses">Number of output logits.</param>
    public CifarResNet18(int channels = 3, int numClasses = 10) : base(nameof(CifarResNet18))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numClasses);
        conv1 = nn.Conv2d(channels, 64, 3, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(64);
        layer1 = nn.ModuleList(new ResNetBasicBlock(64, 64, 1), new ResNetBasicBlock(64, 64, 1));
        layer2 = nn.ModuleList(new ResNetBasicBlock(64, 128, 2), new ResNetBasicBlock(128, 128, 1));
        layer3 = nn.ModuleList(new ResNetBasicBlock(128, 256, 2), new ResNetBasicBlock(256, 256, 1));
        layer4 = nn.ModuleList(new ResNetBasicBlock(256, 512, 2), new ResNetBasicBlock(512, 512, 1));
        linear = nn.Linear(512, numClasses);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        x = nn.functional.relu(bn1.call(conv1.call(x)));                 // (N, 64, H, W)
        foreach (ModuleList<ResNetBasicBlock> stage in new[] { layer1, layer2, layer3, layer4 })
        {
            foreach (ResNetBasicBlock block in stage)
            {
                x = block.call(x);
            }
        }
        x = nn.functional.adaptive_avg_pool2d(x, 1).flatten(1);          // (N, 512); 4×4 average for 32×32 inputs
        return linear.call(x).MoveToOuterDisposeScope();                 // (N, numClasses)
    }
}
