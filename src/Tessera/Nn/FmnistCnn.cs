namespace Tessera.Nn;

/// <summary>The ACCORDION reduced-scale model "FMNIST-CNN" (accordion.md §6) for (N, C, H, W) images: conv 32@3×3
/// (pad 1, no bias) → BN → ReLU → max-pool 2 → conv 64@3×3 → BN → ReLU → max-pool 2 → conv 128@3×3 → BN → ReLU →
/// global average pool → fc numClasses (with bias). 94,186 parameters for 1×28×28 and 10 classes; 11 parameter
/// tensors, 4 of them matrices (the compressible ones).</summary>
public sealed class FmnistCnn : nn.Module<Tensor, Tensor>
{
    // state_dict keys: conv1.weight, bn1.*, conv2.weight, bn2.*, conv3.weight, bn3.*, fc.*  (declared in call order)
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Conv2d conv3;
    private readonly BatchNorm2d bn3;
    private readonly Linear fc;

    /// <param name="channels">Input channels (1 for Fashion-MNIST).</param>
    /// <param name="numClasses">Number of output logits.</param>
    public FmnistCnn(int channels = 1, int numClasses = 10) : base(nameof(FmnistCnn))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numClasses);
        conv1 = nn.Conv2d(channels, 32, 3, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(32);
        conv2 = nn.Conv2d(32, 64, 3, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(64);
        conv3 = nn.Conv2d(64, 128, 3, padding: 1, bias: false);
        bn3 = nn.BatchNorm2d(128);
        fc = nn.Linear(128, numClasses);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        x = nn.functional.max_pool2d(nn.functional.relu(bn1.call(conv1.call(x))), 2);   // (N, 32, H/2, W/2)
        x = nn.functional.max_pool2d(nn.functional.relu(bn2.call(conv2.call(x))), 2);   // (N, 64, H/4, W/4)
        x = nn.functional.relu(bn3.call(conv3.call(x)));                                // (N, 128, H/4, W/4)
        x = x.mean([2, 3]);                                                             // (N, 128)
        return fc.call(x).MoveToOuterDisposeScope();                                    // (N, numClasses)
    }
}
