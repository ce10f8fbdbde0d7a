namespace Tessera.Nn;

/// <summary>The position-wise feed-forward part of a GPT block: d → 4d → GELU (tanh approximation) → d.
/// Input and output: (B, T, C).</summary>
public sealed class GptMlp : nn.Module<Tensor, Tensor>
{
    // state_dict keys: c_fc.*, c_proj.*  (declared in call order)
    private readonly Linear c_fc;
    private readonly GELU gelu;
    private readonly Linear c_proj;
    private readonly Dropout dropout;

    /// <param name="cfg">Uses NEmbd, Dropout and Bias; validated here.</param>
    public GptMlp(GptConfig cfg) : base(nameof(GptMlp))
    {
        cfg.Validate();
        c_fc = nn.Linear(cfg.NEmbd, 4 * cfg.NEmbd, hasBias: cfg.Bias);
        gelu = nn.GELU(GELU.Approximate.tanh);
        c_proj = nn.Linear(4 * cfg.NEmbd, cfg.NEmbd, hasBias: cfg.Bias);
        dropout = nn.Dropout(cfg.Dropout);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var h = gelu.call(c_fc.call(x));                                  // (B, T, 4C)
        return dropout.call(c_proj.call(h)).MoveToOuterDisposeScope();   // (B, T, C)
    }
}
