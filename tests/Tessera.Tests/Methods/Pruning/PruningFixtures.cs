using Tessera.Methods.Pruning;

namespace Tessera.Tests.Methods.Pruning;

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
