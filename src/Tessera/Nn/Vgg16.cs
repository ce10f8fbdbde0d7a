using System.Globalization;

namespace Tessera.Nn;

/// <summary>VGG-16 with BatchNorm for CIFAR-sized images (the layout of the bad-global-minima code): thirteen
/// conv 3×3 (pad 1, with bias) → BN → ReLU blocks of widths 64, 64, M, 128, 128, M, 256×3, M, 512×3, M, 512×3, M
/// (M = 2×2 max-pool), flatten, Linear to numClasses. A 32×32 input leaves a 512×1×1 map.</summary>
public sealed class Vgg16 : nn.Module<Tensor, Tensor>
{
    /// <summary>The feature stack: a width is a conv block, 0 a max-pool.</summary>
    public static IReadOnlyList<int> Layout { get; } = [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0];

    /// <summary>Smallest height and width (five 2×2 pools).</summary>
    public const int MinSize = 32;

    // state_dict keys: features.{i}.* (conv at i, BatchNorm2d at i+1 for each block; ReLU and pools hold none), classifier.*
    private readonly Sequential features;
    private readonly Linear classifier;

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
            throw new InputException(
                $"model.name=vgg16 needs images of at least {MinSize}x{MinSize} pixels (CIFAR), but the data are {height}x{width}; use mlp-bn or cnn-bn.");
        }

        var stack = new List<(string, nn.Module<Tensor, Tensor>)>();
        void Add(nn.Module<Tensor, Tensor> module) => stack.Add((stack.Count.ToString(CultureInfo.InvariantCulture), module));
        long inChannels = channels;
        foreach (int planes in Layout)
        {
            if (planes == 0)
            {
                Add(nn.MaxPool2d(2, 2));
                continue;
            }
            Add(nn.Conv2d(inChannels, planes, 3, padding: 1));
            Add(nn.BatchNorm2d(planes));
            Add(nn.ReLU());
            inChannels = planes;
        }
        features = nn.Sequential(stack);
        classifier = nn.Linear(512L * (height / 32) * (width / 32), numClasses);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        x = features.call(x);                                      // (N, 512, H/32, W/32)
        return classifier.call(x.flatten(1)).MoveToOuterDisposeScope();   // (N, numClasses)
    }
}
