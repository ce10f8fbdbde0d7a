namespace Tessera.Nn;

/// <summary>VGG-16 with BatchNorm as the pruning papers use it on CIFAR (no biases, non-affine BatchNorm): 13 conv
/// 3×3 (pad 1) layers 64, 64, M, 128, 128, M, 256 ×3, M, 512 ×3, M, 512 ×3, M (M = max-pool 2), each conv followed
/// by BN and ReLU, then global average pool and a bias-free 1×1 conv classifier 512 → numClasses
/// (14,715,584 weights for CIFAR-10). Inputs need at least 32×32 pixels.</summary>
public sealed class Vgg16 : nn.Module<Tensor, Tensor>
{
    /// <summary>Smallest height and width Vgg16 accepts (five 2×2 pools).</summary>
    public const int MinSize = 32;

    /// <summary>Output widths of the 13 convs; a max-pool follows the convs listed in <see cref="PoolAfter"/>.</summary>
    public static IReadOnlyList<int> Widths { get; } = [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512];

    private static readonly HashSet<int> PoolAfter = [1, 3, 6, 9, 12];

    // state_dict keys: convs.{i}.weight, norms.{i}.* (i = 0..12), classifier.weight
    private readonly ModuleList<Conv2d> convs;
    private readonly ModuleList<BatchNorm2d> norms;
    private readonly Conv2d classifier;

    /// <param name="channels">Input channels (3 for CIFAR).</param>
    /// <param name="height">Input height, at least <see cref="MinSize"/>.</param>
    /// <param name="width">Input width, at least <see cref="MinSize"/>.</param>
    /// <param name="numClasses">Number of output logits.</param>
    public Vgg16(int channels, int height, int width, int numClasses) : base(nameof(Vgg16))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numClasses);
        if (height < MinSize || width < MinSize)
        {
            throw new InputException($"model.name=vgg16 needs images of at least {MinSize}x{MinSize} pixels, but the data are {height}x{width}.");
        }
        int[] inputs = [channels, .. Widths.SkipLast(1)];
        convs = nn.ModuleList(inputs.Zip(Widths, (i, o) => nn.Conv2d(i, o, 3, padding: 1, bias: false)).ToArray());
        norms = nn.ModuleList(Widths.Select(w => nn.BatchNorm2d(w, affine: false)).ToArray());
        classifier = nn.Conv2d(Widths[^1], numClasses, 1, bias: false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        for (int i = 0; i < convs.Count; i++)
        {
            x = nn.functional.relu(norms[i].call(convs[i].call(x)));      // (N, Widths[i], h, w)
            if (PoolAfter.Contains(i))
            {
                x = nn.functional.max_pool2d(x, 2);                        // (N, Widths[i], h/2, w/2)
            }
        }
        x = nn.functional.adaptive_avg_pool2d(x, 1);                      // (N, 512, 1, 1)
        return classifier.call(x).flatten(1).MoveToOuterDisposeScope();   // (N, numClasses)
    }
}
