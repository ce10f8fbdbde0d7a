namespace Tessera.Tests.Support.Models;

/// <summary>A tiny bias-free two-layer network for hand-checked pruning fixtures.</summary>
public sealed class TwoLinear : nn.Module<Tensor, Tensor>
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
