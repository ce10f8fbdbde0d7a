namespace Tessera.Nn;

/// <summary>"Conv4" of the lottery-ticket papers (Gem-Miner spec §4, small conv net; no BatchNorm, no biases):
/// conv 3×3 64, conv 64, max-pool 2, conv 128, conv 128, max-pool 2 (each conv pad 1 + ReLU), flatten → fc 256 →
/// ReLU → fc 256 → ReLU → fc numClasses. 2,425,024 weights for 3×32×32 inputs; also runs on 1×28×28.</summary>
public sealed class Conv4 : nn.Module<Tensor, Tensor>
{
    /// <summary>Smallest height and width Conv4 accepts (two 2×2 pools).</summary>
    public const int MinSize = 4;

    // state_dict keys: conv1..conv4.weight, fc1..fc3.weight  (declared in call order)
    private readonly Conv2d conv1;
    private readonly Conv2d conv2;
    private readonly Conv2d conv3;
    private readonly Conv2d conv4;
    private readonly Linear fc1;
    private readonly Linear fc2;
    private readonly Linear fc3;

    /// <param name="channels">Input channels (3 for CIFAR, 1 for grey).</param>
    /// <param name="height">Input height, at least <see cref="MinSize"/>.</param>
    /// <param name="width">Input width, at least <see cref="MinSize"/>.</param>
    /// <param name="numClasses">Number of output logits.</param>
    public Conv4(int channels, int height, int width, int numClasses) : base(nameof(Conv4))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numClasses);
        if (height < MinSize || width < MinSize)
        {
            throw new InputException($"model.name=conv4 needs images of at least {MinSize}x{MinSize} pixels, but the data are {height}x{width}.");
        }
        conv1 = nn.Conv2d(channels, 64, 3, padding: 1, bias: false);
        conv2 = nn.Conv2d(64, 64, 3, padding: 1, bias: false);
        conv3 = nn.Conv2d(64, 128, 3, padding: 1, bias: false);
        conv4 = nn.Conv2d(128, 128, 3, padding: 1, bias: false);
        fc1 = nn.Linear(128L * (height / 2 / 2) * (width / 2 / 2), 256, hasBias: false);
        fc2 = nn.Linear(256, 256, hasBias: false);
        fc3 = nn.Linear(256, numClasses, hasBias: false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        x = nn.functional.relu(conv1.call(x));                                      // (N, 64, H, W)
        x = nn.functional.max_pool2d(nn.functional.relu(conv2.call(x)), 2);         // (N, 64, H/2, W/2)
        x = nn.functional.relu(conv3.call(x));                                      // (N, 128, H/2, W/2)
        x = nn.functional.max_pool2d(nn.functional.relu(conv4.call(x)), 2);         // (N, 128, H/4, W/4)
        x = nn.functional.relu(fc1.call(x.flatten(1)));                             // (N, 256)
        x = nn.functional.relu(fc2.call(x));                                        // (N, 256)
        return fc3.call(x).MoveToOuterDisposeScope();                              // (N, numClasses)
    }
}
