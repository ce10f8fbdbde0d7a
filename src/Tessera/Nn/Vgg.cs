namespace Tessera.Nn;

/// <summary>VGG with BatchNorm for images of at least 32×32 pixels: conv 3×3 (pad 1) → BN → ReLU blocks with a 2×2
/// max-pool after each group (<see cref="Vgg16Layout"/>, <see cref="Vgg19Layout"/>), a global average pool (the
/// 512×1×1 map a 32×32 input leaves) and a classifier. One class serves three papers' variants:
/// <list type="bullet">
/// <item>Default: convs with bias, affine BatchNorm, Linear classifier (bad-global-minima VGG-16: 14,728,266
/// parameters for CIFAR-10).</item>
/// <item><c>mlpHead</c>: Dropout → Linear 512 → ReLU → Dropout → Linear 512 → ReLU → Linear (ACCORDION VGG-19bn:
/// 20,565,834 parameters in 70 tensors).</item>
/// <item><c>biasFree</c>: no biases, BatchNorm without γ/β, a bias-free 1×1 conv classifier, so every parameter is a
/// prunable weight (pruning VGG-16: 14,715,584 weights).</item>
/// </list></summary>
public sealed class Vgg : nn.Module<Tensor, Tensor>
{
    /// <summary>Smallest height and width (five 2×2 pools).</summary>
    public const int MinSize = 32;

    /// <summary>VGG-16 feature stack: a width is a conv block, 0 a max-pool.</summary>
    public static IReadOnlyList<int> Vgg16Layout { get; } = [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0];

    /// <summary>VGG-19 feature stack: a width is a conv block, 0 a max-pool.</summary>
    public static IReadOnlyList<int> Vgg19Layout { get; } =
        [64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512, 512, 512, 0];

    // state_dict keys: convs.{i}.*, norms.{i}.* (conv block i), classifier.* (Linear or 1×1 conv; classifier.{1,4,6}.*
    // for the MLP head). Declared in call order.
    private readonly ModuleList<Conv2d> convs;
    private readonly ModuleList<BatchNorm2d> norms;
    private readonly nn.Module<Tensor, Tensor> classifier;
    private readonly bool[] _poolAfter;
    private readonly bool _biasFree;

    /// <param name="layout">The feature stack (<see cref="Vgg16Layout"/> or <see cref="Vgg19Layout"/>).</param>
    /// <param name="channels">Input channels (3 for CIFAR).</param>
    /// <param name="height">Input height, at least <see cref="MinSize"/>.</param>
    /// <param name="width">Input width, at least <see cref="MinSize"/>.</param>
    /// <param name="numClasses">Number of output logits.</param>
    /// <param name="biasFree">No biases, BatchNorm without γ/β, bias-free 1×1 conv classifier.</param>
    /// <param name="mlpHead">Three-layer classifier with dropout instead of one Linear (not with biasFree).</param>
    /// <param name="dropout">Dropout probability of the MLP head.</param>
    public Vgg(IReadOnlyList<int> layout, int channels, int height, int width, int numClasses,
        bool biasFree = false, bool mlpHead = false, double dropout = 0.5) : base(nameof(Vgg))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numClasses);
        if (biasFree && mlpHead)
        {
            throw new ArgumentException("A bias-free VGG has a 1×1 conv classifier, not an MLP head.");
        }
        if (height < MinSize || width < MinSize)
        {
            throw new InputException(
                $"VGG needs images of at least {MinSize}x{MinSize} pixels (CIFAR), but the data are {height}x{width}; pick a model for small images.");
        }
        var convList = new List<Conv2d>();
        var pools = new List<bool>();
        long inChannels = channels;
        foreach (int planes in layout)
        {
            if (planes == 0)
            {
                pools[^1] = true;
                continue;
            }
            convList.Add(nn.Conv2d(inChannels, planes, 3, padding: 1, bias: !biasFree));
            pools.Add(false);
            inChannels = planes;
        }
        convs = nn.ModuleList(convList.ToArray());
        norms = nn.ModuleList(convList.Select(c => nn.BatchNorm2d(c.out_channels, affine: !biasFree)).ToArray());
        classifier = biasFree ? nn.Conv2d(inChannels, numClasses, 1, bias: false)
            : mlpHead ? nn.Sequential(nn.Dropout(dropout), nn.Linear(inChannels, 512), nn.ReLU(), nn.Dropout(dropout),
                nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, numClasses))
            : nn.Linear(inChannels, numClasses);
        (_poolAfter, _biasFree) = (pools.ToArray(), biasFree);
        RegisterComponents();
    }

    /// <summary>VGG-16 (13 conv blocks).</summary>
    public static Vgg Vgg16(int channels, int height, int width, int numClasses, bool biasFree = false) =>
        new(Vgg16Layout, channels, height, width, numClasses, biasFree);

    /// <summary>VGG-19 with the three-layer dropout classifier of the ACCORDION code (16 conv blocks).</summary>
    public static Vgg Vgg19Bn(int channels, int height, int width, int numClasses, double dropout = 0.5) =>
        new(Vgg19Layout, channels, height, width, numClasses, mlpHead: true, dropout: dropout);

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        for (int i = 0; i < convs.Count; i++)
        {
            x = nn.functional.relu(norms[i].call(convs[i].call(x)));      // (N, width_i, h, w)
            if (_poolAfter[i])
            {
                x = nn.functional.max_pool2d(x, 2);                        // (N, width_i, h/2, w/2)
            }
        }
        x = nn.functional.adaptive_avg_pool2d(x, 1);                      // (N, 512, 1, 1)
        Tensor logits = _biasFree ? classifier.call(x).flatten(1) : classifier.call(x.flatten(1));
        return logits.MoveToOuterDisposeScope();                           // (N, numClasses)
    }
}
