using Tessera.Methods.LoopedTf;

namespace Tessera.Tests.Methods.LoopedTf;

public sealed class FunctionClassTests
{
    /// <summary>Prompts whose points are the unit vectors e_0..e_{d−1}: y_j = f(e_j), so a linear f shows its w.</summary>
    private static Tensor UnitPoints(int batch, int d) => torch.eye(d).unsqueeze(0).expand(batch, d, d).contiguous();

    [Fact]
    public void Sparse_TenThousandDraws_ExactlyKNonZerosInsideActiveDims()
    {
        // Spec pitfall 10: k = 3 non-zeros among the first d_t = 6 of d = 10 coordinates, for every prompt.
        using var scope = torch.NewDisposeScope();
        var task = new SparseLinearRegression(10, 3);
        using var g = new Generator(1);

        var w = task.Draw(UnitPoints(10_000, 10), 6, g);                     // (B, d): w itself

        Assert.True(w.ne(0).sum(1).eq(3).all().item<bool>());
        Assert.True(w[.., 6..].eq(0).all().item<bool>());
        var used = w.ne(0).to(ScalarType.Float32).mean([0]);                 // each active coordinate ~ 3/6 of prompts
        Assert.True(used[..6].sub(0.5).abs().max().item<float>() < 0.03);
    }

    [Fact]
    public void Linear_ActiveDimsTruncateXAndW_VarianceIsActiveDims()
    {
        using var scope = torch.NewDisposeScope();
        var task = new LinearRegression(8);
        using var g = new Generator(2);

        var (xs, ys) = task.Sample(2000, 5, 4, g);

        Assert.True(xs[.., .., 4..].eq(0).all().item<bool>());
        Assert.InRange(ys.var().item<float>(), 4 * 0.9, 4 * 1.1);
        Assert.Equal(4.0, task.Normalizer(4));
    }

    [Fact]
    public void Relu_TenThousandDraws_VarianceAboutD()
    {
        using var scope = torch.NewDisposeScope();
        var task = new ReluNetwork(5, 100);
        using var g = new Generator(3);

        var (_, ys) = task.Sample(10_000, 1, 5, g);

        Assert.InRange(ys.var().item<float>(), 5 * 0.9, 5 * 1.1);
    }

    [Fact]
    public void Tree_HandTree_PositiveGoesRightZeroGoesLeft()
    {
        // Depth 2, 7 nodes: root tests x[1]; node 1 tests x[0]; node 2 tests x[2]; leaves 3..6 = 10, 20, 30, 40.
        using var scope = torch.NewDisposeScope();
        var features = torch.tensor(new long[] { 1, 0, 2 }, [1, 3]);
        var leaves = torch.tensor(new float[] { 10, 20, 30, 40 }, [1, 4]);
        var xs = torch.tensor(new float[]
        {
            -1, -1, 0,   // x1 ≤ 0 → node 1; x0 ≤ 0 → leaf 3 (10)
            2, 0, 0,     // x1 = 0 goes left → node 1; x0 > 0 → leaf 4 (20)
            0, 3, 0,     // x1 > 0 → node 2; x2 = 0 → leaf 5 (30)
            0, 3, 0.5f,  // node 2; x2 > 0 → leaf 6 (40)
        }, [1, 4, 3]);

        var ys = DecisionTree.Evaluate(xs, features, leaves);

        Assert.Equal(new float[] { 10, 20, 30, 40 }, ys.data<float>().ToArray());
    }

    [Fact]
    public void Tree_Sample_ValuesAreLeavesWithUnitVariance_AndXNotTruncated()
    {
        using var scope = torch.NewDisposeScope();
        var task = new DecisionTree(6, 4);
        using var g = new Generator(4);

        var (xs, ys) = task.Sample(5000, 2, 3, g);

        Assert.True(xs[.., .., 3..].ne(0).any().item<bool>());
        Assert.InRange(ys.var().item<float>(), 0.9, 1.1);
        Assert.Equal(1.0, task.Normalizer(3));
    }

    [Theory]
    [InlineData("linear", 5)]
    [InlineData("sparse", 2)]
    [InlineData("relu", 5)]
    [InlineData("tree", 1)]
    public void ZeroPredictor_NormalisedError_AboutOne(string name, double normalizer)
    {
        // Spec pitfall 11: the normaliser makes the zero predictor score ≈ 1 on each task.
        using var scope = torch.NewDisposeScope();
        var task = FunctionClass.Create(new LoopedTaskConfig { Name = name, Dims = 5, Sparsity = 2, Hidden = 20, Depth = 2 });
        using var g = new Generator(5);
        var (xs, ys) = task.Sample(4000, 3, 5, g);

        double[] err = IclEvaluation.Errors(torch.zeros_like(ys), ys, task.Normalizer(5));

        Assert.Equal(normalizer, task.Normalizer(5));
        Assert.All(err, e => Assert.InRange(e, 0.9, 1.1));
    }

    [Fact]
    public void Noise_AddsIndependentGaussianWithTheGivenStd()
    {
        using var scope = torch.NewDisposeScope();
        using var g1 = new Generator(6);
        using var g2 = new Generator(6);
        var (xs, clean) = new LinearRegression(4).Sample(4000, 3, 4, g1);
        var (xs2, noisy) = new LinearRegression(4, noise: 0.1).Sample(4000, 3, 4, g2);

        Assert.True(xs.eq(xs2).all().item<bool>());
        Assert.InRange((noisy - clean).std().item<float>(), 0.095, 0.105);
    }

    [Fact]
    public void Create_UnknownName_InputExceptionNamingTheKey()
    {
        var e = Assert.Throws<InputException>(() => FunctionClass.Create(new LoopedTaskConfig { Name = "quadratic" }));
        Assert.Contains("task.name", e.Message);
    }

    [Fact]
    public void Curriculum_SpecArithmetic()
    {
        // Spec pitfall 9: dims at steps 0/4,999/5,000/75,000 = 5/5/6/20; DT loops (15 → 70, +2 per 500) reach 70 at 14,000.
        var c = new CurriculumConfig();
        var loops = new CounterConfig { Start = 15, End = 70, Inc = 2, Interval = 500 };

        Assert.Equal([5, 5, 6, 20, 20], new long[] { 0, 4999, 5000, 75_000, 500_000 }.Select(c.Dims.At));
        Assert.Equal(41, c.Points.At(75_000));
        Assert.Equal(69, loops.At(13_999));
        Assert.Equal(70, loops.At(14_000));
    }
}
