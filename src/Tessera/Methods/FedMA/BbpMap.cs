using Tessera.Data;
using Tessera.Training;

namespace Tessera.Methods.FedMA;

/// <summary>How a matched global element is estimated from its members (spec §2.9 Q1).</summary>
public enum Estimator
{
    /// <summary>G ⊘ Q: the posterior mean, shrunk toward μ0 by one prior pseudo-sample (the code's choice).</summary>
    Posterior,

    /// <summary>Plain mean of the matched local vectors.</summary>
    OwnerMean,

    /// <summary>Sum of the matched local vectors divided by the number of clients J (the paper's Algorithm 1).</summary>
    MeanOverJ,
}

/// <summary>BBP-MAP settings (spec §2.10): σ² and σ0² are variances, γ the Beta–Bernoulli mass.</summary>
public sealed record BbpMapOptions
{
    public double Sigma { get; init; } = 1.0;

    public double Sigma0 { get; init; } = 1.0;

    public double Gamma { get; init; } = 7.0;

    /// <summary>Refinement sweeps after the greedy pass, each in a fresh random client order.</summary>
    public int Iterations { get; init; } = 5;

    /// <summary>m = min(n, cap) in the popularity term.</summary>
    public int PopularityCap { get; init; } = 10;

    /// <summary>Soft cap on the global width: a MATCH offers min(L_j, max(cap − L, 1)) new columns.</summary>
    public int MaxGlobalWidth { get; init; } = 700;

    public Estimator Estimator { get; init; } = Estimator.Posterior;
}

/// <summary>The matched layer: global element vectors (rows), each client's local → global map, and the counts.</summary>
/// <param name="Global">L rows of length D.</param>
/// <param name="Assignments">Assignments[j][l] = global index of client j's local element l (injective per client).</param>
/// <param name="Counts">How many clients' elements each global element holds.</param>
public sealed record MatchResult(double[][] Global, int[][] Assignments, int[] Counts)
{
    public int Width => Global.Length;
}

/// <summary>
/// PFNM's BBP-MAP matching of one layer (spec §2.2): a pure function from the clients' element vectors (rows =
/// hidden units / channels, last coordinates = bias) to the global layer and the assignments. All arithmetic is
/// float64; the costs are two GEMMs per MATCH; the assignment solver is <see cref="LinearAssignment"/>.
/// Usable on its own: give it any layer's element vectors.
/// </summary>
public static class BbpMap
{
    /// <param name="clients">V_j: L_j rows of length D per client.</param>
    /// <param name="mu0">Prior mean per coordinate (length D): usually 0 for weights, 0.1 for bias coordinates.</param>
    /// <param name="options">σ², σ0², γ, sweeps, caps, estimator.</param>
    /// <param name="seed">Seeds the client order of the refinement sweeps.</param>
    public static MatchResult Match(IReadOnlyList<double[][]> clients, double[] mu0, BbpMapOptions options, long seed)
    {
        ArgumentNullException.ThrowIfNull(clients);
        ArgumentNullException.ThrowIfNull(mu0);
        ArgumentNullException.ThrowIfNull(options);
        if (clients.Count == 0)
        {
            throw new ArgumentException("BBP-MAP needs at least one client.", nameof(clients));
        }
        if (!(options.Sigma > 0) || !(options.Sigma0 > 0) || !(options.Gamma > 0) || options.Iterations < 0
            || options.PopularityCap < 1 || options.MaxGlobalWidth < 1)
        {
            throw new InputException("fedma matching: sigma, sigma0 and gamma must be positive, it >= 0, popularityCap and maxGlobalWidth >= 1.");
        }
        int d = mu0.Length;
        foreach (double[][] v in clients)
        {
            foreach (double[] row in v)
            {
                if (row.Length != d)
                {
                    throw new ArgumentException($"Every element vector must have length {d} (the length of mu0); got {row.Length}.", nameof(clients));
                }
                foreach (double x in row)
                {
                    if (!double.IsFinite(x))
                    {
                        throw new ArgumentException("Element vectors must be finite.", nameof(clients));
                    }
                }
            }
        }
        if (clients.Count == 1)
        {
            // J = 1: nothing to match; the layer is returned unchanged (pitfall 7).
            double[][] only = clients[0].Select(r => (double[])r.Clone()).ToArray();
            return new MatchResult(only, [Enumerable.Range(0, only.Length).ToArray()], Enumerable.Repeat(1, only.Length).ToArray());
        }
        var state = new State(clients, mu0, options);
        return state.Run(seed);
    }

