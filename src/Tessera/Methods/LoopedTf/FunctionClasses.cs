namespace Tessera.Methods.LoopedTf;

/// <summary>A family of functions f: R^d → R to learn in context (spec §2.2). Every prompt gets a fresh f;
/// inputs x ~ N(0, I_d) with the coordinates ≥ the active dimension set to zero after sampling (the dimension
/// curriculum), except where a class says otherwise.</summary>
public abstract class FunctionClass
{
    protected FunctionClass(int dims, double noise)
    {
        if (dims < 1 || noise < 0)
        {
            throw new InputException($"task.dims must be >= 1 and task.noise >= 0 (got {dims} and {noise}).");
        }
        Dims = dims;
        Noise = noise;
    }

    /// <summary>Input width d of the model (the active dimension is at most this).</summary>
    public int Dims { get; }

    /// <summary>Standard deviation of Gaussian noise added to every y (0 = noiseless).</summary>
    public double Noise { get; }

    /// <summary>Whether x coordinates ≥ the active dimension are zeroed (false for the looped repo's decision trees).</summary>
    public virtual bool TruncatesInputs => true;

    /// <summary>Divisor that makes the zero predictor score about 1 (d for LR and ReLU nets, k for sparse LR, 1 for trees).</summary>
    public abstract double Normalizer(int activeDims);

    /// <summary>Samples <paramref name="batch"/> prompts of <paramref name="points"/> pairs: xs (B, n, d), ys (B, n).</summary>
    public (Tensor Xs, Tensor Ys) Sample(int batch, int points, int activeDims, Generator generator)
    {
        if (activeDims < 1 || activeDims > Dims)
        {
            throw new ArgumentOutOfRangeException(nameof(activeDims), $"active dimension {activeDims} is outside 1..{Dims}");
        }
        using var scope = torch.NewDisposeScope();
        var xs = torch.randn([batch, points, Dims], generator: generator);       // (B, n, d)
        if (TruncatesInputs && activeDims < Dims)
        {
            xs[.., .., activeDims..] = 0.0f;
        }
        var ys = Draw(xs, activeDims, generator);                                // (B, n)
        if (Noise > 0)
        {
            ys = ys + (Noise * torch.randn(ys.shape, generator: generator));
        }
        return (xs.MoveToOuterDisposeScope(), ys.MoveToOuterDisposeScope());
    }

    /// <summary>Draws one function per prompt and returns its values at <paramref name="xs"/>: (B, n, d) → (B, n)
    /// (noise-free).</summary>
    public abstract Tensor Draw(Tensor xs, int activeDims, Generator generator);

    /// <summary>Builds a class from its config name: linear, sparse, relu, tree.</summary>
    public static FunctionClass Create(LoopedTaskConfig task) => task.Name switch
    {
        "linear" => new LinearRegression(task.Dims, task.Noise),
        "sparse" => new SparseLinearRegression(task.Dims, task.Sparsity, task.Noise),
        "relu" => new ReluNetwork(task.Dims, task.Hidden, task.Noise),
        "tree" => new DecisionTree(task.Dims, task.Depth, task.TruncateTree, task.Noise),
        _ => throw new InputException($"task.name '{task.Name}' is not a function class; use linear, sparse, relu or tree."),
    };

    /// <summary>w ~ N(0, I) per prompt with w[activeDims:] = 0: (B, d, 1).</summary>
    protected Tensor Weights(long batch, int activeDims, Generator generator)
    {
        var w = torch.randn([batch, Dims, 1], generator: generator);
        if (activeDims < Dims)
        {
            w[.., activeDims.., ..] = 0.0f;
        }
        return w;
    }
}

/// <summary>y = w·x, w ~ N(0, I) (zero beyond the active dimension); Var(y) = active dimension.</summary>
public sealed class LinearRegression(int dims, double noise = 0) : FunctionClass(dims, noise)
{
    public override double Normalizer(int activeDims) => activeDims;

    public override Tensor Draw(Tensor xs, int activeDims, Generator generator)
    {
        using var scope = torch.NewDisposeScope();
        var w = Weights(xs.shape[0], activeDims, generator);          // (B, d, 1)
        return xs.bmm(w).squeeze(-1).MoveToOuterDisposeScope();       // (B, n)
    }
}

/// <summary>Linear regression whose w keeps exactly k non-zeros, chosen uniformly without replacement among the
/// active coordinates (Garg's rule, spec §2.2); Var(y) = k.</summary>
public sealed class SparseLinearRegression : FunctionClass
{
    public SparseLinearRegression(int dims, int sparsity, double noise = 0) : base(dims, noise)
    {
        if (sparsity < 1 || sparsity > dims)
        {
            throw new InputException($"task.sparsity must be in 1..task.dims={dims} (got {sparsity}).");
        }
        Sparsity = sparsity;
    }

