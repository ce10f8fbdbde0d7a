namespace Tessera.Nn;

/// <summary>Fully connected classifier with BatchNorm after every hidden layer: flatten (N, ...) to (N, inputSize),
/// then Linear → BatchNorm1d → ReLU per hidden layer, and a final Linear to (N, numClasses).
/// <list type="bullet">
/// <item>Default: the "MLP-BN" of the bad-global-minima code (<c>hidden = [512, 512]</c> on 28×28 inputs: 671,754
/// parameters), with TorchSharp's default init (Kaiming-uniform weights, BN γ = 1, β = 0).</item>
/// <item><c>biasFree</c>: the pruning papers' MLP (no biases, BatchNorm without γ/β), so that every trainable number is
/// a prunable weight (784 → 300 → 100 → 10: 266,200 weights).</item>
/// </list></summary>
public sealed class MlpBn : nn.Module<Tensor, Tensor>
{
    // state_dict keys: layers.{i}.* (Linear; the last one is the classifier), norms.{i}.* (BatchNorm1d of hidden layer i)
    private readonly ModuleList<Linear> layers;
    private readonly ModuleList<BatchNorm1d> norms;

    /// <param name="inputSize">Number of input features after flattening (channels·height·width).</param>
    /// <param name="hidden">Width of each hidden layer, in order; empty gives a linear classifier.</param>
    /// <param name="numClasses">Number of output logits.</param>
    /// <param name="biasFree">No biases and no BatchNorm γ/β (the pruning papers' layout).</param>
    public MlpBn(int inputSize, int[] hidden, int numClasses, bool biasFree = false) : base(nameof(MlpBn))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numClasses);
        if (hidden.Any(w => w <= 0))
        {
            throw new InputException(
                $"model.hidden must list positive layer widths (got [{string.Join(", ", hidden)}]), e.g. [512, 512].");
        }
        int[] sizes = [inputSize, .. hidden, numClasses];
        layers = nn.ModuleList(sizes.Zip(sizes.Skip(1), (i, o) => nn.Linear(i, o, hasBias: !biasFree)).ToArray());
        norms = nn.ModuleList(hidden.Select(w => nn.BatchNorm1d(w, affine: !biasFree)).ToArray());
        (InputSize, Hidden, NumClasses) = (inputSize, hidden.ToArray(), numClasses);
        RegisterComponents();
    }

    /// <summary>Number of input features after flattening.</summary>
    public int InputSize { get; }

    /// <summary>Hidden layer widths, in order.</summary>
    public IReadOnlyList<int> Hidden { get; }

    /// <summary>Number of output logits.</summary>
    public int NumClasses { get; }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        x = x.flatten(1);                                                  // (N, inputSize)
        for (int i = 0; i < norms.Count; i++)
        {
            x = nn.functional.relu(norms[i].call(layers[i].call(x)));     // (N, hidden[i])
        }
        return layers[^1].call(x).MoveToOuterDisposeScope();              // (N, numClasses)
    }
}
