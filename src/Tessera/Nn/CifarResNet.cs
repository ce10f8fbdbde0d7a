namespace Tessera.Nn;

/// <summary>ResNets for 32×32 images as the pruning papers use them (no biases, non-affine BatchNorm, the classifier
/// is a bias-free 1×1 conv): conv 3×3 stem (BN, ReLU) → stages of <see cref="ResNetBlock"/>s (the first block of
/// every later stage has stride 2) → global average pool → 1×1 conv to numClasses. <see cref="ResNet20"/> and
/// <see cref="ResNet32"/> use widths 16/32/64 and zero-padding shortcuts (268,336 weights for ResNet-20 on
/// CIFAR-10); <see cref="ResNet18"/> uses widths 64/128/256/512 and 1×1 projection shortcuts.</summary>
public sealed class CifarResNet : nn.Module<Tensor, Tensor>
{
    // state_dict keys: conv1.weight, bn1.*, stages.{s}.{b}.* (ResNetBlock), fc.weight  (declared in call order)
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly ModuleList<ModuleList<ResNetBlock>> stages;
    private readonly Conv2d fc;

    /// <param name="channels">Input channels (3 for CIFAR).</param>
    /// <param name="numClasses">Number of output logits.</param>
    /// <param name="widths">Width of each stage; the stem has the first stage's width.</param>
    /// <param name="blocks">Residual blocks per stage (same length as <paramref name="widths"/>).</param>
    /// <param name="shortcut">How blocks that change the shape match their shortcut.</param>
    public CifarResNet(int channels, int numClasses, int[] widths, int[] blocks, ShortcutKind shortcut) : base(nameof(CifarResNet))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numClasses);
        if (widths.Length == 0 || widths.Length != blocks.Length || widths.Any(w => w <= 0) || blocks.Any(b => b <= 0))
        {
            throw new ArgumentException("widths and blocks must be non-empty lists of positive numbers of the same length.");
        }
        conv1 = nn.Conv2d(channels, widths[0], 3, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(widths[0], affine: false);
        var built = new List<ModuleList<ResNetBlock>>();
        int inPlanes = widths[0];
        for (int s = 0; s < widths.Length; s++)
        {
            var stage = new List<ResNetBlock>();
            for (int b = 0; b < blocks[s]; b++)
            {
                stage.Add(new ResNetBlock(inPlanes, widths[s], s > 0 && b == 0 ? 2 : 1, shortcut));
                inPlanes = widths[s];
            }
            built.Add(nn.ModuleList(stage.ToArray()));
        }
        stages = nn.ModuleList(built.ToArray());
        fc = nn.Conv2d(inPlanes, numClasses, 1, bias: false);
        RegisterComponents();
    }

    /// <summary>ResNet-20 (3 blocks per stage, widths 16/32/64, zero-padding shortcuts).</summary>
    public static CifarResNet ResNet20(int channels = 3, int numClasses = 10) =>
        new(channels, numClasses, [16, 32, 64], [3, 3, 3], ShortcutKind.ZeroPad);

    /// <summary>ResNet-32 (5 blocks per stage, widths 16/32/64, zero-padding shortcuts; the paper's CIFAR-100 net).</summary>
    public static CifarResNet ResNet32(int channels = 3, int numClasses = 100) =>
        new(channels, numClasses, [16, 32, 64], [5, 5, 5], ShortcutKind.ZeroPad);

    /// <summary>CIFAR ResNet-18 (2 blocks per stage, widths 64/128/256/512, projection shortcuts, 3×3 stem).</summary>
    public static CifarResNet ResNet18(int channels = 3, int numClasses = 10) =>
        new(channels, numClasses, [64, 128, 256, 512], [2, 2, 2, 2], ShortcutKind.Projection);

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        x = nn.functional.relu(bn1.call(conv1.call(x)));                  // (N, widths[0], H, W)
        foreach (var stage in stages)
        {
            foreach (var block in stage)
            {
                x = block.call(x);                                         // (N, width, H/2^s, W/2^s)
            }
        }
        x = nn.functional.adaptive_avg_pool2d(x, 1);                      // (N, width, 1, 1)
        return fc.call(x).flatten(1).MoveToOuterDisposeScope();           // (N, numClasses)
    }
}