    public int Sparsity { get; }

    public override double Normalizer(int activeDims) => Math.Min(Sparsity, activeDims);

    public override Tensor Draw(Tensor xs, int activeDims, Generator generator)
    {
        using var scope = torch.NewDisposeScope();
        long b = xs.shape[0];
        var w = Weights(b, activeDims, generator);                                           // (B, d, 1)
        int k = Math.Min(Sparsity, activeDims);
        var order = torch.rand([b, activeDims], generator: generator).argsort(dim: 1);       // random permutation per prompt
        var keep = torch.zeros([b, Dims], dtype: ScalarType.Float32)
            .scatter_(1, order[.., ..k], torch.ones([b, k]));                                // (B, d), k ones
        return xs.bmm(w * keep.unsqueeze(-1)).squeeze(-1).MoveToOuterDisposeScope();        // (B, n)
    }
}

/// <summary>A random 2-layer ReLU network per prompt: y = sqrt(2/h)·Σ_j W2_j·relu((x·W1)_j), W1 (d, h) and W2 (h)
/// standard normal; Var(y) ≈ active dimension.</summary>
public sealed class ReluNetwork : FunctionClass
{
    public ReluNetwork(int dims, int hidden, double noise = 0) : base(dims, noise)
    {
        if (hidden < 1)
        {
            throw new InputException($"task.hidden must be at least 1 (got {hidden}).");
        }
        Hidden = hidden;
    }

    public int Hidden { get; }

    public override double Normalizer(int activeDims) => activeDims;

    public override Tensor Draw(Tensor xs, int activeDims, Generator generator)
    {
        using var scope = torch.NewDisposeScope();
        long b = xs.shape[0];
        var w1 = torch.randn([b, Dims, Hidden], generator: generator);                      // (B, d, h)
        var w2 = torch.randn([b, Hidden, 1], generator: generator);                         // (B, h, 1)
        var y = nn.functional.relu(xs.bmm(w1)).bmm(w2).squeeze(-1) * Math.Sqrt(2.0 / Hidden);
        return y.MoveToOuterDisposeScope();                                                  // (B, n)
    }
}

/// <summary>A random complete binary decision tree of the given depth per prompt, stored as an array of
/// 2^(depth+1) − 1 nodes: node i tests x[feat_i] and goes to 2i+1 when x[feat_i] ≤ 0, to 2i+2 when > 0; features
/// are uniform over the inputs, leaf values N(0, 1); Var(y) = 1. The looped repo draws features from all d inputs
/// and does not truncate x (the default); <paramref name="truncate"/> follows Garg's repo instead.</summary>
public sealed class DecisionTree : FunctionClass
{
    private readonly bool _truncate;

    public DecisionTree(int dims, int depth, bool truncate = false, double noise = 0) : base(dims, noise)
    {
        if (depth is < 1 or > 12)
        {
            throw new InputException($"task.depth must be in 1..12 (got {depth}).");
        }
        Depth = depth;
        _truncate = truncate;
    }

    public int Depth { get; }

    public override bool TruncatesInputs => _truncate;

    public override double Normalizer(int activeDims) => 1.0;

    public override Tensor Draw(Tensor xs, int activeDims, Generator generator)
    {
        using var scope = torch.NewDisposeScope();
        long b = xs.shape[0];
        int internalNodes = (1 << Depth) - 1;
        long featureRange = _truncate ? activeDims : Dims;
        var features = torch.randint(0, featureRange, [b, internalNodes], generator: generator);   // (B, 2^D − 1)
        var leaves = torch.randn([b, 1 << Depth], generator: generator);                             // (B, 2^D)
        return Evaluate(xs, features, leaves).MoveToOuterDisposeScope();
    }

    /// <summary>Values of the trees (features (B, 2^D−1) int64, leaves (B, 2^D)) at xs (B, n, d) → (B, n).</summary>
    public static Tensor Evaluate(Tensor xs, Tensor features, Tensor leaves)
    {
        using var scope = torch.NewDisposeScope();
        long b = xs.shape[0], n = xs.shape[1];
        int depth = (int)Math.Round(Math.Log2(leaves.shape[1]));
        var node = torch.zeros([b, n], dtype: ScalarType.Int64);                                  // root
        for (int level = 0; level < depth; level++)
        {
            var feat = features.gather(1, node);                                                   // (B, n)
            var value = xs.gather(2, feat.unsqueeze(-1)).squeeze(-1);                              // (B, n)
            node = (2 * node) + 1 + value.gt(0).to(ScalarType.Int64);
        }
        var leaf = node - ((1L << depth) - 1);                                                     // 0..2^D − 1
        return leaves.gather(1, leaf).MoveToOuterDisposeScope();
    }
}
