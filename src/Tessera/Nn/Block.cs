namespace Tessera.Nn;

/// <summary>One pre-LN transformer block: x + attn(ln_1(x)), then + mlp(ln_2(x)). Input and output: (B, T, C).
/// Public so that other models (e.g. a looped transformer) can stack or repeat blocks.</summary>
public sealed class Block : nn.Module<Tensor, Tensor>
{
    // state_dict keys: ln_1.*, attn.*, ln_2.*, mlp.*  (declared in call order)
    private readonly LayerNorm ln_1;
    private readonly CausalSelfAttention attn;
    private readonly LayerNorm ln_2;
    private readonly GptMlp mlp;

    /// <param name="cfg">Block shape; LayerNorms carry a bias only when <see cref="GptConfig.Bias"/> is true.</param>
    public Block(GptConfig cfg) : base(nameof(Block))
    {
        cfg.Validate();
        ln_1 = nn.LayerNorm(cfg.NEmbd, bias: cfg.Bias);
        attn = new CausalSelfAttention(cfg);
        ln_2 = nn.LayerNorm(cfg.NEmbd, bias: cfg.Bias);
        mlp = new GptMlp(cfg);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        x = x + attn.call(ln_1.call(x));                   // (B, T, C)
        x = x + mlp.call(ln_2.call(x));                    // (B, T, C)
        return x.MoveToOuterDisposeScope();
    }
}
