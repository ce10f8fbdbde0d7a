namespace Tessera.Nn;

/// <summary>Causal multi-head self-attention (GPT-2 layout). Input and output: (B, T, C).</summary>
public sealed class CausalSelfAttention : nn.Module<Tensor, Tensor>
{
    // state_dict keys: c_attn.*, c_proj.*  (declared in call order)
    private readonly Linear c_attn;
    private readonly Linear c_proj;
    private readonly Dropout resid_dropout;
    private readonly int _nHead;
    private readonly double _attnDropout;

    /// <param name="cfg">Uses NEmbd, NHead, Dropout and Bias; validated here.</param>
    public CausalSelfAttention(GptConfig cfg) : base(nameof(CausalSelfAttention))
    {
        cfg.Validate();
        c_attn = nn.Linear(cfg.NEmbd, 3 * cfg.NEmbd, hasBias: cfg.Bias);
        c_proj = nn.Linear(cfg.NEmbd, cfg.NEmbd, hasBias: cfg.Bias);
        resid_dropout = nn.Dropout(cfg.Dropout);
        (_nHead, _attnDropout) = (cfg.NHead, cfg.Dropout);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        long b = x.shape[0], t = x.shape[1], c = x.shape[2];
        var qkv = c_attn.call(x).split(c, dim: 2);                                    // 3 × (B, T, C)
        Tensor Heads(Tensor z) => z.view(b, t, _nHead, c / _nHead).transpose(1, 2);  // (B, nh, T, hs)
        var y = nn.functional.scaled_dot_product_attention(Heads(qkv[0]), Heads(qkv[1]), Heads(qkv[2]),
            p: training ? _attnDropout : 0.0, is_casual: true);                       // (B, nh, T, hs)
        y = y.transpose(1, 2).contiguous().view(b, t, c);                             // (B, T, C)
        return resid_dropout.call(c_proj.call(y)).MoveToOuterDisposeScope();          // (B, T, C)
    }
}
