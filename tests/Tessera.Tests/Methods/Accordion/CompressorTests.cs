using CsCheck;
using Tessera.Comm;
using Tessera.Methods.Accordion;

namespace Tessera.Tests.Methods.Accordion;

/// <summary>Spec §6 checks 1 (PowerSGD exactness) and 2 (error-feedback telescoping), plus the pieces they rest on.</summary>
public sealed class CompressorTests
{
    private static CompressionConfig PowerSgdConfig(int rank, string mode = "static-low") =>
        new() { Kind = "powersgd", Mode = mode, Low = rank, High = 1 };

    /// <summary>Runs one reduction of one gradient per worker for a single parameter of <paramref name="shape"/>; returns
    /// every worker's output (identical across workers).</summary>
    private static Tensor[] ReduceOnce(int workers, long[] shape, Func<int, Tensor> gradient, CompressionConfig config, long seed = 3)
    {
        return InProcessCommunicator.Run(workers, comm =>
        {
            using var scope = torch.NewDisposeScope();
            var p = torch.zeros(shape, requires_grad: true);
            p.grad = gradient(comm.Rank).clone();
            using var reducer = new GradientReducer([("w", p)], config, comm, seed);
            reducer.Reduce(0);
            return p.grad!.detach().clone().MoveToOuterDisposeScope();
        });
    }

    [Fact]
    public void PowerSgd_OneWorkerLowRankMatrix_ReconstructsIt()
    {
        // Check 1: W = 1, M = A·Bᵀ of rank 4 (64 × 48), r = 4: ‖out − M‖/‖M‖ < 1e-4
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(11);
        Tensor m = torch.randn([64, 4], generator: g).mm(torch.randn([48, 4], generator: g).t());

        Tensor output = ReduceOnce(1, [64, 48], _ => m, PowerSgdConfig(4))[0];

        double rel = (output - m).norm().item<float>() / m.norm().item<float>();
        Assert.True(rel < 1e-4, $"relative error {rel}");
    }

    [Fact]
    public void PowerSgd_ThreeWorkers_OutputIsProjectionOfTheMean()
    {
        // Check 1: W = 3, out = P̂P̂ᵀ·mean_w(M_w) with P̂ = orth(Σ_w M_w Q), Q the reducer's first draw
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(5);
        Tensor[] ms = Enumerable.Range(0, 3).Select(_ => torch.randn([20, 12], generator: g)).ToArray();
        var config = PowerSgdConfig(3);

        Tensor[] outputs = ReduceOnce(3, [20, 12], r => ms[r], config, seed: 9);

        Tensor q = DrawQuery(12, 3, seed: 9);
        Tensor pHat = PowerSgd.GramSchmidt(ms.Aggregate((Tensor?)null, (acc, mw) => acc is null ? mw.mm(q) : acc + mw.mm(q))!, 1e-8);
        Tensor mean = (ms[0] + ms[1] + ms[2]) / 3;
        Tensor expected = pHat.mm(pHat.t()).mm(mean);
        foreach (Tensor o in outputs)
        {
            Assert.True(torch.allclose(o, expected, rtol: 1e-4, atol: 1e-5), $"max diff {(o - expected).abs().max().item<float>()}");
        }
        Assert.True(torch.allclose(outputs[0], outputs[1], 0, 0) && torch.allclose(outputs[1], outputs[2], 0, 0));
    }

    /// <summary>The Q the reducer draws first for tensor 0: the same generator stream, read independently.</summary>
    private static Tensor DrawQuery(long cols, long rank, long seed)
    {
        using Generator gen = Tessera.Training.StepSeeds.Generator(seed, 0, "powersgd-q-0");
        return torch.randn([cols, rank], generator: gen);
    }

    [Fact]
    public void PowerSgd_IdenticalGradientsOnAllWorkers_EqualTheSingleWorkerOutput()
    {
        // Pitfall 4: identical gradients on W workers must give exactly the one-worker output (same Q everywhere).
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(2);
        Tensor m = torch.randn([16, 10], generator: g);

        Tensor single = ReduceOnce(1, [16, 10], _ => m, PowerSgdConfig(2))[0];
        Tensor[] four = ReduceOnce(4, [16, 10], _ => m, PowerSgdConfig(2));

        Assert.All(four, o => Assert.True(torch.allclose(o, single, rtol: 1e-5, atol: 1e-6)));
    }

