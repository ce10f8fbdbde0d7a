namespace Tessera.Methods.LoopedTf;

/// <summary>A classical learner scored on the same prompts as the transformers (spec §3): the prediction for
/// position i is fitted on the pairs 0..i−1 only and evaluated at x_i; every baseline predicts 0 at i = 0.</summary>
public interface IBaseline
{
    string Name { get; }

    /// <summary>Predictions (B, n) float32 for xs (B, n, d) and ys (B, n).</summary>
    Tensor Predict(Tensor xs, Tensor ys);
}

/// <summary>The baselines by config name (<c>eval.baselines</c>).</summary>
public static class Baselines
{
    public static IReadOnlyList<string> Names { get; } =
        ["least_squares", "averaging", "knn", "lasso", "tree", "tree_sign", "boosting", "boosting_sign", "nn_gd", "zero"];

    /// <summary>Whether the baseline is slow enough to be scored on <see cref="LoopedEvalConfig.SlowBaselinePrompts"/> only.</summary>
    public static bool IsSlow(string name) => name is "boosting" or "boosting_sign" or "nn_gd";

    public static IBaseline Create(string name, LoopedEvalConfig eval, long seed) => name switch
    {
        "least_squares" => new LeastSquares(),
        "averaging" => new Averaging(),
        "knn" => new NearestNeighbours(eval.KnnK),
        "lasso" => new LassoBaseline(eval.LassoAlpha),
        "tree" => new GreedyTree(2, sign: false),
        "tree_sign" => new GreedyTree(4, sign: true),
        "boosting" => new BoostedTrees(sign: false, seed),
        "boosting_sign" => new BoostedTrees(sign: true, seed),
        "nn_gd" => new NetworkByGradientDescent(seed),
        "zero" => new ZeroPredictor(),
        _ => throw new InputException($"eval.baselines: unknown baseline '{name}'; known: {string.Join(", ", Names)}."),
    };

    /// <summary>Runs a per-prompt, per-prefix fit on plain arrays: <paramref name="fit"/> gets the prefix
    /// (X as i rows of d, y of length i) and the query x_i, and returns the prediction.</summary>
    internal static Tensor PerPrefix(Tensor xs, Tensor ys, Func<double[][], double[], double[], double> fit)
    {
        long b = xs.shape[0], n = xs.shape[1], d = xs.shape[2];
        double[] x = xs.to(ScalarType.Float64).contiguous().data<double>().ToArray();
        double[] y = ys.to(ScalarType.Float64).contiguous().data<double>().ToArray();
        var preds = new float[b * n];
        for (long p = 0; p < b; p++)
        {
            double[][] rows = Enumerable.Range(0, (int)n).Select(i => x.AsSpan((int)(((p * n) + i) * d), (int)d).ToArray()).ToArray();
            double[] labels = y.AsSpan((int)(p * n), (int)n).ToArray();
            for (int i = 1; i < n; i++)
            {
                preds[(p * n) + i] = (float)fit(rows[..i], labels[..i], rows[i]);
            }
        }
        return torch.tensor(preds, [b, n]);
    }
}

/// <summary>Predicts 0 everywhere (the reference line at 1 of the normalised plots).</summary>
public sealed class ZeroPredictor : IBaseline
{
    public string Name => "zero";

    public Tensor Predict(Tensor xs, Tensor ys) => torch.zeros_like(ys);
}

/// <summary>Minimum-norm least squares: ŵ = pinv(X_i) y_i (the pseudo-inverse, so i &lt; d gives the minimum-norm
/// solution), prediction x_i·ŵ. Computed in float64.</summary>
public sealed class LeastSquares : IBaseline
{
    public string Name => "least_squares";

    public Tensor Predict(Tensor xs, Tensor ys)
    {
        using var scope = torch.NewDisposeScope();
        long n = xs.shape[1];
        var x = xs.to(ScalarType.Float64);
        var y = ys.to(ScalarType.Float64);
        var columns = new List<Tensor> { torch.zeros([xs.shape[0]], dtype: ScalarType.Float64) };
        for (int i = 1; i < n; i++)
        {
            var w = torch.linalg.pinv(x[.., ..i, ..]).bmm(y[.., ..i].unsqueeze(-1));           // (B, d, 1)
            columns.Add(x[.., i, ..].unsqueeze(1).bmm(w).reshape(-1));                          // (B)
        }
        return torch.stack(columns, dim: 1).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }
}

/// <summary>ŵ = (1/i) Σ_{j&lt;i} y_j x_j, prediction x_i·ŵ (one gradient step from 0; expected normalised error
/// (d+1)/i on linear regression).</summary>
public sealed class Averaging : IBaseline
{
    public string Name => "averaging";

    public Tensor Predict(Tensor xs, Tensor ys)
    {
        using var scope = torch.NewDisposeScope();
        var x = xs.to(ScalarType.Float64);
        var sums = (x * ys.to(ScalarType.Float64).unsqueeze(-1)).cumsum(1) - (x * ys.to(ScalarType.Float64).unsqueeze(-1)); // Σ_{j<i}
        var counts = torch.arange(xs.shape[1], dtype: ScalarType.Float64).clamp_min(1).view(1, -1, 1);
        var preds = (x * (sums / counts)).sum(-1);                                               // (B, n); 0 at i = 0
        return preds.to(ScalarType.Float32).MoveToOuterDisposeScope();
    }
}

/// <summary>k nearest neighbours: the uniform average of the y's of the min(i, k) previous points closest to x_i
/// (Euclidean).</summary>
public sealed class NearestNeighbours(int k) : IBaseline
{
    public string Name => "knn";

    public Tensor Predict(Tensor xs, Tensor ys)
    {
        using var scope = torch.NewDisposeScope();
        long n = xs.shape[1];
        var x = xs.to(ScalarType.Float64);
        var columns = new List<Tensor> { torch.zeros([xs.shape[0]], dtype: ScalarType.Float64) };
        for (int i = 1; i < n; i++)
        {
            var dist = (x[.., ..i, ..] - x[.., i..(i + 1), ..]).square().sum(-1);               // (B, i)
            int m = Math.Min(k, i);
            var (_, nearest) = dist.topk(m, dim: 1, largest: false, sorted: true);              // (B, m)
            columns.Add(ys[.., ..i].to(ScalarType.Float64).gather(1, nearest).mean([1]));
        }
        return torch.stack(columns, dim: 1).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }
}
