using Tessera.Methods.BadMinima;
using Tessera.Nn;
using Tessera.Tests.Nn;

namespace Tessera.Tests.Methods.BadMinima;

public sealed class ComplexityTests
{
    private static void Set(nn.Module model, string key, params float[] values)
    {
        using var noGrad = torch.no_grad();
        Tensor p = model.state_dict()[key];
        p.copy_(torch.tensor(values).view(p.shape));
    }

    [Fact]
    public void ParameterNorm_HandFixture_IsSqrtOfSumOfSquares()
    {
        using var model = nn.Linear(2, 1);
        Set(model, "weight", 3, 4);
        Set(model, "bias", 12);

        Assert.Equal(13.0, Complexity.ParameterNorm(model), 12);   // sqrt(9 + 16 + 144)
    }

    [Fact]
    public void ParameterNorm_BatchNormModel_CountsGammaBetaButNotRunningStats()
    {
        // MlpBn(1, [1], 1): layers.0 (w 2, b 0), norms.0 (γ 1, β 0, running var 1 — a buffer), layers.1 (w 2, b 0)
        using var model = new MlpBn(1, [1], 1);
        Set(model, "layers.0.weight", 2);
        Set(model, "layers.0.bias", 0);
        Set(model, "layers.1.weight", 2);
        Set(model, "layers.1.bias", 0);

        Assert.Equal(3.0, Complexity.ParameterNorm(model), 12);    // sqrt(4 + 0 + 1 + 0 + 4 + 0)
    }

    [Fact]
    public void Distance_AfterMovingFourEntriesByOne_IsTwo()
    {
        using var scope = torch.NewDisposeScope();
        using var model = nn.Linear(3, 2);
        Tensor[] start = Complexity.Snapshot(model);
        try
        {
            Assert.Equal(0.0, Complexity.Distance(model, start));
            using (torch.no_grad())
            {
                model.state_dict()["weight"].add_(torch.tensor(new float[] { 1, 0, -1, 0, 1, 0 }).view(2, 3));
                model.state_dict()["bias"][0] += 1;
            }

            Assert.Equal(2.0, Complexity.Distance(model, start), 6);
        }
        finally
        {
            foreach (Tensor t in start)
            {
                t.Dispose();
            }
        }
    }

    [Fact]
    public void PathNorm_TwoLayerMlp_MatchesTheHandDerivedSumOverPaths()
    {
        // Given: 2 → 2 → 1 with W1 = [[1, −2], [3, 0.5]], b1 = [0.5, −1], W2 = [[2, −1]], b2 = [3]
        using var model = new Mlp(2, [2], 1);
        Set(model, "layers.0.weight", 1, -2, 3, 0.5f);
        Set(model, "layers.0.bias", 0.5f, -1);
        Set(model, "layers.1.weight", 2, -1);
        Set(model, "layers.1.bias", 3);

        // When / Then: with |θ|² and input 1: hidden_j = Σ_i W1_ji² + b1_j² = (1 + 4 + 0.25, 9 + 0.25 + 1) = (5.25, 10.25);
        // output = 4·5.25 + 1·10.25 + 9 = 40.25, so the ℓ2 path norm is sqrt(40.25); with |θ|: (3.5, 4.5) → 2·3.5 + 4.5 + 3 = 14.5.
        Assert.Equal(Math.Sqrt(40.25), Complexity.PathNorm(model, [2], 2), 5);
        Assert.Equal(14.5, Complexity.PathNorm(model, [2], 1), 5);
    }

    [Fact]
    public void PathNorm_FreshBatchNorm_ActsAsItsEvalModeAffineMap()
    {
        // Given: MlpBn 1 → 1 → 1 with fresh statistics (mean 0, var 1): BN(x) = x·γ²/sqrt(1 + 1e-5) + β² in eval mode
        using var model = new MlpBn(1, [1], 1);
        Set(model, "layers.0.weight", -3);
        Set(model, "layers.0.bias", 1);
        Set(model, "norms.0.weight", 2);
        Set(model, "norms.0.bias", 0.5f);
        Set(model, "layers.1.weight", 2);
        Set(model, "layers.1.bias", 1);

        // When / Then: hidden = 9 + 1 = 10 → BN 10·4/sqrt(1+1e-5) + 0.25 → output 4·that + 1
        double expected = 4 * (40 / Math.Sqrt(1 + 1e-5) + 0.25) + 1;
        Assert.Equal(Math.Sqrt(expected), Complexity.PathNorm(model, [1], 2), 4);
    }

    [Fact]
    public void PathNorm_RestoresParametersBitForBitAndTheTrainingMode()
    {
        using var scope = torch.NewDisposeScope();
        using var model = new MlpBn(12, [7, 5], 4);
        Tensor[] before = Complexity.Snapshot(model);
        model.train();

        double norm = Complexity.PathNorm(model, [3, 2, 2], 2);

        Assert.True(double.IsFinite(norm) && norm > 0);
        Assert.True(model.training);
        Parameter[] after = model.parameters().ToArray();
        for (int i = 0; i < after.Length; i++)
        {
            Assert.True(ModelChecks.Same(before[i], after[i]));
            before[i].Dispose();
        }
    }
}
