namespace Tessera.Methods.Accordion;

/// <summary>PowerSGD's pieces (spec §2.5; Vogels et al. 2019): the matrix view of a tensor, the effective rank, the
/// per-step cost, and Gram–Schmidt with an epsilon.</summary>
public static class PowerSgd
{
    /// <summary>Rows = shape[0], columns = numel / rows (a conv kernel [out, in, kh, kw] is [out, in·kh·kw]).</summary>
    public static (long Rows, long Cols) MatrixView(ReadOnlySpan<long> shape)
    {
        if (shape.Length < 2)
        {
            throw new ArgumentException("Only tensors with at least 2 dimensions have a matrix view.", nameof(shape));
        }
        long numel = 1;
        foreach (long d in shape)
        {
            numel *= d;
        }
        return (shape[0], shape[0] == 0 ? 0 : numel / shape[0]);
    }

    /// <summary>r' = min(n, m, r).</summary>
    public static int EffectiveRank(long rows, long cols, int rank) => (int)Math.Min(Math.Min(rows, cols), rank);

    /// <summary>Floats one worker sends per step for this tensor: (n + m)·r' (P and Q).</summary>
    public static long Cost(long rows, long cols, int rank) => (rows + cols) * EffectiveRank(rows, cols, rank);

    /// <summary>Orthonormalises the columns of <paramref name="p"/> (n × r) in order: p_i ← p_i / (‖p_i‖ + ε), then
    /// removes p_i's component from the later columns. A column whose remainder is at most
    /// <see cref="DependenceTolerance"/> times its norm before orthogonalisation (a zero column, or one that depends on
    /// the earlier columns, as when P = Σ M_w Q has rank below r) becomes zero instead of normalised rounding noise, so
    /// P̂P̂ᵀ is always the orthogonal projector onto the column space of <paramref name="p"/>, and zero input gives zero
    /// output (no NaN) even with ε = 0. Returns a new tensor.</summary>
    public static Tensor GramSchmidt(Tensor p, double epsilon)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.dim() != 2)
        {
            throw new ArgumentException($"Gram–Schmidt needs a matrix; got [{string.Join(", ", p.shape)}].", nameof(p));
        }
        using var scope = torch.NewDisposeScope();
        using Scalar tolerance = DependenceTolerance(p.dtype).ToScalar(), eps = epsilon.ToScalar(), one = 1.0.ToScalar();
        Tensor q = p.clone();
        long r = q.shape[1];
        Tensor floor = q.norm(dim: 0).mul_(tolerance);                          // (r): τ·‖p_i‖ before orthogonalisation
        Tensor dropped = torch.tensor(double.PositiveInfinity, dtype: q.dtype);
        for (long i = 0; i < r; i++)
        {
            Tensor col = q.narrow(1, i, 1);                                   // (n, 1) view
            Tensor norm = col.norm();
            col.div_(torch.where(norm.le(floor[i]), dropped, norm.add_(eps, one)));   // x / ∞ = 0 for a dependent column
            if (i + 1 < r)
            {
                Tensor rest = q.narrow(1, i + 1, r - i - 1);                  // (n, r-i-1) view
                rest.sub_(col.mm(col.t().mm(rest)));
            }
        }
        return q.MoveToOuterDisposeScope();
    }

    /// <summary>τ = √(machine epsilon) of the type (3.5e-4 for float32, 1.5e-8 for float64): a column that keeps less than
    /// this fraction of its norm after the earlier columns are removed is treated as linearly dependent. Its direction
    /// would be mostly rounding error; its small true component is not lost, error feedback carries it.</summary>
    public static double DependenceTolerance(ScalarType dtype) =>
        Math.Sqrt(dtype == ScalarType.Float64 ? Math.BitIncrement(1.0) - 1.0 : MathF.BitIncrement(1f) - 1f);
}

/// <summary>TopK sparsification's pieces (spec §2.6).</summary>
public static class TopK
{
    /// <summary>K = max(1, floor(fraction · numel)).</summary>
    public static long Count(double fraction, long numel) => Math.Max(1, (long)Math.Floor(fraction * numel));

    /// <summary>Floats one worker is counted for per step (the code's rule): 2·K·W (values and indices of all workers).</summary>
    public static long Cost(double fraction, long numel, int workers) => 2 * Count(fraction, numel) * workers;

    /// <summary>Indices (int64) of the <paramref name="k"/> entries of largest magnitude of a 1-D tensor, largest first;
    /// ties keep the lower index first (stable sort), so the choice is deterministic.</summary>
    public static Tensor Select(Tensor flat, long k)
    {
        ArgumentNullException.ThrowIfNull(flat);
        using var scope = torch.NewDisposeScope();
        (Tensor _, Tensor order) = flat.abs().sort(0, descending: true, stable: true);
        return order.narrow(0, 0, Math.Min(k, flat.shape[0])).MoveToOuterDisposeScope();
    }
}
