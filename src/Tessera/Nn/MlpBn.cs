namespace Tessera.Nn;

/// <summary>Fully connected classifier with BatchNorm after every hidden layer: flatten (N, ...) to (N, inputSize),
/// then Linear → BatchNorm1d → ReLU per hidden layer, and a final Linear to (N, numClasses). With
/// <c>hidden = [512, 512]</c> and 28×28 inputs this is the "MLP-BN" of the bad-global-minima spec (671 754
/// parameters). Default TorchSharp init (Kaiming-uniform weights, BN γ = 1, β = 0, momentum 0.1, eps 1e-5).</summary>
public sealed class MlpBn : nn.Module<Tensor, Tensor>
{
    // state_dict keys: layers.{i}.* (Linear; the last one is the classifier), norms.{i}.* (BatchNorm1d of hidden layer i)
    private readonly ModuleList<Linear> layers;
    private readonly ModuleList<BatchNorm1d> norms;

    /// <param name="inputSize">Number of input features after flattening (channels·height·width).</param>
    /// <param name="hidden">Width of each hidden layer, in order; at least one.</param>
    /// <param name="numClasses">Number of output logits.</param>
    public MlpBn(int inputSize, int[] hidden, int numClasses) : base(nameof(MlpBn))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numClasses);
        if (hidden.Length == 0 || hidden.Any(w => w <= 0))
        {
            throw new InputException(
                $"model.hidden must list at least one positive layer width for mlp-bn (got [{string.Join(", ", hidden)}]), e.g. [512, 512].");
        }

        int[] sizes = [inputSize, .. hidden, numClasses];
        layers = nn.ModuleList(sizes.Zip(sizes.Skip(1), (i, o) => nn.Linear(i, o)).ToArray());
        norms = nn.ModuleList(hidden.Select(w => nn.BatchNorm1d(w)).ToArray());
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