    [Fact]
    public void PowerSgd_ZeroGradient_GivesZerosNotNaN()
    {
        // Pitfall 6: an all-zero gradient (unused layer) must not produce NaN through Gram–Schmidt.
        Tensor output = ReduceOnce(2, [8, 6], _ => torch.zeros(8, 6), PowerSgdConfig(2))[0];

        Assert.False(output.isnan().any().item<bool>());
        Assert.Equal(0f, output.abs().max().item<float>());
    }

    [Fact]
    public void GramSchmidt_HandDerivedMatrix_GivesOrthonormalColumns()
    {
        // [[3, 1], [4, 2]]: p0 = (3,4)/5 = (0.6, 0.8); p1 = (1,2) − 2.2·(0.6, 0.8) = (−0.32, 0.24), normalised (−0.8, 0.6)
        using var scope = torch.NewDisposeScope();
        Tensor p = torch.tensor(new float[] { 3, 1, 4, 2 }, [2, 2]);

        Tensor q = PowerSgd.GramSchmidt(p, 0);

        Assert.True(torch.allclose(q, torch.tensor(new float[] { 0.6f, -0.8f, 0.8f, 0.6f }, [2, 2]), atol: 1e-6));
    }

    [Fact]
    public void GramSchmidt_DependentColumn_BecomesZeroAndTheRestStaysAProjector()
    {
        // [[3, 1, 4], [4, 2, 6]]: column 2 = column 0 + column 1. p0 = (0.6, 0.8), p1 = (−0.8, 0.6) as above; column 2's
        // remainder (4, 6) − 7.2·p0 − 0.4·p1 = (0, 0) up to rounding, so it must come out zero, not as normalised noise.
        using var scope = torch.NewDisposeScope();
        Tensor p = torch.tensor(new float[] { 3, 1, 4, 4, 2, 6 }, [2, 3]);

        Tensor q = PowerSgd.GramSchmidt(p, 0);

        Assert.True(torch.allclose(q, torch.tensor(new float[] { 0.6f, -0.8f, 0, 0.8f, 0.6f, 0 }, [2, 3]), atol: 1e-6));
        Assert.Equal(0f, q.narrow(1, 2, 1).abs().max().item<float>());
        Assert.True(torch.allclose(q.mm(q.t()).mm(p), p, atol: 1e-5));    // P̂P̂ᵀ projects onto the column space
    }

    [Fact]
    public void PowerSgd_ZeroGradientThenAFullOne_RecoversItsRank()
    {
        // A zero gradient leaves Q = Mᵀ·P̂ = 0 after the step; warm start must not keep that zero Q for good. With
        // r = 4 ≥ min(4, 6) the next step's output must be the gradient itself and the error feedback zero.
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(8);
        Tensor next = torch.randn([4, 6], generator: g);
        (Tensor Out0, Tensor Out1, Tensor Ef)[] r = InProcessCommunicator.Run(1, comm =>
        {
            using var inner = torch.NewDisposeScope();
            var p = torch.zeros([4, 6], requires_grad: true);
            using var reducer = new GradientReducer([("w", p)], PowerSgdConfig(4), comm, 1);
            p.grad = torch.zeros(4, 6);
            reducer.Reduce(0);
            Tensor out0 = p.grad!.clone();
            p.grad = next.clone();
            reducer.Reduce(1);
            return (out0.MoveToOuterDisposeScope(), p.grad!.clone().MoveToOuterDisposeScope(), reducer.ErrorFeedback(0)!.clone().MoveToOuterDisposeScope());
        });

        Assert.Equal(0f, r[0].Out0.abs().max().item<float>());
        Assert.True(torch.allclose(r[0].Out1, next, rtol: 1e-4, atol: 1e-5), $"max diff {(r[0].Out1 - next).abs().max().item<float>()}");
        Assert.True(r[0].Ef.abs().max().item<float>() < 1e-5);
    }

