namespace Tessera.Nn;

/// <summary>The looped transformer (Yang et al. 2024; spec §2.5 <c>Looped</c>): the prompt embedding P = read_in(prompt)
/// is computed once, then one backbone M (usually a single block) is applied repeatedly with input injection,
/// Y_t = M(Y_{t−1} + P), Y_0 = 0, and each iteration's state is read out at the x tokens. The carried state is the
/// backbone's final-LayerNorm output; positions are added inside M, i.e. on every iteration.
/// Same state_dict keys as <see cref="IclTransformer"/>, so a one-iteration looped model equals a standard model of
/// the same depth with the same weights.</summary>
public sealed class LoopedTransformer : nn.Module<Tensor, Tensor, Tensor>
{
    // state_dict keys: read_in.*, backbone.*, read_out.*  (declared in call order)
    private readonly Linear read_in;
    private readonly GptBackbone backbone;
    private readonly Linear read_out;

    /// <param name="cfg">Model shape (NLayer is the depth of the looped block stack, 1 in the paper).</param>
    /// <param name="loops">Iterations <c>forward</c> runs (the trained b).</param>
    public LoopedTransformer(IclConfig cfg, int loops) : base(nameof(LoopedTransformer))
    {
        cfg.Validate();
        if (loops < 1)
        {
            throw new InputException($"looped.loops must be at least 1 (got {loops}).");
        }
        Config = cfg;
        Loops = loops;
        read_in = nn.Linear(cfg.NDims, cfg.NEmbd);
        backbone = new GptBackbone(cfg.Blocks);
        read_out = nn.Linear(cfg.NEmbd, 1);
        RegisterComponents();
    }

    public IclConfig Config { get; }

    /// <summary>Iterations run by <c>forward</c>.</summary>
    public int Loops { get; }

    /// <summary>Predictions (B, n) of the last of <see cref="Loops"/> iterations.</summary>
    public override Tensor forward(Tensor xs, Tensor ys)
    {
        using var scope = torch.NewDisposeScope();
        Tensor[] preds = Loop(xs, ys, Loops, Loops - 1);
        return preds[^1].MoveToOuterDisposeScope();
    }

    /// <summary>Runs <paramref name="loops"/> iterations and returns the predictions (B, n) of iterations
    /// <paramref name="start"/>+1..<paramref name="loops"/> (1-based), i.e. <c>loops − start</c> tensors. The first
    /// <paramref name="start"/> iterations run without autograd (truncated back-propagation: the state entering
    /// iteration start+1 is a constant, the read-in still gets gradients through every kept iteration). Each
    /// iteration's temporaries are freed as it ends, so memory does not grow with the no-grad prefix.</summary>
    public Tensor[] Loop(Tensor xs, Tensor ys, int loops, int start)
    {
        if (loops < 1 || start < 0 || start >= loops)
        {
            throw new ArgumentException($"Need 0 <= start < loops (got start {start}, loops {loops}).");
        }
        using var scope = torch.NewDisposeScope();
        var e = Embed(xs, ys);                                                   // (B, 2n, C), P
        var z = torch.zeros_like(e);                                             // Y_0 = 0
        var preds = new List<Tensor>(loops - start);
        for (int t = 0; t < loops; t++)
        {
            Tensor next;
            using (var iteration = torch.NewDisposeScope())
            {
                if (t < start)
                {
                    using var noGrad = torch.no_grad();
                    next = Step(z, e).MoveToOuterDisposeScope();
                }
                else
                {
                    next = Step(z, e);
                    preds.Add(Predict(next).MoveToOuterDisposeScope());
                    next = next.MoveToOuterDisposeScope();
                }
            }
            z.Dispose();
            z = next;
        }
        foreach (var p in preds)
        {
            p.MoveToOuterDisposeScope();
        }
        return preds.ToArray();
    }

    /// <summary>The prompt embedding P = read_in(combine(xs, ys)): (B, n, d), (B, n) → (B, 2n, C).</summary>
    public Tensor Embed(Tensor xs, Tensor ys)
    {
        using var scope = torch.NewDisposeScope();
        return read_in.call(InContextPrompt.Combine(xs, ys)).MoveToOuterDisposeScope();
    }

    /// <summary>One iteration with input injection: M(z + p), (B, 2n, C) → (B, 2n, C).</summary>
    public Tensor Step(Tensor z, Tensor p)
    {
        using var scope = torch.NewDisposeScope();
        return backbone.call(z + p).MoveToOuterDisposeScope();
    }

    /// <summary>The read-out at the x tokens: state (B, 2n, C) → predictions (B, n).</summary>
    public Tensor Predict(Tensor z)
    {
        using var scope = torch.NewDisposeScope();
        return read_out.call(InContextPrompt.XTokens(z)).squeeze(-1).MoveToOuterDisposeScope();
    }

    /// <summary>GPT-2 init of the backbone; the residual scaling uses the stack's own depth (1 for one block),
    /// not the number of loops (spec pitfall 13).</summary>
    public void InitBackbone(Generator? generator = null) => Init.Gpt2(backbone, Config.NLayer, generator);

    /// <summary>Parameter elements: the backbone without its position table (the papers' count), and everything.</summary>
    public (long Backbone, long Total) ParameterCounts() => IclCounts.Of(this, backbone);
}
