using CsCheck;
using Tessera.Methods.LoopedTf;

namespace Tessera.Tests.Methods.LoopedTf;

public sealed class BaselineTests
{
    private static (Tensor Xs, Tensor Ys) Linear(int prompts, int n, int d, ulong seed)
    {
        using var g = new Generator(seed);
        return new LinearRegression(d).Sample(prompts, n, d, g);
    }

    [Fact]
    public void LeastSquares_NoiselessAtLeastDPoints_Exact()
    {
        using var scope = torch.NewDisposeScope();
        var (xs, ys) = Linear(64, 10, 4, 1);

        var preds = new LeastSquares().Predict(xs, ys);

        Assert.True((preds[.., 4..] - ys[.., 4..]).abs().max().item<float>() < 1e-4);
        Assert.True(preds[.., 0].eq(0).all().item<bool>());
    }

    [Fact]
    public void LeastSquares_FewerPointsThanDims_MinimumNormSolution()
    {
        // x_0 = (1, 1), y_0 = 2: the minimum-norm w is (1, 1), so the prediction at x_1 = (3, −1) is 2
        // (any other solution, e.g. (2, 0), would give 6).
        using var scope = torch.NewDisposeScope();
        var xs = torch.tensor(new float[] { 1, 1, 3, -1 }, [1, 2, 2]);
        var ys = torch.tensor(new float[] { 2, 0 }, [1, 2]);

        var preds = new LeastSquares().Predict(xs, ys);

        Assert.Equal(2.0, preds[0, 1].item<float>(), 1e-5);
    }

    [Fact]
    public void LeastSquares_1280Prompts_ErrorIsDMinusIOverD()
    {
        // Spec pitfall 12: expected normalised error (d − i)/d for i < d, within ±0.05.
        using var scope = torch.NewDisposeScope();
        var (xs, ys) = Linear(1280, 6, 5, 2);

        double[] err = IclEvaluation.Errors(new LeastSquares().Predict(xs, ys), ys, 5);

        for (int i = 0; i < 5; i++)
        {
            Assert.InRange(err[i], ((5.0 - i) / 5) - 0.05, ((5.0 - i) / 5) + 0.05);
        }
    }

    [Fact]
    public void Averaging_HandExample_AndTheoreticalError()
    {
        // x = 1, 2, 3 (d = 1), y = 2, 4, ?: ŵ_1 = 2·1/1 = 2 → pred 4; ŵ_2 = (2 + 8)/2 = 5 → pred 15.
        using var scope = torch.NewDisposeScope();
        var preds = new Averaging().Predict(torch.tensor(new float[] { 1, 2, 3 }, [1, 3, 1]), torch.tensor(new float[] { 2, 4, 6 }, [1, 3]));
        Assert.Equal(new float[] { 0, 4, 15 }, preds.data<float>().ToArray());

        // Spec pitfall 12: expected normalised error (d + 1)/i on LR, within 10 % for i ≥ d.
        var (xs, ys) = Linear(6000, 21, 5, 3);
        double[] err = IclEvaluation.Errors(new Averaging().Predict(xs, ys), ys, 5);
        foreach (int i in new[] { 10, 15, 20 })
        {
            Assert.InRange(err[i], 0.9 * 6.0 / i, 1.1 * 6.0 / i);
        }
    }

    [Fact]
    public void Knn_HandExample_AveragesTheKNearestEarlierLabels()
    {
        // 1-D points 0, 10, 1, 9, 2 with labels 1, 2, 3, 4, 5; k = 2.
        // i=1: only point 0 → 1. i=2 (x=1): nearest 0 (d 1), 10 → (1+2)/2. i=3 (x=9): 10, 1 → (2+3)/2.
        // i=4 (x=2): 1 (d 1), 0 (d 2) → (3+1)/2.
        using var scope = torch.NewDisposeScope();
        var xs = torch.tensor(new float[] { 0, 10, 1, 9, 2 }, [1, 5, 1]);
        var ys = torch.tensor(new float[] { 1, 2, 3, 4, 5 }, [1, 5]);

        var preds = new NearestNeighbours(2).Predict(xs, ys);

        Assert.Equal(new float[] { 0, 1, 1.5f, 2.5f, 2 }, preds.data<float>().ToArray());
    }

    [Fact]
    public void Lasso_OneFeature_ClosedForm()
    {
        // x = (1, 2), y = (2, 4), α = 0.1: (1/m)Σx(y − xw) = α → (10 − 5w)/2 = 0.1 → w = 1.96.
        double[] w = Lasso.Fit([[1], [2]], [2, 4], 0.1);

        Assert.Equal(1.96, w[0], 1e-10);
        Assert.Equal(0.0, Lasso.Fit([[1], [2]], [2, 4], 6.0)[0]);   // α ≥ |Xᵀy|/m = 5 → 0
    }

    [Fact]
    public void Lasso_RandomProblems_SatisfyKktConditions()
    {
        // Optimality of (1/(2m))‖y − Xw‖² + α‖w‖₁: g_j = (1/m) x_jᵀ(y − Xw) equals α·sign(w_j) where w_j ≠ 0,
        // and |g_j| ≤ α where w_j = 0. Fewer or more rows than columns.
        Gen.Select(Gen.Int[1, 8], Gen.Int[1, 6], Gen.Double[0.001, 0.5], Gen.Int[0, 1_000_000]).Sample((m, d, alpha, seed) =>
        {
            var rng = new Random(seed);
            double[][] x = Enumerable.Range(0, m).Select(_ => Enumerable.Range(0, d).Select(_ => (rng.NextDouble() * 2) - 1).ToArray()).ToArray();
            double[] y = Enumerable.Range(0, m).Select(_ => (rng.NextDouble() * 4) - 2).ToArray();

            double[] w = Lasso.Fit(x, y, alpha);

            for (int j = 0; j < d; j++)
            {
                double g = Enumerable.Range(0, m).Sum(r => x[r][j] * (y[r] - Enumerable.Range(0, d).Sum(k => x[r][k] * w[k]))) / m;
                if (w[j] != 0)
                {
                    Assert.True(Math.Abs(g - (alpha * Math.Sign(w[j]))) < 1e-7, $"active j={j}: g={g}, w={w[j]}");
                }
                else
                {
                    Assert.True(Math.Abs(g) <= alpha + 1e-7, $"inactive j={j}: |g|={Math.Abs(g)} > α={alpha}");
                }
            }
        }, iter: 200, threads: 1);
    }

