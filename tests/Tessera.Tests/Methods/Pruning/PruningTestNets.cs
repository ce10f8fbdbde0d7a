using Tessera.Methods.Pruning;

namespace Tessera.Tests.Methods.Pruning;

/// <summary>Tiny bias-free networks for hand-checked pruning fixtures.</summary>
internal sealed class TwoLinear : nn.Module<Tensor, Tensor>
{
    // state_dict keys: fc1.weight, fc2.weight
    private readonly Linear fc1;
    private readonly Linear fc2;
    private readonly bool _relu;

    public TwoLinear(int input, int hidden, int output, bool relu = false, ScalarType dtype = ScalarType.Float32) : base(nameof(TwoLinear))
    {
        fc1 = nn.Linear(input, hidden, hasBias: false, dtype: dtype);
        fc2 = nn.Linear(hidden, output, hasBias: false, dtype: dtype);
        _relu = relu;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        Tensor h = fc1.call(x);
        if (_relu)
        {
            h = nn.functional.relu(h);
        }
        return fc2.call(h).MoveToOuterDisposeScope();
    }

    /// <summary>Sets both weights from row-major values.</summary>
    public void Set(double[] w1, double[] w2)
    {
        using var noGrad = torch.no_grad();
        foreach ((Parameter p, double[] v) in new[] { (fc1.weight!, w1), (fc2.weight!, w2) })
        {
            using Tensor t = torch.tensor(v, dtype: p.dtype).reshape(p.shape);
            p.copy_(t);
        }
    }
}

internal static class PruningFixtures
{
    /// <summary>Float64 central differences of a scalar function at x (each element perturbed by ±eps).</summary>
    public static double[] CentralDifferences(Func<Tensor, double> f, Tensor x, double eps = 1e-6)
    {
        using var scope = torch.NewDisposeScope();
        Tensor flat = x.detach().to(ScalarType.Float64).flatten().clone();
        var grad = new double[flat.shape[0]];
        for (int i = 0; i < grad.Length; i++)
        {
            Tensor plus = flat.clone(), minus = flat.clone();
            plus[i] = plus[i] + eps;
            minus[i] = minus[i] - eps;
            grad[i] = (f(plus.reshape(x.shape)) - f(minus.reshape(x.shape))) / (2 * eps);
        }
        return grad;
    }

    public static void AssertClose(double[] expected, double[] actual, double atol = 1e-5, double rtol = 1e-3)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= atol + (rtol * Math.Abs(expected[i])),
                $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }

    public static double[] Values(Tensor t) => t.detach().to(ScalarType.Float64).flatten().data<double>().ToArray();

    public static long Ones(IEnumerable<Tensor> masks)
    {
        using var scope = torch.NewDisposeScope();
        return masks.Sum(m => m.count_nonzero().item<long>());
    }
}
