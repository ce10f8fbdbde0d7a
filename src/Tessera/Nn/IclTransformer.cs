namespace Tessera.Nn;

/// <summary>The standard in-context regression transformer (Garg et al. 2022; looped-transformer spec §2.5
/// <c>Standard</c>): linear read-in of the interleaved prompt, a GPT-2 backbone of NLayer blocks, a linear read-out.
/// Input: xs (B, n, d) and ys (B, n). Output: predictions (B, n), where column i has seen the pairs 0..i−1 and x_i.
/// Read-in and read-out keep TorchSharp's default init; call <see cref="InitBackbone"/> for GPT-2's on the backbone.</summary>
public sealed class IclTransformer : nn.Module<Tensor, Tensor, Tensor>
{
    // state_dict keys: read_in.*, backbone.*, read_out.*  (declared in call order)
    private readonly Linear read_in;
    private readonly GptBackbone backbone;
    private readonly Linear read_out;

    /// <param name="cfg">Model shape; validated here (throws <see cref="InputException"/>).</param>
    public IclTransformer(IclConfig cfg) : base(nameof(IclTransformer))
    {
        cfg.Validate();
        Config = cfg;
        read_in = nn.Linear(cfg.NDims, cfg.NEmbd);
        backbone = new GptBackbone(cfg.Blocks);
        read_out = nn.Linear(cfg.NEmbd, 1);
        RegisterComponents();
    }

    public IclConfig Config { get; }

    public override Tensor forward(Tensor xs, Tensor ys)
    {
        using var scope = torch.NewDisposeScope();
        var e = read_in.call(InContextPrompt.Combine(xs, ys));                   // (B, 2n, C)
        var z = backbone.call(e);                                                // (B, 2n, C)
        var preds = read_out.call(InContextPrompt.XTokens(z)).squeeze(-1);       // (B, n)
        return preds.MoveToOuterDisposeScope();
    }

    /// <summary>GPT-2 init of the backbone (residual projections scaled with this model's NLayer).</summary>
    public void InitBackbone(Generator? generator = null) => Init.Gpt2(backbone, Config.NLayer, generator);

    /// <summary>Parameter elements: the backbone without its position table (the papers' count), and everything.</summary>
    public (long Backbone, long Total) ParameterCounts() => IclCounts.Of(this, backbone);
}

/// <summary>Parameter counts shared by the in-context models.</summary>
internal static class IclCounts
{
    public static (long Backbone, long Total) Of(nn.Module model, GptBackbone backbone)
    {
        long total = model.parameters().Sum(p => p.numel());
        long backboneOnly = backbone.parameters().Sum(p => p.numel()) - backbone.PositionParameters;
        return (backboneOnly, total);
    }
}
