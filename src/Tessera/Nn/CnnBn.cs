namespace Tessera.Nn;

/// <summary>A small convolutional classifier with BatchNorm (the bad-global-minima spec's "CNN-BN", F5):
/// conv 16@3×3 (pad 1) → BN → ReLU → max-pool 2 → conv 32@3×3 (pad 1) → BN → ReLU → max-pool 2 →
/// fc 128 → BN → ReLU → fc numClasses. For 1×28×28 inputs the first fully connected layer sees 32·7·7 = 1568
/// features.</summary>
public sealed class CnnBn : nn.Module<Tensor, Tensor>
{
    /// <summary>Smallest height and width CnnBn accepts (two 2×2 pools need a 4×4 map).</summary>
    public const int MinSize = 4;

    // state_dict keys: conv1.*, bn1.*, conv2.*, bn2.*, fc1.*, bn3.*, fc2.*  (declared in call order)
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Linear fc1;
    private readonly BatchNorm1d bn3;
    private readonly Linear fc2;

    /// <param name="channels">Input channels (1 for grey, 3 for RGB).</param>
    /// <param name="height">Input height in pixels, at least <see cref="MinSize"/>.</param>
    /// <param name="width">Input width in pixels, at least <see cref="MinSize"/>.</param>
    /// <param name="numClasses">Number of output logits.</param>
    public CnnBn(int channels, int height, int width, int numClasses) : base(nameof(CnnBn))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numClasses);
        if (height < MinSize || width < MinSize)
        {
            throw new InputException(
                $"model.name=cnn-bn needs images of at least {MinSize}x{MinSize} pixels, but the data are {height}x{width}; use model.name=mlp-bn instead.");
        }

        conv1 = nn.Conv2d(channels, 16, 3, padding: 1);
        bn1 = nn.BatchNorm2d(16);
        conv2 = nn.Conv2d(16, 32, 3, padding: 1);
        bn2 = nn.BatchNorm2d(32);
        fc1 = nn.Linear(32L * (height / 2 / 2) * (width / 2 / 2), 128);
        bn3 = nn.BatchNorm1d(128);
        fc2 = nn.Linear(128, numClasses);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        x = nn.functional.max_pool2d(nn.functional.relu(bn1.call(conv1.call(x))), 2);   // (N, 16, H/2, W/2)
        x = nn.functional.max_pool2d(nn.functional.relu(bn2.call(conv2.call(x))), 2);   // (N, 32, H/4, W/4)
        x = nn.functional.relu(bn3.call(fc1.call(x.flatten(1))));                        // (N, 128)
        return fc2.call(x).MoveToOuterDisposeScope();                                    // (N, numClasses)
    }
}
