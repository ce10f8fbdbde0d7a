namespace Tessera.Methods.Pruning;

/// <summary>
/// Edge-popup (Ramanujan et al. 2020; Gem-Miner spec §3): frozen weights, scores S ~ U(−1/√fan_in, 1/√fan_in), the
/// forward pass keeps the top fraction <c>keep</c> of |S| in every layer (or over all layers when global), and S is
/// trained through the identity straight-through estimator. Every layer ends with exactly the same density.
/// </summary>
public sealed class EdgePopup
{
    private EdgePopup(ScoredWeights scored) => Scored = scored;

    public ScoredWeights Scored { get; }

    public MaskSet Masks => Scored.Masks;

    /// <summary>The score parameters (give these to the optimizer, with weight decay as in the reference: 5e-4).</summary>
    public IReadOnlyList<Parameter> Scores => Scored.Scores;

    /// <summary>Attaches Edge-popup with kept fraction <paramref name="keep"/>: per layer the lowest
    /// ⌊(1 − keep)·n⌋ of |S| are masked (or the global equivalent); the current weights become the frozen W.</summary>
    public static EdgePopup Attach(MaskSet masks, double keep, bool global, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(masks);
        if (!(keep > 0 && keep <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(keep), keep, "The kept fraction must lie in (0, 1].");
        }
        using var scope = torch.NewDisposeScope();
        Tensor[] initial = masks.Layers.Select(l => PruningInit.KaimingUniform(l, generator)).ToArray();
        long total = masks.Total;
        Tensor[] MaskOf(IReadOnlyList<Tensor> scores)
        {
            Tensor[] magnitude = scores.Select(s => s.detach().abs()).ToArray();
            return global
                ? MaskSelection.GlobalTopK(magnitude, total - (long)Math.Floor((1 - keep) * total))
                : magnitude.Select(m => MaskSelection.GlobalTopK([m], m.numel() - (long)Math.Floor((1 - keep) * m.numel()))[0]).ToArray();
        }
        var popup = new EdgePopup(ScoredWeights.Attach(masks, initial, MaskOf));
        popup.Scored.Refresh();
        return popup;
    }

    /// <summary>Masks ← top-k of |S|, weights ← W ⊙ masks.</summary>
    public void Refresh() => Scored.Refresh();

    /// <summary>The straight-through gradient into the scores (call after backward, before the optimizer step).</summary>
    public void ScoreGradients() => Scored.ScoreGradients();

    /// <summary>State_dict keys Edge-popup added, to leave them out of a ticket.</summary>
    public IReadOnlyList<string> AddedKeys() => Scored.AddedKeys();
}
