namespace Tessera.Nn;

/// <summary>LeNet-5 for (N, C, H, W) images: conv 6@5×5 (pad 2) → ReLU → max-pool 2 → conv 16@5×5 → ReLU →
/// max-pool 2 → fc 120 → ReLU → fc 84 → ReLU → fc numClasses. The flatten size follows from the input size;
/// inputs need at least <see cref="MinSize"/>×<see cref="MinSize"/> pixels.</summary>
public sealed class LeNet5 : nn.Module<Tensor, Tensor>
{
    /// <summary>Smallest height and width LeNet5 accepts. A side s becomes ⌊s/2⌋ after the first pool and
    /// ⌊s/2⌋ − 4 after conv2; the second pool needs that to be at least 2, so ⌊s/2⌋ ≥ 6, i.e. s ≥ 12.</summary>
    public const int MinSize = 12;

    // state_dict keys: conv1.*, conv2.*, fc1.*, fc2.*, fc3.*  (declared in call order)
    private readonly Conv2d conv1;
    private readonly Conv2d conv2;
    private readonly Linear fc1;
    private readonly Linear fc2;
    private readonly Linear fc3;

    /// <param name="channels">Input channels (1 for grey, 3 for RGB).</param>
    /// <param name="height">Input height in pixels, at least <see cref="MinSize"/>.</param>
    /// <param name="width">Input width in pixels, at least <see cref="MinSize"/>.</param>
    /// <param name="numClasses">Number of output logits.</param>
    public LeNet5(int channels, int height, int width, int numClasses) : base(nameof(LeNet5))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numClasses);
        if (height < MinSize || width < MinSize)
        {
            throw new InputException(
                $"model.name=lenet5 needs images of at least {MinSize}x{MinSize} pixels, but the data are "
                + $"{height}x{width}; use model.name=mlp or model.name=smallcnn for small images.");
        }

        long FeatureSize(int s) => (s / 2 - 4) / 2;           // pad-2 conv keeps s, pool halves, 5×5 conv −4, pool
        conv1 = nn.Conv2d(channels, 6, 5, padding: 2);
        conv2 = nn.Conv2d(6, 16, 5);
        fc1 = nn.Linear(16 * FeatureSize(height) * FeatureSize(width), 120);
        fc2 = nn.Linear(120, 84);
        fc3 = nn.Linear(84, numClasses);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        x = nn.functional.max_pool2d(nn.functional.relu(conv1.call(x)), 2);   // (N, 6, H/2, W/2)
        x = nn.functional.max_pool2d(nn.functional.relu(conv2.call(x)), 2);   // (N, 16, (H/2-4)/2, (W/2-4)/2)
        x = nn.functional.relu(fc1.call(x.flatten(1)));                        // (N, 120)
        x = nn.functional.relu(fc2.call(x));                                   // (N, 84)
        return fc3.call(x).MoveToOuterDisposeScope();                          // (N, numClasses)
    }
}