    /// <summary>The MATCH cost matrix of one client against a global state (spec §2.2), L_j × (L + K), row-major.
    /// Exposed for the worked-example test.</summary>
    public static double[] Cost(double[][] local, double[][] g, double[][] q, int[] n, double[] mu0, BbpMapOptions options,
        int clientCount, out int newColumns)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(n);
        ArgumentNullException.ThrowIfNull(mu0);
        ArgumentNullException.ThrowIfNull(options);
        int d = mu0.Length;
        double s = 1.0 / options.Sigma, p0 = 1.0 / options.Sigma0;
        double[][] u = local.Select(row => row.Select(x => x * s).ToArray()).ToArray();
        return CostMatrix(u, g, q, n, mu0.Select(m => m * p0).ToArray(), s, p0, options, clientCount, d, out newColumns);
    }

    private static double[] CostMatrix(double[][] u, double[][] g, double[][] q, int[] n, double[] m0, double s, double p0,
        BbpMapOptions options, int clientCount, int d, out int newColumns)
    {
        int lj = u.Length, l = g.Length;
        int k = Math.Min(lj, Math.Max(options.MaxGlobalWidth - l, 1));
        k = Math.Max(k, lj - l);                     // columns >= rows, so every local element gets a column
        newColumns = k;
        int cols = l + k;
        var cost = new double[lj * cols];
        if (lj == 0)
        {
            return cost;
        }
        if (l > 0)
        {
            // C_param = (U⊙U)·Aᵀ + 2·U·(G⊙A)ᵀ + 1·(rowsum(G²⊙A) − rowsum(G²⊘Q))ᵀ with A = 1 ⊘ (Q + s): two GEMMs
            // (libtorch float64 for large layers, a managed loop for small ones where call overhead dominates).
            double[] param = (long)lj * l * d >= TorchThreshold ? CostGemmTorch(u, g, q, s, lj, l, d) : CostGemmManaged(u, g, q, s, lj, l, d);
            for (int i = 0; i < l; i++)
            {
                double m = Math.Min(n[i], options.PopularityCap);
                double popularity = Math.Log(m / (clientCount - m));
                for (int r = 0; r < lj; r++)
                {
                    cost[(r * cols) + i] = param[(r * l) + i] + popularity;
                }
            }
        }
        double prior = 0;
        for (int x = 0; x < d; x++)
        {
            prior += m0[x] * m0[x] / p0;
        }
        double logMass = 2 * Math.Log(options.Gamma / clientCount);
        for (int r = 0; r < lj; r++)
        {
            double quad = 0;
            double[] ur = u[r];
            for (int x = 0; x < d; x++)
            {
                double t = m0[x] + ur[x];
                quad += t * t / (p0 + s);
            }
            double gain = quad - prior + logMass;
            for (int c = 0; c < k; c++)
            {
                cost[(r * cols) + l + c] = gain - (2 * Math.Log(c + 1));
            }
        }
        return cost;
    }

    /// <summary>Above this many multiply-adds (L_j·L·D) the cost GEMMs run in libtorch.</summary>
    private const long TorchThreshold = 4_000_000;

    private static double[] CostGemmTorch(double[][] u, double[][] g, double[][] q, double s, int lj, int l, int d)
    {
        TorchGc.SafePoint();
        using var scope = torch.NewDisposeScope();
        Tensor ut = torch.tensor(Flatten(u), [lj, d], ScalarType.Float64);
        Tensor gt = torch.tensor(Flatten(g), [l, d], ScalarType.Float64);
        Tensor qt = torch.tensor(Flatten(q), [l, d], ScalarType.Float64);
        Tensor a = (qt + s).reciprocal();
        Tensor g2 = gt * gt;
        Tensor constant = (g2 * a).sum(1) - (g2 / qt).sum(1);                                      // (L)
        Tensor c = (ut * ut).mm(a.t()) + (2 * ut.mm((gt * a).t())) + constant.unsqueeze(0);       // (L_j, L)
        return c.contiguous().data<double>().ToArray();
    }

    private static double[] CostGemmManaged(double[][] u, double[][] g, double[][] q, double s, int lj, int l, int d)
    {
        var a = new double[l][];
        var ga = new double[l][];
        var constant = new double[l];
        for (int i = 0; i < l; i++)
        {
            a[i] = new double[d];
            ga[i] = new double[d];
            double c = 0;
            for (int x = 0; x < d; x++)
            {
                double ai = 1.0 / (q[i][x] + s), gi = g[i][x];
                a[i][x] = ai;
                ga[i][x] = 2 * gi * ai;
                c += (gi * gi * ai) - (gi * gi / q[i][x]);
            }
            constant[i] = c;
        }
        var result = new double[lj * l];
        var u2 = new double[d];
        for (int r = 0; r < lj; r++)
        {
            double[] ur = u[r];
            for (int x = 0; x < d; x++)
            {
                u2[x] = ur[x] * ur[x];
            }
            for (int i = 0; i < l; i++)
            {
                double[] ai = a[i], gai = ga[i];
                double sum = constant[i];
                for (int x = 0; x < d; x++)
                {
                    sum += (u2[x] * ai[x]) + (ur[x] * gai[x]);
                }
                result[(r * l) + i] = sum;
            }
        }
        return result;
    }

    private static double[] Flatten(double[][] rows)
    {
        int d = rows.Length == 0 ? 0 : rows[0].Length;
        var flat = new double[rows.Length * d];
        for (int r = 0; r < rows.Length; r++)
        {
            Array.Copy(rows[r], 0, flat, r * d, d);
        }
        return flat;
    }

    /// <summary>The matching state: natural means G, precisions Q and popularity n per global element.</summary>
    private sealed class State
    {
        private readonly double[][][] _u;
        private readonly double[] _m0;
        private readonly double _s;
        private readonly double _p0;
        private readonly int _d;
        private readonly BbpMapOptions _options;
        private readonly List<double[]> _g = [];
        private readonly List<double[]> _q = [];
        private readonly List<int> _n = [];
        private readonly int[]?[] _a;

        public State(IReadOnlyList<double[][]> clients, double[] mu0, BbpMapOptions options)
        {
            _options = options;
            _d = mu0.Length;
            _s = 1.0 / options.Sigma;
            _p0 = 1.0 / options.Sigma0;
            _m0 = mu0.Select(m => m * _p0).ToArray();
            _u = clients.Select(v => v.Select(row => row.Select(x => x * _s).ToArray()).ToArray()).ToArray();
            _a = new int[]?[clients.Count];
        }

        private int J => _u.Length;

        public MatchResult Run(long seed)
        {
            int[] order = Enumerable.Range(0, J).OrderByDescending(j => _u[j].Length).ToArray();   // stable
            int j0 = order[0];
            _a[j0] = new int[_u[j0].Length];
            for (int l = 0; l < _u[j0].Length; l++)
            {
                Append(_u[j0][l]);
                _a[j0]![l] = l;
            }
            foreach (int j in order.Skip(1))
            {
                _a[j] = MatchClient(j);
            }
            var rng = new SeededRandom(seed);
            for (int sweep = 0; sweep < _options.Iterations; sweep++)
            {
                int[] perm = Enumerable.Range(0, J).ToArray();
                rng.Shuffle(perm.AsSpan());
                foreach (int j in perm)
                {
                    Remove(j);
                    _a[j] = MatchClient(j);
                }
            }
            return new MatchResult(Estimate(), _a.Select(a => (int[])a!.Clone()).ToArray(), [.. _n]);
        }

        private void Append(double[] u)
        {
            var g = new double[_d];
            var q = new double[_d];
            for (int x = 0; x < _d; x++)
            {
                g[x] = _m0[x] + u[x];
                q[x] = _p0 + _s;
            }
            _g.Add(g);
            _q.Add(q);
            _n.Add(1);
        }

        private int[] MatchClient(int j)
        {
            double[][] u = _u[j];
            int l = _g.Count;
            double[] cost = CostMatrix(u, [.. _g], [.. _q], [.. _n], _m0, _s, _p0, _options, J, _d, out int k);
            int[] column = LinearAssignment.Maximize(cost, u.Length, l + k);
            var assignment = new int[u.Length];
            int next = l;
            for (int r = 0; r < u.Length; r++)      // increasing local index: new elements are numbered in this order
            {
                int c = column[r];
                if (c < l)
                {
                    double[] g = _g[c], q = _q[c];
                    for (int x = 0; x < _d; x++)
                    {
                        g[x] += u[r][x];
                        q[x] += _s;
                    }
                    _n[c]++;
                    assignment[r] = c;
                }
                else
                {
                    Append(u[r]);
                    assignment[r] = next++;
                }
            }
            return assignment;
        }

        private void Remove(int j)
        {
            int[] a = _a[j]!;
            var dead = new bool[_g.Count];
            for (int l = 0; l < a.Length; l++)
            {
                int i = a[l];
                _n[i]--;
                if (_n[i] == 0)
                {
                    dead[i] = true;
                }
                else
                {
                    double[] g = _g[i], q = _q[i];
                    for (int x = 0; x < _d; x++)
                    {
                        g[x] -= _u[j][l][x];
                        q[x] -= _s;
                    }
                }
            }
            _a[j] = null;
            var newIndex = new int[dead.Length];
            int kept = 0;
            for (int i = 0; i < dead.Length; i++)
            {
                newIndex[i] = dead[i] ? -1 : kept++;
            }
            for (int i = dead.Length - 1; i >= 0; i--)
            {
                if (dead[i])
                {
                    _g.RemoveAt(i);
                    _q.RemoveAt(i);
                    _n.RemoveAt(i);
                }
            }
            foreach (int[]? other in _a)
            {
                if (other is null)
                {
                    continue;
                }
                for (int l = 0; l < other.Length; l++)
                {
                    other[l] = newIndex[other[l]];
                }
            }
        }

        private double[][] Estimate()
        {
            var theta = new double[_g.Count][];
            for (int i = 0; i < _g.Count; i++)
            {
                theta[i] = new double[_d];
                for (int x = 0; x < _d; x++)
                {
                    double sum = (_g[i][x] - _m0[x]) / _s;       // Σ of the matched raw vectors
                    theta[i][x] = _options.Estimator switch
                    {
                        Estimator.OwnerMean => sum / _n[i],
                        Estimator.MeanOverJ => sum / J,
                        _ => _g[i][x] / _q[i][x],
                    };
                }
            }
            return theta;
        }
    }
}
