using Tessera.Methods.FedMA;
using Tessera.Nn;

namespace Tessera.Tests.Methods.FedMA;

public sealed class LocalTrainingTests : IDisposable
{
    private readonly int _threads = torch.get_num_threads();

    public LocalTrainingTests() => torch.set_num_threads(1);

    public void Dispose() => torch.set_num_threads(_threads);

    private static ClientData Blobs(int n, long seed)
    {
        using var g = new Generator((ulong)seed);
        Tensor y = torch.randint(0, 10, [n], generator: g);
        Tensor x = torch.randn([n, 1, 28, 28], generator: g) * 0.3 + y.to(ScalarType.Float32).view(n, 1, 1, 1) / 5;
        return new ClientData(x, y, 10);
    }

    [Fact]
    public void Run_FrozenLayers_DoNotMove_EvenWithMomentumAndWeightDecay()
    {
        // Pitfall 9: layers ≤ l must be bit-identical after retraining the layers above them.
        using ClientData data = Blobs(96, 1);
        torch.random.manual_seed(1);
        using var model = new FedLeNet(1, 28, 28, 10, [4, 8, 16]);
        ArrayRecord before = ModelWeights.Get(model);
        var spec = new LocalTrainSpec(2, 0.05, 0.9, 1e-2, 32) { Trainable = ["fc1", "fc2"] };

        LocalTraining.Run(model, data, spec, 3);

        ArrayRecord after = ModelWeights.Get(model);
        foreach (string name in new[] { "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias" })
        {
            Assert.Equal(before[name].F, after[name].F);
        }
        Assert.NotEqual(before["fc1.weight"].F, after["fc1.weight"].F);
        Assert.All(model.parameters(), p => Assert.True(p.requires_grad));   // unfrozen again for the next job
    }

    [Fact]
    public void Run_TinyProblem_LossDecreases()
    {
        using ClientData data = Blobs(128, 2);
        torch.random.manual_seed(2);
        using var model = new FedLeNet(1, 28, 28, 10, [4, 8, 16]);

        double first = LocalTraining.Run(model, data, new LocalTrainSpec(1, 0.05, 0.9, 0, 32), 1);
        double later = LocalTraining.Run(model, data, new LocalTrainSpec(5, 0.05, 0.9, 0, 32), 2);

        Assert.True(later < first, $"{first} -> {later}");
    }

    [Fact]
    public void Run_WithProximalTerm_TrainsAndStaysCloserToTheStart()
    {
        using ClientData data = Blobs(96, 3);
        torch.random.manual_seed(3);
        using var a = new FedLeNet(1, 28, 28, 10, [4, 8, 16]);
        torch.random.manual_seed(3);
        using var b = new FedLeNet(1, 28, 28, 10, [4, 8, 16]);
        ArrayRecord start = ModelWeights.Get(a);

        double plain = LocalTraining.Run(a, data, new LocalTrainSpec(2, 0.05, 0.9, 0, 32), 4);
        double prox = LocalTraining.Run(b, data, new LocalTrainSpec(2, 0.05, 0.9, 0, 32, ProximalMu: 1.0), 4);

        Assert.True(double.IsFinite(plain) && double.IsFinite(prox));
        double Distance(nn.Module m) => ModelWeights.Get(m).Zip(start).Sum(t => t.First.F.Zip(t.Second.F).Sum(p => (double)(p.First - p.Second) * (p.First - p.Second)));
        Assert.True(Distance(b) < Distance(a));
    }

    [Fact]
    public void Proximal_GradientMatchesCentralDifferences()
    {
        // GradCheck in float64 (B12): d/dw (μ/2)·Σ‖w − a‖² = μ·(w − a).
        using var scope = torch.NewDisposeScope();
        using var g = new Generator(5);
        Tensor w1 = torch.randn([3, 2], ScalarType.Float64, generator: g).requires_grad_(true);
        Tensor w2 = torch.randn([4], ScalarType.Float64, generator: g).requires_grad_(true);
        Tensor a1 = torch.randn([3, 2], ScalarType.Float64, generator: g), a2 = torch.randn([4], ScalarType.Float64, generator: g);
        const double mu = 0.37, eps = 1e-6;

        LocalTraining.Proximal([w1, w2], [a1, a2], mu).backward();

        foreach ((Tensor w, Tensor anchor, Tensor other, Tensor otherAnchor, bool first) in new[] { (w1, a1, w2, a2, true), (w2, a2, w1, a1, false) })
        {
            double[] analytic = w.grad!.data<double>().ToArray();
            double[] values = w.detach().data<double>().ToArray();
            for (int i = 0; i < values.Length; i++)
            {
                double F(double delta)
                {
                    using var inner = torch.NewDisposeScope();
                    double[] shifted = (double[])values.Clone();
                    shifted[i] += delta;
                    Tensor s = torch.tensor(shifted, w.shape, ScalarType.Float64);
                    Tensor[] ws = first ? [s, other.detach()] : [other.detach(), s];
                    Tensor[] anchors = first ? [anchor, otherAnchor] : [otherAnchor, anchor];
                    return LocalTraining.Proximal(ws, anchors, mu).item<double>();
                }
                double numeric = (F(eps) - F(-eps)) / (2 * eps);
                Assert.True(Math.Abs(numeric - analytic[i]) <= 1e-5 + (1e-3 * Math.Abs(numeric)), $"{numeric} vs {analytic[i]}");
            }
        }
    }

    [Fact]
    public void Spec_ConfigRoundTrip_KeepsEveryField()
    {
        var spec = new LocalTrainSpec(3, 0.02, 0.8, 1e-4, 50, 0.001) { Trainable = ["fc1", "fc2"] };

        LocalTrainSpec back = LocalTrainSpec.FromConfig(spec.ToConfig());

        Assert.Equal(spec.Epochs, back.Epochs);
        Assert.Equal(spec.Lr, back.Lr);
        Assert.Equal(spec.Momentum, back.Momentum);
        Assert.Equal(spec.WeightDecay, back.WeightDecay);
        Assert.Equal(spec.BatchSize, back.BatchSize);
        Assert.Equal(spec.ProximalMu, back.ProximalMu);
        Assert.Equal(spec.Trainable, back.Trainable);
        Assert.Null(LocalTrainSpec.FromConfig((spec with { Trainable = null }).ToConfig()).Trainable);
    }
}
