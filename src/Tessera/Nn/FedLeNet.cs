namespace Tessera.Nn;

/// <summary>
/// The LeNet of the FedMA code (spec §4, quirk Q7) with configurable widths: conv c→w0 5×5 → max-pool 2 → ReLU →
/// conv w0→w1 5×5 → max-pool 2 → ReLU → flatten (channel-major) → fc w2 → fc numClasses, with no nonlinearity
/// between the two FC layers. Widths 20/50/500 are the paper's LeNet, 10/20/100 LeNet-S, 4/8/16 LeNet-T.
/// Input (N, C, H, W), H and W at least 12.
/// </summary>
public sealed class FedLeNet : nn.Module<Tensor, Tensor>
{
    public const int MinSize = 12;

    // state_dict keys: conv1.*, conv2.*, fc1.*, fc2.*  (declared in call order)
    private readonly Conv2d conv1;
    private readonly Conv2d conv2;
    private readonly Linear fc1;
    private readonly Linear fc2;

    /// <param name="channels">Input channels.</param>
    /// <param name="height">Input height (≥ 12).</param>
    /// <param name="width">Input width (≥ 12).</param>
    /// <param name="numClasses">Output logits.</param>
    /// <param name="widths">[conv1 channels, conv2 channels, fc1 units].</param>
    public FedLeNet(int channels, int height, int width, int numClasses, int[] widths) : base(nameof(FedLeNet))
    {
        ArgumentNullException.ThrowIfNull(widths);
        if (widths.Length != 3 || widths.Any(w => w < 1))
        {
            throw new InputException($"model.widths for lenet must be 3 positive numbers (conv1, conv2, fc1); got [{string.Join(", ", widths)}].");
        }
        if (height < MinSize || width < MinSize)
        {
            throw new InputException($"The FedMA LeNet needs images of at least {MinSize}x{MinSize} pixels; the data are {height}x{width}.");
        }
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numClasses);
        FeatureHeight = ((height - 4) / 2 - 4) / 2;
        FeatureWidth = ((width - 4) / 2 - 4) / 2;
        conv1 = nn.Conv2d(channels, widths[0], 5);
        conv2 = nn.Conv2d(widths[0], widths[1], 5);
        fc1 = nn.Linear((long)widths[1] * FeatureHeight * FeatureWidth, widths[2]);
        fc2 = nn.Linear(widths[2], numClasses);
        RegisterComponents();
    }

    /// <summary>Height of conv2's pooled output (4 for 28×28 inputs).</summary>
    public int FeatureHeight { get; }

    public int FeatureWidth { get; }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        x = nn.functional.relu(nn.functional.max_pool2d(conv1.call(x), 2));   // (N, w0, (H-4)/2, (W-4)/2)
        x = nn.functional.relu(nn.functional.max_pool2d(conv2.call(x), 2));   // (N, w1, h, w)
        x = fc1.call(x.flatten(1));                                            // (N, w2), no nonlinearity (Q7)
        return fc2.call(x).MoveToOuterDisposeScope();                          // (N, numClasses)
    }
}
