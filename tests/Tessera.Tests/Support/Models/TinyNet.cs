namespace Tessera.Tests.Support.Models;

/// <summary>A 2-layer net with dropout, so that tests see the effect of the global RNG.</summary>
public sealed class TinyNet : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1;
    private readonly Dropout drop;
    private readonly Linear fc2;

    public TinyNet(int inputs = 4, int hidden = 16, int outputs = 2) : base(nameof(TinyNet))
    {
        fc1 = nn.Linear(inputs, hidden);
        drop = nn.Dropout(0.2);
        fc2 = nn.Linear(hidden, outputs);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        return fc2.call(drop.call(nn.functional.relu(fc1.call(x)))).MoveToOuterDisposeScope();
    }
}
