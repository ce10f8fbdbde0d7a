namespace Tessera.Nn;

/// <summary>Fully connected classifier: flattens (N, ...) to (N, inputSize), then Linear + ReLU per hidden layer
/// and a final Linear to (N, numClasses). The layers live in one list (<c>layers.{i}.weight/bias</c>), so the
/// depth is configurable and hidden units can be matched or permuted layer by layer.</summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    // state_dict keys: layers.0.*, layers.1.*, ..., layers.{hidden.Length}.*  (the last one is the classifier)
    private readonly ModuleList<Linear> layers;

    /// <param name="inputSize">Number of input features after flattening (e.g. channels·height·width).</param>
    /// <param name="hidden">Width of each hidden layer, in order; may be empty (a linear classifier).</param>
    /// <param name="numClasses">Number of output logits.</param>
    public Mlp(int inputSize, int[] hidden, int numClasses) : base(nameof(Mlp))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numClasses);
        if (hidden.Any(w => w <= 0))
        {
            throw new InputException(
                $"model.hidden must list positive layer widths (got [{string.Join(", ", hidden)}]), e.g. [128].");
        }

        int[] sizes = [inputSize, .. hidden, numClasses];
        layers = nn.ModuleList(sizes.Zip(sizes.Skip(1), (i, o) => nn.Linear(i, o)).ToArray());
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
        x = x.flatten(1);                                      // (N, inputSize)
        for (int i = 0; i < layers.Count - 1; i++)
        {
            x = nn.functional.relu(layers[i].call(x));         // (N, hidden[i])
        }

        return layers[^1].call(x).MoveToOuterDisposeScope();  // (N, numClasses)
    }
}
