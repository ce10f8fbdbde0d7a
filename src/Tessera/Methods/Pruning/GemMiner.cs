using Tessera.Training;

namespace Tessera.Methods.Pruning;

/// <summary>When Gem-Miner's iterative freezing fires (spec §2.4).</summary>
public enum FreezeSchedule
{
    /// <summary>The reference code (what produced the paper's numbers): N = ⌊(E−1)/T⌋ events after 0-based epochs
    /// T, 2T, …, N·T, each freezing 1 − s^(1/N) of the active weights.</summary>
    Code,

    /// <summary>The paper's Algorithm 1: ⌊E/T⌋ events after 1-based epochs T, 2T, …, each freezing 1 − s^(T/E).</summary>
    Paper,
}

/// <summary>The sparsity regulariser on the scores.</summary>
public enum ScoreRegularizer
{
    /// <summary>λ·Σp² (squared L2, summed over every score, frozen ones included): what all reported results use.</summary>
    L2,

    /// <summary>λ·Σ|p| (the paper reports it behaved about the same in preliminary runs).</summary>
    L1,
}

/// <summary>
/// Gem-Miner (Sreenivasan et al., NeurIPS 2022; spec §2): every weight W of a randomly initialised network gets a
/// score p ∈ [0, 1] (U[0, 1] at the start) and a flag q ∈ {0, 1} (1 at the start). Forward passes use
/// W ⊙ H(p) ⊙ q with H(p) = 1[p &gt; 0.5]; the scores are trained through the identity straight-through estimator
/// (∂L/∂p = ∂L/∂W_eff ⊙ W ⊙ q) with a λ-penalty, projected back onto [0, 1] after every step, and at scheduled epochs
/// the globally lowest-scoring active weights are frozen (q = 0) so that the flag density decays geometrically to the
/// target. The weights themselves are never trained. Flags live in the buffer <c>weight_flags</c>.
/// </summary>
public sealed class GemMiner
{
    /// <summary>Buffer holding the flags Q.</summary>
    public const string FlagsName = "weight_flags";

    private readonly Tensor[] _flags;

    private GemMiner(ScoredWeights scored, Tensor[] flags)
    {
        (Scored, _flags) = (scored, flags);
        scored.GradientFactor = flags;
    }

    /// <summary>Scores, frozen weights and the mask machinery.</summary>
    public ScoredWeights Scored { get; }

    public MaskSet Masks => Scored.Masks;

    /// <summary>The score parameters p (give these to the optimizer).</summary>
    public IReadOnlyList<Parameter> Scores => Scored.Scores;

    /// <summary>The flags Q (1 = active, 0 = frozen), in layer order.</summary>
    public IReadOnlyList<Tensor> Flags => _flags;

    /// <summary>Attaches Gem-Miner to masked layers: scores ~ U[0, 1] from <paramref name="generator"/>, flags 1, the
    /// current weights become the frozen W. The masks then hold H(p) ⊙ q and the weights W ⊙ H(p) ⊙ q.</summary>
    public static GemMiner Attach(MaskSet masks, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(masks);
        using var scope = torch.NewDisposeScope();
        Tensor[] initial = masks.Layers.Select(l => torch.rand(l.Weight.shape, dtype: l.Weight.dtype, generator: generator)).ToArray();
        var flags = new Tensor[masks.Layers.Count];
        for (int i = 0; i < flags.Length; i++)
        {
            flags[i] = torch.ones_like(masks.Layers[i].Weight).DetachFromDisposeScope();
            masks.Layers[i].Module.register_buffer(FlagsName, flags[i]);
        }
        ScoredWeights scored = ScoredWeights.Attach(masks, initial, s => s.Select((p, i) => p.gt(0.5).to(p.dtype).mul_(flags[i])).ToArray());
        var miner = new GemMiner(scored, flags);
        miner.Refresh();
        return miner;
    }

    /// <summary>Projection: clamps every score to [0, 1] in place (no autograd).</summary>
    public void Project()
    {
        using var noGrad = torch.no_grad();
        foreach (Parameter p in Scores)
        {
            p.clamp_(0.0, 1.0);
        }
    }

    /// <summary>Masks ← H(p) ⊙ q and weights ← W ⊙ masks.</summary>
    public void Refresh() => Scored.Refresh();

    /// <summary>The straight-through gradient into the scores (call after backward, before the optimizer step).</summary>
    public void ScoreGradients() => Scored.ScoreGradients();

    /// <summary>The regulariser as a differentiable scalar: λ·Σp² (L2) or λ·Σ|p| (L1) over every score tensor.</summary>
    public Tensor Penalty(double lambda, ScoreRegularizer kind = ScoreRegularizer.L2)
    {
        using var scope = torch.NewDisposeScope();
        Tensor total = Scores.Select(p => kind == ScoreRegularizer.L2 ? p.square().sum() : p.abs().sum()).Aggregate((a, b) => a + b);
        return total.mul(lambda).MoveToOuterDisposeScope();
    }

