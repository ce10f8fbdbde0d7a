namespace Tessera.Nn;

/// <summary>The GPT-2 backbone of the in-context models (looped-transformer spec §2.4): adds the learned position
/// table to an already embedded sequence, runs the pre-LN <see cref="Block"/>s and applies the final LayerNorm.
/// Input and output: (B, T, C) with T ≤ the table's rows. Position table and final LayerNorm are part of every call,
/// so a looped model adds the positions again on every iteration.</summary>
public sealed class GptBackbone : nn.Module<Tensor, Tensor>
{
    // state_dict keys: wpe.*, h.{i}.*, ln_f.*  (declared in call order)
    private readonly Embedding wpe;
    private readonly ModuleList<Block> h;
    private readonly LayerNorm ln_f;
    private readonly int _rows;

    /// <param name="cfg">Block shape; BlockSize is the number of position rows.</param>
    public GptBackbone(GptConfig cfg) : base(nameof(GptBackbone))
    {
        cfg.Validate();
        _rows = cfg.BlockSize;
        wpe = nn.Embedding(cfg.BlockSize, cfg.NEmbd);
        h = nn.ModuleList(Enumerable.Range(0, cfg.NLayer).Select(_ => new Block(cfg)).ToArray());
        ln_f = nn.LayerNorm(cfg.NEmbd, bias: cfg.Bias);
        RegisterComponents();
    }

    /// <summary>Elements of the position table (reported apart from the backbone, as the papers do).</summary>
    public long PositionParameters => wpe.weight!.numel();

    public override Tensor forward(Tensor u)
    {
        using var scope = torch.NewDisposeScope();
        long t = u.shape[1];
        if (t > _rows)
        {
            throw new ArgumentException($"Sequence of {t} tokens exceeds the {_rows} rows of the position table.", nameof(u));
        }
        var pos = torch.arange(0, t, dtype: ScalarType.Int64, device: u.device);   // (T)
        var x = u + wpe.call(pos);                                                   // (B, T, C)
        foreach (var block in h)
        {
            x = block.call(x);                                                       // (B, T, C)
        }
        return ln_f.call(x).MoveToOuterDisposeScope();                               // (B, T, C)
    }
}
