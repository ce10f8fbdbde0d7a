using Tessera.Methods.Pruning;
using Tessera.Nn;
using Tessera.Tests.Support.Models;
using static Tessera.Tests.Methods.Pruning.PruningFixtures;

namespace Tessera.Tests.Methods.Pruning;

public sealed class PruningScoresTests
{
    [Fact]
    public void SynFlowScores_TwoLayerLinearNet_MatchTheHandComputedFixture()
    {
        // Given: W1 = [[1, −2], [3, 0.5]], W2 = [[−1, 2], [0.5, −3]], input all ones.
        // By hand: h = |W1|·1 = [3, 3.5]; R = 1ᵀ|W2|h = 22; ∂R/∂W1[i, j] = colsum(|W2|)_i = [1.5, 5] per row;
        // ∂R/∂W2[k, i] = h_i. Scores (∂R/∂w)⊙|w|: W1 → [[1.5, 3], [15, 2.5]], W2 → [[3, 7], [1.5, 10.5]].
        using var scope = torch.NewDisposeScope();
        using var net = new TwoLinear(2, 2, 2);
        net.Set([1, -2, 3, 0.5], [-1, 2, 0.5, -3]);
        MaskSet masks = MaskSet.Attach(net);

        Tensor[] s = PruningScores.SynFlowScores(net, masks, [2], normalize: false);

        AssertClose([1.5, 3, 15, 2.5], Values(s[0]), atol: 1e-6, rtol: 0);
        AssertClose([3, 7, 1.5, 10.5], Values(s[1]), atol: 1e-6, rtol: 0);
        Assert.Equal([1f, -2f, 3f, 0.5f], masks.Layers[0].Weight.detach().flatten().data<float>().ToArray());  // signs restored
    }

    [Fact]
    public void SynFlowScores_Normalized_AreTheSameScoresUpToOneFactor()
    {
        using var scope = torch.NewDisposeScope();
        torch.random.manual_seed(2);
        using var net = new ConvFm(1, 8, 8, 10);
        MaskSet masks = MaskSet.Attach(net);

        double[] raw = MaskSelectionCat(PruningScores.SynFlowScores(net, masks, [1, 8, 8], normalize: false));
        double[] scaled = MaskSelectionCat(PruningScores.SynFlowScores(net, masks, [1, 8, 8], normalize: true));

        double factor = raw.Zip(scaled).Where(p => p.Second > 1e-12).Select(p => p.First / p.Second).Average();
        AssertClose(raw, scaled.Select(v => v * factor).ToArray(), atol: 1e-9 * raw.Max(), rtol: 1e-3);
    }

    [Fact]
    public void SynFlow_Iterative_ReachesTheDensity_AndCompounds()
    {
        using var scope = torch.NewDisposeScope();
        torch.random.manual_seed(3);
        using var net = new MlpBn(20, [15], 5, biasFree: true);
        MaskSet masks = MaskSet.Attach(net);

        double density = PruningScores.SynFlow(net, masks, [20], 0.1, iterations: 10);

        Assert.Equal(MaskSelection.KeepCount(masks.Total, 0.1), masks.Kept);
        Assert.Equal((double)masks.Kept / masks.Total, density, 12);
        Assert.All(masks.Densities(), d => Assert.True(d.Kept > 0, $"{d.Name} collapsed"));   // SynFlow avoids layer collapse
    }

    [Fact]
    public void Snip_OneLinearLayer_MatchesTheHandComputedFixture()
    {
        // x = [1, 2], y = 0, W = I: logits [1, 2], softmax [1 − σ(1), σ(1)], ∂L/∂z = [−σ(1), σ(1)], ∂L/∂W = ∂L/∂z ⊗ x,
        // |g ⊙ W| = [[σ(1), 0], [0, 2σ(1)]].
        using var scope = torch.NewDisposeScope();
        using var layer = nn.Linear(2, 2, hasBias: false);
        using (torch.no_grad())
        {
            layer.weight!.copy_(torch.eye(2));
        }
        MaskSet masks = MaskSet.Attach(layer);
        double sigma = 1 / (1 + Math.Exp(-1));

        Tensor[] s = PruningScores.Snip(layer, masks, [new LabelledBatch(torch.tensor(new float[] { 1, 2 }).reshape(1, 2), torch.tensor(new long[] { 0 }))]);

        AssertClose([sigma, 0, 0, 2 * sigma], Values(s[0]), atol: 1e-6, rtol: 0);
    }

