namespace Tessera.Methods.LoopedTf;

/// <summary>A CART regression tree (squared-error splits, best split, as scikit-learn's DecisionTreeRegressor with
/// min_samples_leaf = 1): every node with at least two samples and non-zero variance takes the split (feature,
/// threshold at the midpoint between consecutive distinct values) that minimises the children's summed squared
/// error, until <c>maxDepth</c>; leaves predict their mean. Ties between equally good splits go to the lower
/// feature index and threshold (scikit-learn breaks them by a random feature order). Hand-written.</summary>
public sealed class RegressionTree
{
    private readonly Node _root;

    private RegressionTree(Node root) => _root = root;

    public static RegressionTree Fit(double[][] x, double[] y, int maxDepth)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxDepth);
        if (y.Length == 0)
        {
            throw new ArgumentException("A tree needs at least one sample.", nameof(y));
        }
        return new RegressionTree(Build(x, y, Enumerable.Range(0, y.Length).ToArray(), maxDepth));
    }

    public double Predict(double[] x)
    {
        Node node = _root;
        while (node.Feature >= 0)
        {
            node = x[node.Feature] <= node.Threshold ? node.Left! : node.Right!;
        }
        return node.Value;
    }

    /// <summary>Number of leaves (for tests).</summary>
    public int Leaves => Count(_root);

    private static int Count(Node n) => n.Feature < 0 ? 1 : Count(n.Left!) + Count(n.Right!);

    private static Node Build(double[][] x, double[] y, int[] rows, int depth)
    {
        double mean = rows.Average(r => y[r]);
        double sse = rows.Sum(r => (y[r] - mean) * (y[r] - mean));
        if (depth == 0 || rows.Length < 2 || sse <= 1e-15 * Math.Max(1.0, rows.Sum(r => y[r] * y[r])))
        {
            return new Node(-1, 0, mean, null, null);
        }
        int d = x[rows[0]].Length;
        (int Feature, double Threshold, double Score) best = (-1, 0, double.PositiveInfinity);
        for (int f = 0; f < d; f++)
        {
            int[] sorted = rows.OrderBy(r => x[r][f]).ThenBy(r => r).ToArray();
            double total = sorted.Sum(r => y[r]), totalSq = sorted.Sum(r => y[r] * y[r]);
            double leftSum = 0, leftSq = 0;
            for (int k = 1; k < sorted.Length; k++)
            {
                double v = y[sorted[k - 1]];
                leftSum += v;
                leftSq += v * v;
                double a = x[sorted[k - 1]][f], b = x[sorted[k]][f];
                if (a == b)
                {
                    continue;                                  // no threshold between equal values
                }
                double rightSum = total - leftSum, rightSq = totalSq - leftSq;
                double score = (leftSq - (leftSum * leftSum / k)) + (rightSq - (rightSum * rightSum / (sorted.Length - k)));
                if (score < best.Score - 1e-12)
                {
                    best = (f, (a + b) / 2, score);
                }
            }
        }
        if (best.Feature < 0)
        {
            return new Node(-1, 0, mean, null, null);           // every feature constant on this node
        }
        int[] left = rows.Where(r => x[r][best.Feature] <= best.Threshold).ToArray();
        int[] right = rows.Where(r => x[r][best.Feature] > best.Threshold).ToArray();
        return new Node(best.Feature, best.Threshold, mean, Build(x, y, left, depth - 1), Build(x, y, right, depth - 1));
    }

    private sealed record Node(int Feature, double Threshold, double Value, Node? Left, Node? Right);
}

/// <summary>Greedy tree learning per prompt and prefix (spec §3): CART of depth 2 on raw x, or of depth 4 on sign(x)
/// ("with sign pre-processing").</summary>
public sealed class GreedyTree(int maxDepth, bool sign) : IBaseline
{
    public string Name => sign ? "tree_sign" : "tree";

    public Tensor Predict(Tensor xs, Tensor ys)
    {
        using var scope = torch.NewDisposeScope();
        var input = sign ? xs.sign() : xs;
        return Baselines.PerPrefix(input, ys, (x, y, query) => RegressionTree.Fit(x, y, maxDepth).Predict(query))
            .MoveToOuterDisposeScope();
    }
}