    [Theory]
    [InlineData(5, 3)]
    [InlineData(3, 5)]
    public void PowerSgd_RankAtLeastMinDimension_EveryStepOutputsTheMeanGradient(int rows, int cols)
    {
        // Given: W = 2, float64, r = 8 ≥ min(n, m), ε = 0; at step 0 both workers' gradients are multiples of one rank-1
        // matrix (so P has rank 1 and Gram–Schmidt drops columns), later steps are full rank
        // Then: since Σ_w e_w = 0 after every step, each step's output equals mean_w G_w (tall and wide matrix views)
        const int workers = 2, steps = 5;
        var config = new CompressionConfig { Kind = "powersgd", Mode = "static-low", Low = 8, High = 1, Epsilon = 0 };
        double[][] errors = InProcessCommunicator.Run(workers, comm =>
        {
            using var scope = torch.NewDisposeScope();
            using var g = new Generator((ulong)(40 + comm.Rank));
            using var shared = new Generator(39);
            Tensor u = torch.randn([rows, 1], dtype: ScalarType.Float64, generator: shared);
            Tensor v = torch.randn([1, cols], dtype: ScalarType.Float64, generator: shared);
            var p = torch.zeros([rows, cols], dtype: ScalarType.Float64, requires_grad: true);
            using var reducer = new GradientReducer([("w", p)], config, comm, 6);
            var err = new double[steps];
            for (int t = 0; t < steps; t++)
            {
                Tensor grad = t == 0 ? u.mm(v).mul(comm.Rank + 1.0) : torch.randn([rows, cols], dtype: ScalarType.Float64, generator: g);
                Tensor mean = grad.clone();
                comm.AllReduceSum(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(mean.bytes));
                mean.div_(workers);
                p.grad = grad;
                reducer.Reduce(t);
                err[t] = (p.grad! - mean).abs().max().item<double>();
            }
            return err;
        });

        Assert.All(errors.SelectMany(e => e), e => Assert.True(e < 1e-12, $"step error {e}"));
    }

    [Theory]
    [InlineData("powersgd")]
    [InlineData("topk")]
    public void ErrorFeedback_TwentySteps_Telescopes(string kind)
    {
        // Check 2: Σ_t out_t + mean_w e_w(T) = Σ_t mean_w g_w,t (relative error < 1e-5), W = 3, T = 20
        const int workers = 3, steps = 20;
        var config = kind == "powersgd" ? PowerSgdConfig(1) : new CompressionConfig { Kind = "topk", Mode = "static-low", Low = 0.1, High = 0.02 };
        double[] rel = InProcessCommunicator.Run(workers, comm =>
        {
            using var scope = torch.NewDisposeScope();
            using var g = new Generator((ulong)(100 + comm.Rank));
            var p = torch.zeros([12, 9], requires_grad: true);
            using var reducer = new GradientReducer([("w", p)], config, comm, 4);
            Tensor outSum = torch.zeros(12, 9, dtype: ScalarType.Float64), gradSum = torch.zeros(12, 9, dtype: ScalarType.Float64);
            for (int t = 0; t < steps; t++)
            {
                Tensor grad = torch.randn([12, 9], generator: g);
                Tensor mean = grad.clone();
                comm.AllReduceSum(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(mean.bytes));
                gradSum += mean.to(ScalarType.Float64) / workers;
                p.grad = grad;
                reducer.Reduce(t);
                outSum += p.grad!.to(ScalarType.Float64);
            }
            Tensor ef = reducer.ErrorFeedback(0)!.clone();
            comm.AllReduceSum(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(ef.bytes));
            Tensor lhs = outSum + (ef.to(ScalarType.Float64) / workers);
            return (lhs - gradSum).norm().item<double>() / gradSum.norm().item<double>();
        });

        Assert.All(rel, r => Assert.True(r < 1e-5, $"relative error {r}"));
    }

