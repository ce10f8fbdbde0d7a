namespace Tessera.Nn;

/// <summary>The Gem-Miner spec's small conv net for 28×28 images ("Conv-FM", §6): four 3×3 convs (pad 1) 16, 16,
/// max-pool 2, 32, 32, max-pool 2, each followed by a non-affine BatchNorm and ReLU, then flatten → fc 128
/// (BatchNorm, ReLU) → fc numClasses. No biases, no BatchNorm γ/β; 218,256 weights for 1×28×28 inputs.</summary>
public sealed class ConvFm : nn.Module<Tensor, Tensor>
{
    /// <summary>Smallest height and width ConvFm accepts (two 2×2 pools).</summary>
    public const int MinSize = 4;

    // state_dict keys: conv1..conv4.weight, bn1..bn4.*, fc1.weight, bn5.*, fc2.weight  (declared in call order)
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Conv2d conv3;
    private readonly BatchNorm2d bn3;
    private readonly Conv2d conv4;
    private readonly BatchNorm2d bn4;
    private readonly Linear fc1;
    private readonly BatchNorm1d bn5;
    private readonly Linear fc2;

    /// <param name="channels">Input channels (1 for grey).</param>
    /// <param name="height">Input height, at least <see cref="MinSize"/>.</param>
    /// <param name="width">Input width, at least <see cref="MinSize"/>.</param>
    /// <param name="numClasses">Number of output logits.</param>
    public ConvFm(int channels, int height, int width, int numClasses) : base(nameof(ConvFm))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numClasses);
        if (height < MinSize || width < MinSize)
        {
            throw new InputException($"model.name=conv-fm needs images of at least {MinSize}x{MinSize} pixels, but the data are {height}x{width}.");
        }
        conv1 = nn.Conv2d(channels, 16, 3, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(16, affine: false);
        conv2 = nn.Conv2d(16, 16, 3, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(16, affine: false);
        conv3 = nn.Conv2d(16, 32, 3, padding: 1, bias: false);
        bn3 = nn.BatchNorm2d(32, affine: false);
        conv4 = nn.Conv2d(32, 32, 3, padding: 1, bias: false);
        bn4 = nn.BatchNorm2d(32, affine: false);
        fc1 = nn.Linear(32L * (height / 2 / 2) * (width / 2 / 2), 128, hasBias: false);
        bn5 = nn.BatchNorm1d(128, affine: false);
        fc2 = nn.Linear(128, numClasses, hasBias: false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        x = nn.functional.relu(bn1.call(conv1.call(x)));                            // (N, 16, H, W)
        x = nn.functional.relu(bn2.call(conv2.call(x)));                            // (N, 16, H, W)
        x = nn.functional.max_pool2d(x, 2);                                         // (N, 16, H/2, W/2)
        x = nn.functional.relu(bn3.call(conv3.call(x)));                            // (N, 32, H/2, W/2)
        x = nn.functional.relu(bn4.call(conv4.call(x)));                            // (N, 32, H/2, W/2)
        x = nn.functional.max_pool2d(x, 2);                                         // (N, 32, H/4, W/4)
        x = nn.functional.relu(bn5.call(fc1.call(x.flatten(1))));                   // (N, 128)
        return fc2.call(x).MoveToOuterDisposeScope();                               // (N, numClasses)
    }
}
