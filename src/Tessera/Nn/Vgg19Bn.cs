namespace Tessera.Nn;

/// <summary>VGG-19 with BatchNorm as the ACCORDION code uses it on CIFAR (accordion.md §4): 16 convs 3×3 (pad 1, with
/// bias) 64, 64, M, 128, 128, M, 256 ×4, M, 512 ×4, M, 512 ×4, M (M = max-pool 2), each followed by BN and ReLU, then
/// Dropout → Linear 512 → ReLU → Dropout → Linear 512 → ReLU → Linear numClasses. For 3×32×32 and 10 classes:
/// 20,565,834 parameters in 70 tensors, 19 compressible. Needs inputs of at least 32×32.</summary>
public sealed class Vgg19Bn : nn.Module<Tensor, Tensor>
{
    /// <summary>Output widths of the 16 convs.</summary>
    public static IReadOnlyList<int> Widths { get; } = [64, 64, 128, 128, 256, 256, 256, 256, 512, 512, 512, 512, 512, 512, 512, 512];

    private static readonly HashSet<int> PoolAfter = [1, 3, 7, 11, 15];

    // state_dict keys: convs.{i}.*, norms.{i}.* (i = 0..15), fc1.*, fc2.*, fc3.*  (declared in call order)
    private readonly ModuleList<Conv2d> convs;
    private readonly ModuleList<BatchNorm2d> norms;
    private readonly Dropout drop1;
    private readonly Linear fc1;
    private readonly Dropout drop2;
    private readonly Linear fc2;
    private readonly Linear fc3;

    public Vgg19Bn(int channels = 3, int numClasses = 10, double dropout = 0.5) : base(nameof(Vgg19Bn))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numClasses);
        int[] inputs = [channels, .. Widths.Take(Widths.Count - 1)];
        convs = nn.ModuleList(Widths.Select((w, i) => nn.Conv2d(inputs[i], w, 3, padding: 1)).ToArray());
        norms = nn.ModuleList(Widths.Select(w => nn.BatchNorm2d(w)).ToArray());
        drop1 = nn.Dropout(dropout);
        fc1 = nn.Linear(512, 512);
        drop2 = nn.Dropout(dropout);
        fc2 = nn.Linear(512, 512);
        fc3 = nn.Linear(512, numClasses);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        for (int i = 0; i < convs.Count; i++)
        {
            x = nn.functional.relu(norms[i].call(convs[i].call(x)));
            if (PoolAfter.Contains(i))
            {
                x = nn.functional.max_pool2d(x, 2);
            }
        }
        x = nn.functional.adaptive_avg_pool2d(x, 1).flatten(1);                           // (N, 512)
        x = nn.functional.relu(fc1.call(drop1.call(x)));
        x = nn.functional.relu(fc2.call(drop2.call(x)));
        return fc3.call(x).MoveToOuterDisposeScope();                                     // (N, numClasses)
    }
}
