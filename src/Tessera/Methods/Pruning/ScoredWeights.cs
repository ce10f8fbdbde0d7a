namespace Tessera.Methods.Pruning;

/// <summary>
/// Score-based mask training for any model (the machinery shared by Gem-Miner and Edge-popup). Each masked layer gets
/// a trainable parameter <c>weight_scores</c> and a buffer <c>weight_orig</c> holding the frozen weights W. Before a
/// forward pass, <see cref="Refresh"/> computes the binary mask M from the scores and writes W ⊙ M into the layer's
/// own weight (in place), so the model's forward is unchanged. After backward, <see cref="ScoreGradients"/> applies
/// the identity straight-through estimator: ∂L/∂S = ∂L/∂M = (∂L/∂W_eff ⊙ W) ⊙ F, where F is an optional 0/1 factor
/// of the mask that is not trained (Gem-Miner's flags Q); the weight gradients are then cleared.
/// </summary>
public sealed class ScoredWeights
{
    /// <summary>Buffer holding the frozen weights W.</summary>
    public const string OrigName = "weight_orig";

    /// <summary>Trainable scores, one per weight.</summary>
    public const string ScoresName = "weight_scores";

    private readonly Func<IReadOnlyList<Tensor>, Tensor[]> _maskOf;

    private ScoredWeights(MaskSet masks, Parameter[] scores, Tensor[] orig, Func<IReadOnlyList<Tensor>, Tensor[]> maskOf)
    {
        (Masks, Scores, Orig, _maskOf) = (masks, scores, orig, maskOf);
    }

    public MaskSet Masks { get; }

    /// <summary>The score parameters, in layer order (give these, and only these, to the optimizer).</summary>
    public IReadOnlyList<Parameter> Scores { get; }

    /// <summary>The frozen weights W, in layer order.</summary>
    public IReadOnlyList<Tensor> Orig { get; }

    /// <summary>Optional extra 0/1 factor per layer multiplied into the straight-through gradient (null = none).</summary>
    public IReadOnlyList<Tensor>? GradientFactor { get; set; }

    /// <summary>Registers the scores (initial values from <paramref name="initialScores"/>, one per layer; this object
    /// copies them) and a copy of the current weights as <c>weight_orig</c>. <paramref name="maskOf"/> maps the score
    /// tensors to the binary masks (new tensors).</summary>
    public static ScoredWeights Attach(MaskSet masks, IReadOnlyList<Tensor> initialScores, Func<IReadOnlyList<Tensor>, Tensor[]> maskOf)
    {
        ArgumentNullException.ThrowIfNull(masks);
        if (initialScores.Count != masks.Layers.Count)
        {
            throw new ArgumentException($"Expected {masks.Layers.Count} score tensors, got {initialScores.Count}.", nameof(initialScores));
        }
        var scores = new Parameter[masks.Layers.Count];
        var orig = new Tensor[masks.Layers.Count];
        for (int i = 0; i < scores.Length; i++)
        {
            MaskedLayer l = masks.Layers[i];
            scores[i] = new Parameter(initialScores[i].detach().clone().to(l.Weight.dtype).DetachFromDisposeScope(), requires_grad: true);
            orig[i] = l.Weight.detach().clone().DetachFromDisposeScope();
            l.Module.register_parameter(ScoresName, scores[i]);
            l.Module.register_buffer(OrigName, orig[i]);
        }
        return new ScoredWeights(masks, scores, orig, maskOf);
    }

    /// <summary>Recomputes the masks from the scores, stores them in the mask buffers and writes W ⊙ M into the weights.</summary>
    public void Refresh()
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        Tensor[] m = _maskOf(Scores);
        for (int i = 0; i < m.Length; i++)
        {
            MaskedLayer l = Masks.Layers[i];
            l.Mask.copy_(m[i]);
            l.Weight.copy_(Orig[i] * l.Mask);
        }
    }

    /// <summary>Adds the straight-through gradient (∂L/∂W_eff ⊙ W ⊙ factor) to each score's gradient and clears the
    /// weight gradients. Layers without a weight gradient (no forward pass happened) are skipped.</summary>
    public void ScoreGradients()
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        for (int i = 0; i < Scores.Count; i++)
        {
            Parameter w = Masks.Layers[i].Weight;
            if (w.grad is not { } g)
            {
                continue;
            }
            Tensor ste = g * Orig[i];
            if (GradientFactor is not null)
            {
                ste = ste * GradientFactor[i];
            }
            if (Scores[i].grad is { } existing)
            {
                existing.add_(ste);
            }
            else
            {
                Scores[i].grad = ste.contiguous();     // autograd keeps its own reference; the wrapper dies with the scope
            }
            g.zero_();
        }
    }

    /// <summary>Writes the frozen weights W back into the layers' weights (the masks are left as they are).</summary>
    public void RestoreWeights()
    {
        using var noGrad = torch.no_grad();
        for (int i = 0; i < Orig.Count; i++)
        {
            Masks.Layers[i].Weight.copy_(Orig[i]);
        }
    }

    /// <summary>The state_dict keys this object added to the model (to leave them out of a ticket's checkpoint).</summary>
    public IReadOnlyList<string> AddedKeys(params string[] extra)
    {
        string[] names = [ScoresName, OrigName, .. extra];
        return Masks.Layers.SelectMany(l => names.Select(n => l.Name[..^"weight".Length] + n)).ToArray();
    }
}
