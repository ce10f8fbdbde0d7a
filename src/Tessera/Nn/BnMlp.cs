namespace Tessera.Nn;

/// <summary>Bias-free MLP with a non-affine BatchNorm after every hidden layer (the pruning papers' MLP):
/// flatten → [Linear → BatchNorm1d(affine: false) → ReLU] per hidden width → Linear to numClasses. No layer has a
/// bias and BatchNorm has no γ/β, so every trainable number is a prunable weight (Gem-Miner spec §2.2, §6 "MLP-FM":
/// 784 → 300 → 100 → 10, 266,200 weights).</summary>
public sealed class BnMlp : nn.Module<Tensor, Tensor>
{
    // state_dict keys: layers.{i}.weight (i = 0..hidden.Length, the last is the classifier),
    // norms.{i}.running_mean/running_var/num_batches_tracked (i = 0..hidden.Length-1)
    private readonly ModuleList<Linear> layers;
    private readonly ModuleList<BatchNorm1d> norms;

    /// <param name="inputSize">Number of input features after flattening (e.g. 784 for 28×28 grey images).</param>
    /// <param name="hidden">Hidden widths, in order; may be empty (a bias-free linear classifier).</param>
    /// <param name="numClasses">Number of output logits.</param>
    public BnMlp(int inputSize, int[] hidden, int numClasses) : base(nameof(BnMlp))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numClasses);
        if (hidden.Any(w => w <= 0))
        {
            throw new InputException(
                $"model.hidden must list positive layer widths (got [{string.Join(", ", hidden)}]), e.g. [300, 100].");
        }
        int[] sizes = [inputSize, .. hidden, numClasses];
        layers = nn.ModuleList(sizes.Zip(sizes.Skip(1), (i, o) => nn.Linear(i, o, hasBias: false)).ToArray());
        norms = nn.ModuleList(hidden.Select(w => nn.BatchNorm1d(w, affine: false)).ToArray());
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        x = x.flatten(1);                                                   // (N, inputSize)
        for (int i = 0; i < norms.Count; i++)
        {
            x = nn.functional.relu(norms[i].call(layers[i].call(x)));      // (N, hidden[i])
        }
        return layers[^1].call(x).MoveToOuterDisposeScope();               // (N, numClasses)
    }
}
