namespace Tessera.Nn;

/// <summary>ResNets for 32×32 images: conv 3×3 stem (no bias, BN, ReLU), no max-pool → stages of
/// <see cref="ResNetBlock"/>s (the first block of every later stage has stride 2) → global average pool (the 4×4
/// average of the original code for 32×32 inputs) → classifier.
/// <list type="bullet">
/// <item>Default: affine BatchNorm and a Linear classifier with bias, as in the bad-global-minima and ACCORDION code
/// (<see cref="ResNet18"/>: 11,173,962 parameters in 62 tensors for CIFAR-10).</item>
/// <item><c>biasFree</c>: the pruning papers' layout, BatchNorm without γ/β and a bias-free 1×1 conv classifier, so
/// every parameter is a prunable weight (<see cref="ResNet20"/>: 268,336 weights for CIFAR-10).</item>
/// </list></summary>
public sealed class CifarResNet : nn.Module<Tensor, Tensor>
{
    // state_dict keys: conv1.weight, bn1.*, stages.{s}.{b}.* (ResNetBlock), fc.* (declared in call order)
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly ModuleList<ModuleList<ResNetBlock>> stages;
    private readonly nn.Module<Tensor, Tensor> fc;
    private readonly bool _biasFree;

    /// <param name="channels">Input channels (3 for CIFAR).</param>
    /// <param name="numClasses">Number of output logits.</param>
    /// <param name="widths">Width of each stage; the stem has the first stage's width.</param>
    /// <param name="blocks">Residual blocks per stage (same length as <paramref name="widths"/>).</param>
    /// <param name="shortcut">How blocks that change the shape match their shortcut.</param>
    /// <param name="biasFree">No BatchNorm γ/β and a bias-free 1×1 conv classifier (the pruning papers' layout).</param>
    public CifarResNet(int channels, int numClasses, int[] widths, int[] blocks, ShortcutKind shortcut, bool biasFree = false)
        : base(nameof(CifarResNet))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numClasses);
        if (widths.Length == 0 || widths.Length != blocks.Length || widths.Any(w => w <= 0) || blocks.Any(b => b <= 0))
        {
            throw new ArgumentException("widths and blocks must be non-empty lists of positive numbers of the same length.");
        }
        conv1 = nn.Conv2d(channels, widths[0], 3, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(widths[0], affine: !biasFree);
        var built = new List<ModuleList<ResNetBlock>>();
        int inPlanes = widths[0];
        for (int s = 0; s < widths.Length; s++)
        {
            var stage = new List<ResNetBlock>();
            for (int b = 0; b < blocks[s]; b++)
            {
                stage.Add(new ResNetBlock(inPlanes, widths[s], s > 0 && b == 0 ? 2 : 1, shortcut, biasFree));
                inPlanes = widths[s];
            }
            built.Add(nn.ModuleList(stage.ToArray()));
        }
        stages = nn.ModuleList(built.ToArray());
        fc = biasFree ? nn.Conv2d(inPlanes, numClasses, 1, bias: false) : nn.Linear(inPlanes, numClasses);
        _biasFree = biasFree;
        RegisterComponents();
    }

    /// <summary>ResNet-20 (3 blocks per stage, widths 16/32/64, zero-padding shortcuts).</summary>
    public static CifarResNet ResNet20(int channels = 3, int numClasses = 10, bool biasFree = false) =>
        new(channels, numClasses, [16, 32, 64], [3, 3, 3], ShortcutKind.ZeroPad, biasFree);

    /// <summary>ResNet-32 (5 blocks per stage, widths 16/32/64, zero-padding shortcuts; the Gem-Miner paper's CIFAR-100 net).</summary>
    public static CifarResNet ResNet32(int channels = 3, int numClasses = 100, bool biasFree = false) =>
        new(channels, numClasses, [16, 32, 64], [5, 5, 5], ShortcutKind.ZeroPad, biasFree);

    /// <summary>CIFAR ResNet-18 (2 blocks per stage, widths 64/128/256/512, projection shortcuts, 3×3 stem).</summary>
    public static CifarResNet ResNet18(int channels = 3, int numClasses = 10, bool biasFree = false) =>
        new(channels, numClasses, [64, 128, 256, 512], [2, 2, 2, 2], ShortcutKind.Projection, biasFree);

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
        Tensor logits = _biasFree ? fc.call(x).flatten(1) : fc.call(x.flatten(1));
        return logits.MoveToOuterDisposeScope();                           // (N, numClasses)
    }
}