    [Fact]
    public void Gradients_Float64_MatchCentralDifferences()
    {
        // SNIP's (and GraSP's) g = ∂L/∂w, checked on a ReLU net in float64 against central differences of L.
        using var scope = torch.NewDisposeScope();
        torch.random.manual_seed(4);
        using var net = new TwoLinear(3, 4, 3, relu: true, dtype: ScalarType.Float64);
        MaskSet masks = MaskSet.Attach(net);
        var batch = new LabelledBatch(torch.randn(5, 3, dtype: ScalarType.Float64), torch.tensor(new long[] { 0, 2, 1, 1, 0 }));

        Tensor[] g = PruningScores.Gradients(net, masks, [batch], temperature: 2);

        for (int layer = 0; layer < 2; layer++)
        {
            Parameter w = masks.Layers[layer].Weight;
            Tensor original = w.detach().clone();
            double Loss(Tensor value)
            {
                using var noGrad = torch.no_grad();
                w.copy_(value);
                double l = nn.functional.cross_entropy(net.call(batch.X) / 2, batch.Y).item<double>();
                w.copy_(original);
                return l;
            }
            AssertClose(CentralDifferences(Loss, original), Values(g[layer]));
        }
    }

    [Fact]
    public void HessianGradient_Float64_MatchesCentralDifferencesOfTheGradientAlongG()
    {
        // GraSP's H g: (∇L(w + εg) − ∇L(w − εg)) / 2ε, with g = ∇L(w), compared with double backprop.
        using var scope = torch.NewDisposeScope();
        torch.random.manual_seed(5);
        using var net = new TwoLinear(3, 4, 3, dtype: ScalarType.Float64);
        MaskSet masks = MaskSet.Attach(net);
        LabelledBatch[] batches = [new(torch.randn(6, 3, dtype: ScalarType.Float64), torch.tensor(new long[] { 0, 2, 1, 1, 0, 2 }))];
        const double T = 3, eps = 1e-6;

        Tensor[] hg = PruningScores.HessianGradient(net, masks, batches, T);

        Tensor[] g = PruningScores.Gradients(net, masks, batches, T);
        Tensor[] w0 = masks.Weights();
        Tensor[] At(double sign)
        {
            using (torch.no_grad())
            {
                for (int i = 0; i < 2; i++)
                {
                    masks.Layers[i].Weight.copy_(w0[i] + (sign * eps * g[i]));
                }
            }
            Tensor[] result = PruningScores.Gradients(net, masks, batches, T);
            using (torch.no_grad())
            {
                for (int i = 0; i < 2; i++)
                {
                    masks.Layers[i].Weight.copy_(w0[i]);
                }
            }
            return result;
        }
        Tensor[] plus = At(+1), minus = At(-1);
        for (int i = 0; i < 2; i++)
        {
            AssertClose(Values((plus[i] - minus[i]) / (2 * eps)), Values(hg[i]));
        }
        Tensor[] grasp = PruningScores.Grasp(net, masks, batches, T);
        AssertClose(Values(w0[0] * hg[0]), Values(grasp[0]), atol: 1e-12);
    }

    [Fact]
    public void Scores_LeaveBatchNormStatisticsModeAndWeightsAsTheyWere()
    {
        // Given: a model in eval mode whose running statistics moved
        using var scope = torch.NewDisposeScope();
        torch.random.manual_seed(6);
        using var net = new MlpBn(10, [8], 3, biasFree: true);
        MaskSet masks = MaskSet.Attach(net);
        Tensor x = torch.randn(16, 10), y = torch.randint(0, 3, [16]);
        using (torch.no_grad())
        {
            net.call(x);
        }
        net.eval();
        Tensor[] buffers = net.buffers().Select(b => b.clone()).ToArray();
        Tensor[] weights = masks.Weights();

        // When
        PruningScores.Snip(net, masks, [new LabelledBatch(x, y)]);
        PruningScores.Grasp(net, masks, [new LabelledBatch(x, y)]);
        PruningScores.SynFlowScores(net, masks, [10]);

        // Then
        Assert.False(net.training);
        Assert.All(net.buffers().Zip(buffers), p => Assert.True(p.First.eq(p.Second).all().item<bool>()));
        Assert.All(masks.Layers.Zip(weights), p => Assert.True(p.First.Weight.eq(p.Second).all().item<bool>()));
        Assert.All(masks.Layers, l => Assert.Null(l.Weight.grad));
    }

    [Fact]
    public void Magnitude_IsTheAbsoluteWeight()
    {
        using var scope = torch.NewDisposeScope();
        using var net = new TwoLinear(2, 2, 1);
        net.Set([-1, 2, -0.5, 0], [3, -4]);
        MaskSet masks = MaskSet.Attach(net);

        Tensor[] s = PruningScores.Magnitude(masks);

        Assert.Equal([1.0, 2, 0.5, 0], Values(s[0]));
        Assert.Equal([3.0, 4], Values(s[1]));
    }

    private static double[] MaskSelectionCat(Tensor[] scores) => scores.SelectMany(Values).ToArray();
}
