namespace Tessera.Tests.Support;

/// <summary>Compares autograd gradients with float64 central differences (PyTorch gradcheck defaults).</summary>
public static class GradCheck
{
    /// <summary>Casts <paramref name="x"/> to float64, backpropagates <c>f(x).sum()</c> and checks every element of the
    /// gradient against (f(x + eps·e_i) − f(x − eps·e_i)) / 2eps.</summary>
    public static void Assert(Func<Tensor, Tensor> f, Tensor x, double eps = 1e-6, double atol = 1e-5, double rtol = 1e-3)
    {
        using var scope = torch.NewDisposeScope();
        var input = x.to(ScalarType.Float64).detach().clone().requires_grad_(true);
        f(input).sum().backward();
        double[] analytic = input.grad!.contiguous().data<double>().ToArray();
        double[] values = input.detach().contiguous().data<double>().ToArray();
        using var noGrad = torch.no_grad();
        for (int i = 0; i < values.Length; i++)
        {
            double Eval(double delta)
            {
                using var inner = torch.NewDisposeScope();
                double[] shifted = (double[])values.Clone();
                shifted[i] += delta;
                return f(torch.tensor(shifted, x.shape)).sum().item<double>();
            }
            double numeric = (Eval(eps) - Eval(-eps)) / (2 * eps);
            Xunit.Assert.True(Math.Abs(analytic[i] - numeric) <= atol + (rtol * Math.Abs(numeric)),
                $"element {i}: autograd {analytic[i]:G9}, central difference {numeric:G9}");
        }
    }
}