    [Fact]
    public void Tree_HandExample_SplitsAtMidpointAndPredictsLeafMeans()
    {
        // 1 feature, x = 1..4, y = 0, 0, 2, 3. Depth 1: splits at 1.5 / 2.5 / 3.5 leave SSE 42/9, 0 + 1/2, 24/9 + 0,
        // so the best is 2.5 with leaves 0 and 2.5. Depth 2: the right leaf splits again at 3.5 → 2 and 3.
        double[][] x = [[1], [2], [3], [4]];
        double[] y = [0, 0, 2, 3];

        var stump = RegressionTree.Fit(x, y, 1);
        var deeper = RegressionTree.Fit(x, y, 2);

        Assert.Equal([0.0, 0.0, 2.5, 2.5], new[] { 1.0, 2.5, 2.6, 10 }.Select(v => stump.Predict([v])));
        Assert.Equal([0.0, 2.0, 3.0], new[] { 2.0, 3.4, 3.6 }.Select(v => deeper.Predict([v])));
        Assert.Equal(3, deeper.Leaves);   // the left node is pure: no split
    }

    [Fact]
    public void Tree_PicksTheInformativeFeature()
    {
        // Feature 1 separates the labels, feature 0 is noise.
        double[][] x = [[0.3, -1], [-0.2, -2], [0.1, 1], [-0.4, 2]];
        double[] y = [-1, -1, 1, 1];

        var tree = RegressionTree.Fit(x, y, 1);

        Assert.Equal(-1.0, tree.Predict([5, -0.1]));
        Assert.Equal(1.0, tree.Predict([-5, 0.1]));
    }

    [Fact]
    public void GreedyTree_SignVariant_FitsAHandTreeExactly()
    {
        // y = [x_0 > 0] on sign inputs: a depth-4 tree on sign(x) recovers it from 30 points.
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(7);
        var xs = torch.randn([4, 31, 3], generator: g);
        var ys = xs[.., .., 0].gt(0).to(ScalarType.Float32);

        var preds = new GreedyTree(4, sign: true).Predict(xs, ys);

        Assert.True((preds[.., 30] - ys[.., 30]).abs().max().item<float>() < 1e-6);
        Assert.Equal("tree_sign", new GreedyTree(4, sign: true).Name);
    }

    [Fact]
    public void BoostedTrees_StepFunction_LearnsTheStep()
    {
        // LightGBM, 50 rounds of lr 0.1: the fit of y = ±1 by sign(x_0) reaches 1 − 0.9^50 ≈ 0.995 on each side.
        var rng = new Random(8);
        double[][] x = Enumerable.Range(0, 40).Select(i => new[] { (i % 2 == 0 ? 1 : -1) * (0.1 + rng.NextDouble()), rng.NextDouble() - 0.5 }).ToArray();
        double[] y = x.Select(r => r[0] > 0 ? 1.0 : -1.0).ToArray();
        var boost = new BoostedTrees(sign: false, seed: 0);

        Assert.InRange(boost.FitPredict(x, y, [0.5, 0]), 0.9, 1.01);
        Assert.InRange(boost.FitPredict(x, y, [-0.5, 0]), -1.01, -0.9);
    }

    [Fact]
    public void NetworkByGd_PromptsTrainIndependently_AndLearnLinearTarget()
    {
        // Given: two prompts of a 1-D linear function; the second prompt's labels are then replaced
        using var scope = torch.NewDisposeScope();
        var net = new NetworkByGradientDescent(seed: 3, hidden: 16, steps: 300, lr: 0.02, batch: 8);
        var x = torch.linspace(-1, 1, 8).view(1, 8, 1).expand(2, 8, 1).contiguous();
        var y = (2 * x.squeeze(-1)).contiguous();
        var y2 = y.clone();
        y2[1] = torch.randn(8, generator: new Generator(1));
        var query = torch.tensor(new float[] { 0.5f, 0.5f }, [2, 1]);

        // When
        var a = net.FitPredict(x, y, query);
        var b = net.FitPredict(x, y2, query);

        // Then: prompt 0 is bit-identical (own gradient and Adam state), and near the target 1.0
        Assert.Equal(a[0].item<float>(), b[0].item<float>());
        Assert.InRange(a[0].item<float>(), 0.8, 1.2);
        Assert.NotEqual(a[1].item<float>(), b[1].item<float>());
    }

    [Fact]
    public void Create_EveryName_BuildsThatBaseline_AndPredictsZeroFirst()
    {
        using var scope = torch.NewDisposeScope();
        var (xs, ys) = Linear(2, 3, 2, 4);
        var eval = new LoopedEvalConfig();
        foreach (string name in Baselines.Names.Where(n => !Baselines.IsSlow(n)))
        {
            IBaseline b = Baselines.Create(name, eval, 0);
            var preds = b.Predict(xs, ys);

            Assert.Equal(name, b.Name);
            Assert.Equal([2L, 3L], preds.shape);
            Assert.True(preds[.., 0].eq(0).all().item<bool>(), name);
        }
    }
}