    [Fact]
    public void TopK_VectorWithTies_KeepsLargestMagnitudesLowerIndexFirst()
    {
        // |a| = [1, 3, 3, 0.5, 3, 2]: the three 3's tie; K = 2 keeps indices 1 and 2 (stable order), not 4.
        using var scope = torch.NewDisposeScope();
        Tensor a = torch.tensor(new float[] { 1, -3, 3, 0.5f, 3, -2 });

        Tensor idx = TopK.Select(a, 2);

        Assert.Equal([1L, 2L], idx.data<long>().ToArray());
        Assert.Equal(2, TopK.Count(0.4, 6));        // floor(0.4·6) = 2
        Assert.Equal(1, TopK.Count(0.01, 6));       // at least one entry
    }

    [Fact]
    public void TopK_TwoWorkers_AveragesScatteredValuesAndKeepsResidual()
    {
        // Hand-derived: W = 2, K = 1 of 4. Worker 0 a = [1, −5, 2, 0] keeps index 1 (−5); worker 1 a = [4, 0, 0, 1]
        // keeps index 0 (4). out = ([0, −5, 0, 0] + [4, 0, 0, 0]) / 2 = [2, −2.5, 0, 0]. e_0 = [1, 0, 2, 0].
        var config = new CompressionConfig { Kind = "topk", Mode = "static-low", Low = 0.25, High = 0.25 };
        float[][] grads = [[1, -5, 2, 0], [4, 0, 0, 1]];
        (float[] Out, float[] Ef)[] results = InProcessCommunicator.Run(2, comm =>
        {
            using var scope = torch.NewDisposeScope();
            var p = torch.zeros([2, 2], requires_grad: true);
            p.grad = torch.tensor(grads[comm.Rank], [2, 2]);
            using var reducer = new GradientReducer([("w", p)], config, comm, 0);
            long floats = reducer.Reduce(0).Floats;
            Assert.Equal(2 * 1 * 2, floats);         // 2·K·W
            return (p.grad!.data<float>().ToArray(), reducer.ErrorFeedback(0)!.data<float>().ToArray());
        });

        Assert.Equal([2f, -2.5f, 0f, 0f], results[0].Out);
        Assert.Equal(results[0].Out, results[1].Out);
        Assert.Equal([1f, 0f, 2f, 0f], results[0].Ef);
        Assert.Equal([0f, 0f, 0f, 1f], results[1].Ef);
    }

    [Fact]
    public void TopK_ReleasedCodeVariant_SumsWithoutErrorFeedback()
    {
        var config = new CompressionConfig { Kind = "topk", Mode = "static-low", Low = 0.25, High = 0.25, TopkAverage = false, TopkErrorFeedback = false };
        float[][] grads = [[1, -5, 2, 0], [4, 0, 0, 1]];
        float[][] outs = InProcessCommunicator.Run(2, comm =>
        {
            using var scope = torch.NewDisposeScope();
            var p = torch.zeros([2, 2], requires_grad: true);
            p.grad = torch.tensor(grads[comm.Rank], [2, 2]);
            using var reducer = new GradientReducer([("w", p)], config, comm, 0);
            reducer.Reduce(0);
            Assert.Null(reducer.ErrorFeedback(0));
            return p.grad!.data<float>().ToArray();
        });

        Assert.Equal([4f, -5f, 0f, 0f], outs[0]);
    }

    [Fact]
    public void Property_TopKSelection_KeepsExactlyKAndKeptPlusResidualIsInput()
    {
        Gen.Select(Gen.Int[1, 200], Gen.Double[0.01, 1.0], Gen.Int[0, 1000]).Sample((n, frac, seed) =>
        {
            using var scope = torch.NewDisposeScope();
            using var g = new Generator((ulong)seed);
            Tensor a = torch.randn([n], generator: g);
            long k = TopK.Count(frac, n);
            Tensor idx = TopK.Select(a, k);
            Tensor kept = torch.zeros(n).index_copy(0, idx, a.index_select(0, idx));
            Tensor residual = a.index_fill(0, idx, 0);
            return idx.shape[0] == k && idx.data<long>().ToArray().Distinct().Count() == k && torch.allclose(kept + residual, a, 0, 0)
                && (k == n || a.index_select(0, idx).abs().min().item<float>() >= residual.abs().max().item<float>());
        }, threads: 1, iter: 100);
    }
}