    /// <summary>Fraction of prunable weights that are still active (q = 1).</summary>
    public double FlagDensity => CountOnes(_flags) / (double)Masks.Total;

    /// <summary>Fraction of prunable weights the forward pass uses: Σ H(p) ⊙ q / N.</summary>
    public double EffectiveDensity
    {
        get
        {
            using var scope = torch.NewDisposeScope();
            return CountOnes(Scores.Select((p, i) => p.gt(0.5).to(p.dtype).mul(_flags[i]))) / (double)Masks.Total;
        }
    }

    /// <summary>FREEZE(r) of spec §2.4, global over all layers: among the active scores A, k = ⌈r·|A|⌉ and τ = the k-th
    /// smallest; then q ← q ⊙ 1[p &gt; τ] (strict, so every score tied at τ is frozen too). With
    /// <paramref name="top"/> (the score-inversion sanity check) τ is the k-th largest and q ← q ⊙ 1[p &lt; τ].
    /// Refreshes the masks and returns the number of weights frozen.</summary>
    public long Freeze(double fraction, bool top = false)
    {
        if (!(fraction >= 0 && fraction <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The freezing fraction must lie in [0, 1].");
        }
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        long before = CountOnes(_flags);
        Tensor active = torch.cat(Scores.Select((p, i) => p.detach().flatten().masked_select(_flags[i].flatten().ne(0))).ToArray());
        long k = (long)Math.Ceiling(fraction * active.shape[0]);
        if (k == 0)
        {
            return 0;
        }
        Tensor sorted = active.sort(descending: top).Values;
        Tensor tau = sorted[k - 1];                        // a 0-d tensor of the scores' dtype: exact comparisons
        for (int i = 0; i < _flags.Length; i++)
        {
            Tensor keep = top ? Scores[i].detach().lt(tau) : Scores[i].detach().gt(tau);
            _flags[i].mul_(keep.to(_flags[i].dtype));
        }
        Refresh();
        return before - CountOnes(_flags);
    }

    /// <summary>The fine-tuning mask (spec §2.5): q when <paramref name="unflag"/> (scores reset to 1: weights the
    /// regulariser switched off but freezing did not are revived), else H(p) ⊙ q. New tensors.</summary>
    public Tensor[] FinalMasks(bool unflag)
    {
        using var scope = torch.NewDisposeScope();
        Tensor[] m = unflag
            ? _flags.Select(q => q.clone()).ToArray()
            : Scores.Select((p, i) => p.detach().gt(0.5).to(p.dtype).mul(_flags[i])).ToArray();
        return m.Select(t => t.MoveToOuterDisposeScope()).ToArray();
    }

    /// <summary>The loss of one mining step (spec §2.4): project the scores onto [0, 1], refresh the masks to H(p) ⊙ q
    /// (so this forward pass uses exactly them), then the task loss plus the regulariser. Call inside the step's scope.</summary>
    public Tensor StepLoss(Func<Tensor> taskLoss, double lambda, ScoreRegularizer regularizer = ScoreRegularizer.L2)
    {
        ArgumentNullException.ThrowIfNull(taskLoss);
        Project();
        Refresh();
        return taskLoss() + Penalty(lambda, regularizer);
    }

    /// <summary>Wires a <see cref="Trainer"/> whose optimizer holds <see cref="Scores"/> for mining: after backward the
    /// straight-through gradient goes into the scores, after the step the scores are projected back onto [0, 1].</summary>
    public void Wire(Trainer trainer)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        trainer.AfterBackward = _ => ScoreGradients();
        trainer.AfterStep = _ => Project();
    }

    /// <summary>State_dict keys Gem-Miner added (scores, frozen weights, flags), to leave them out of a ticket.</summary>
    public IReadOnlyList<string> AddedKeys() => Scored.AddedKeys(FlagsName);

    /// <summary>0-based epochs after which a freezing event fires, for E epochs, period T and the schedule.</summary>
    public static IReadOnlyList<int> FreezeEpochs(int epochs, int every, FreezeSchedule schedule)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(epochs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(every);
        return schedule == FreezeSchedule.Code
            ? Enumerable.Range(1, (epochs - 1) / every).Select(j => j * every).ToArray()
            : Enumerable.Range(1, epochs / every).Select(j => (j * every) - 1).ToArray();
    }

    /// <summary>Fraction of the active weights one event freezes so that after all events the density is
    /// <paramref name="density"/>: 1 − s^(1/N) (code) or 1 − s^(T/E) (paper). 0 when no event fires.</summary>
    public static double FreezeFraction(double density, int epochs, int every, FreezeSchedule schedule)
    {
        int events = FreezeEpochs(epochs, every, schedule).Count;
        if (events == 0)
        {
            return 0;
        }
        return schedule == FreezeSchedule.Code ? 1 - Math.Pow(density, 1.0 / events) : 1 - Math.Pow(density, (double)every / epochs);
    }

    private static long CountOnes(IEnumerable<Tensor> tensors)
    {
        using var scope = torch.NewDisposeScope();
        return tensors.Sum(t => t.count_nonzero().item<long>());
    }
}
