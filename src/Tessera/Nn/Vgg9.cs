namespace Tessera.Nn;

/// <summary>
/// VGG-9 of the FedMA code (<c>moderate-cnn</c>, spec §4) for 32×32 images with configurable widths:
/// conv3×3 pad 1 c→w0, ReLU, w0→w1, ReLU, max-pool; w1→w2, ReLU, w2→w3, ReLU, max-pool, Dropout2d 0.05;
/// w3→w4, ReLU, w4→w5, ReLU, max-pool; flatten (w5·4·4), Dropout 0.1, fc w6, ReLU, fc w7, ReLU, Dropout 0.1,
/// fc numClasses. Default widths 32/64/128/128/256/256/512/512 (3,491,530 parameters for CIFAR-10).
/// </summary>
public sealed class Vgg9 : nn.Module<Tensor, Tensor>
{
    public static readonly int[] DefaultWidths = [32, 64, 128, 128, 256, 256, 512, 512];

    // state_dict keys: conv1..conv6.*, fc1.*, fc2.*, fc3.*  (declared in call order)
    private readonly Conv2d conv1;
    private readonly Conv2d conv2;
    private readonly Conv2d conv3;
    private readonly Conv2d conv4;
    private readonly Dropout2d drop1;
    private readonly Conv2d conv5;
    private readonly Conv2d conv6;
    private readonly Dropout drop2;
    private readonly Linear fc1;
    private readonly Linear fc2;
    private readonly Dropout drop3;
    private readonly Linear fc3;

    /// <param name="channels">Input channels (3 for CIFAR).</param>
    /// <param name="size">Input height and width (a multiple of 8; 32 for CIFAR).</param>
    /// <param name="numClasses">Output logits.</param>
    /// <param name="widths">Six conv widths then two FC widths; null = <see cref="DefaultWidths"/>.</param>
    public Vgg9(int channels, int size, int numClasses, int[]? widths = null) : base(nameof(Vgg9))
    {
        int[] w = widths ?? DefaultWidths;
        if (w.Length != 8 || w.Any(v => v < 1))
        {
            throw new InputException($"model.widths for vgg9 must be 8 positive numbers (6 conv, 2 fc); got [{string.Join(", ", w)}].");
        }
        if (size < 8 || size % 8 != 0)
        {
            throw new InputException($"VGG-9 needs square images whose side is a multiple of 8 (CIFAR: 32); got {size}.");
        }
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numClasses);
        FeatureSide = size / 8;
        conv1 = nn.Conv2d(channels, w[0], 3, padding: 1);
        conv2 = nn.Conv2d(w[0], w[1], 3, padding: 1);
        conv3 = nn.Conv2d(w[1], w[2], 3, padding: 1);
        conv4 = nn.Conv2d(w[2], w[3], 3, padding: 1);
        drop1 = nn.Dropout2d(0.05);
        conv5 = nn.Conv2d(w[3], w[4], 3, padding: 1);
        conv6 = nn.Conv2d(w[4], w[5], 3, padding: 1);
        drop2 = nn.Dropout(0.1);
        fc1 = nn.Linear((long)w[5] * FeatureSide * FeatureSide, w[6]);
        fc2 = nn.Linear(w[6], w[7]);
        drop3 = nn.Dropout(0.1);
        fc3 = nn.Linear(w[7], numClasses);
        RegisterComponents();
    }

    /// <summary>Side of the last conv block's pooled output (4 for 32×32).</summary>
    public int FeatureSide { get; }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        x = nn.functional.relu(conv1.call(x));
        x = nn.functional.max_pool2d(nn.functional.relu(conv2.call(x)), 2);              // (N, w1, S/2, S/2)
        x = nn.functional.relu(conv3.call(x));
        x = drop1.call(nn.functional.max_pool2d(nn.functional.relu(conv4.call(x)), 2));   // (N, w3, S/4, S/4)
        x = nn.functional.relu(conv5.call(x));
        x = nn.functional.max_pool2d(nn.functional.relu(conv6.call(x)), 2);              // (N, w5, S/8, S/8)
        x = nn.functional.relu(fc1.call(drop2.call(x.flatten(1))));                      // (N, w6)
        x = drop3.call(nn.functional.relu(fc2.call(x)));                                 // (N, w7)
        return fc3.call(x).MoveToOuterDisposeScope();                                    // (N, numClasses)
    }
}
