namespace Tessera.Nn;

/// <summary>A small, fast CNN for (N, C, H, W) images of any size from 2×2 up (meant for 8×8 digits and
/// 28×28 images): conv 32@3×3 (pad 1) → ReLU → conv 64@3×3 (pad 1) → ReLU → max-pool 2 → fc 128 → ReLU →
/// fc numClasses.</summary>
public sealed class SmallCnn : nn.Module<Tensor, Tensor>
{
    /// <summary>Smallest height and width SmallCnn accepts (the pool needs a 2×2 map).</summary>
    public const int MinSize = 2;

    // state_dict keys: conv1.*, conv2.*, fc1.*, fc2.*  (declared in call order)
    private readonly Conv2d conv1;
    private readonly Conv2d conv2;
    private readonly Linear fc1;
    private readonly Linear fc2;

    /// <param name="channels">Input channels (1 for grey, 3 for RGB).</param>
    /// <param name="height">Input height in pixels, at least <see cref="MinSize"/>.</param>
    /// <param name="width">Input width in pixels, at least <see cref="MinSize"/>.</param>
    /// <param name="numClasses">Number of output logits.</param>
    public SmallCnn(int channels, int height, int width, int numClasses) : base(nameof(SmallCnn))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numClasses);
        if (height < MinSize || width < MinSize)
        {
            throw new InputException(
                $"model.name=smallcnn needs images of at least {MinSize}x{MinSize} pixels, but the data are "
                + $"{height}x{width}; use model.name=mlp instead.");
        }

        conv1 = nn.Conv2d(channels, 32, 3, padding: 1);
        conv2 = nn.Conv2d(32, 64, 3, padding: 1);
        fc1 = nn.Linear(64L * (height / 2) * (width / 2), 128);
        fc2 = nn.Linear(128, numClasses);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        x = nn.functional.relu(conv1.call(x));                         // (N, 32, H, W)
        x = nn.functional.max_pool2d(nn.functional.relu(conv2.call(x)), 2);  // (N, 64, H/2, W/2)
        x = nn.functional.relu(fc1.call(x.flatten(1)));                // (N, 128)
        return fc2.call(x).MoveToOuterDisposeScope();                  // (N, numClasses)
    }
}
