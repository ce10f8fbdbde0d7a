using Tessera.Data;
using Tessera.Methods.FedMA;

namespace Tessera.Tests.Methods.FedMA;

public sealed class BbpMapTests
{
    private static readonly BbpMapOptions Defaults = new() { Sigma = 1, Sigma0 = 1, Iterations = 5 };

    private static double[][] Gaussian(SeededRandom rng, int rows, int d, double std) =>
        Enumerable.Range(0, rows).Select(_ => Enumerable.Range(0, d).Select(_ => std * rng.NextGaussian()).ToArray()).ToArray();

    [Theory]
    [InlineData(0.8, 0.4, 1.0, 0.7333, -0.9513)]
    [InlineData(0.8, 0.4, 7.0, 0.7333, 2.9405)]
    [InlineData(-1.0, -0.5, 1.0, -0.6767, -0.8163)]
    [InlineData(-1.0, -0.5, 7.0, -0.6767, 3.0755)]
    public void Cost_SpecWorkedExample_MatchesHandValues(double w0, double w1, double gamma, double match, double fresh)
    {
        // Spec §2.2: D = 2, σ² = σ0² = 1, μ0 = (0, 0.1), J = 2, one global element from w = (1, 0.5): G = (1, 0.6),
        // Q = (2, 2), n = 1. Match: Σ (G+U)²/(Q+s) − G²/Q + log(1/(2−1)); new: Σ (m0+U)²/(p0+s) − m0²/p0 + 2 log(γ/2).
        double[] cost = BbpMap.Cost([[w0, w1]], [[1.0, 0.6]], [[2.0, 2.0]], [1], [0, 0.1], Defaults with { Gamma = gamma }, 2, out int k);

        Assert.Equal(1, k);
        Assert.Equal(match, cost[0], 4);
        Assert.Equal(fresh, cost[1], 4);
    }

    [Fact]
    public void Match_WorkedExampleGammaOne_MatchesAndShrinks()
    {
        // The matched element is (1.8, 1.0)/3 = (0.6, 0.3333) (the prior is one pseudo-sample).
        MatchResult m = BbpMap.Match([[[1.0, 0.5]], [[0.8, 0.4]]], [0, 0.1], Defaults with { Gamma = 1, Iterations = 0 }, 0);

        Assert.Equal(1, m.Width);
        Assert.Equal(0.6, m.Global[0][0], 12);
        Assert.Equal(1.0 / 3, m.Global[0][1], 12);
        Assert.Equal([2], m.Counts);
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(1.0)]
    [InlineData(7.0)]
    [InlineData(50.0)]
    public void Match_PermutedNoisyCopies_RecoversTheStructure(double gamma)
    {
        // Check 2: θ_i ~ N(0, 3²·I_20), i = 1..30; 5 clients hold all rows in their own order plus N(0, 0.1²) noise.
        var rng = new SeededRandom(42);
        double[][] theta = Gaussian(rng, 30, 20, 3);
        var perms = new int[5][];
        var clients = new double[5][][];
        for (int j = 0; j < 5; j++)
        {
            perms[j] = Enumerable.Range(0, 30).ToArray();
            rng.Shuffle(perms[j].AsSpan());
            clients[j] = perms[j].Select(i => theta[i].Select(x => x + (0.1 * rng.NextGaussian())).ToArray()).ToArray();
        }

        MatchResult m = BbpMap.Match(clients, new double[20], Defaults with { Gamma = gamma }, 7);

        Assert.Equal(30, m.Width);
        Assert.All(m.Counts, c => Assert.Equal(5, c));
        for (int i = 0; i < 30; i++)
        {
            // all copies of θ_i share one global index
            int[] where = Enumerable.Range(0, 5).Select(j => m.Assignments[j][Array.IndexOf(perms[j], i)]).Distinct().ToArray();
            Assert.Single(where);
        }
    }

    [Fact]
    public void Match_IdenticalCopies_GiveThetaTimesThreeQuarters()
    {
        // Check 2 / pitfall 1: G = 3θ, Q = 1 + 3 → Θ = 3θ/4 (variances, not standard deviations).
        double[][] theta = Gaussian(new SeededRandom(3), 30, 20, 3);

        MatchResult m = BbpMap.Match([theta, theta, theta], new double[20], Defaults with { Gamma = 1 }, 0);

        Assert.Equal(30, m.Width);
        for (int l = 0; l < 30; l++)
        {
            Assert.Equal(theta[l].Select(x => 0.75 * x), m.Global[m.Assignments[0][l]], new Tolerance(1e-12));
        }
    }

    [Theory]
    [InlineData(3, 0.1, 30)]
    [InlineData(3, 1.0, 30)]
    [InlineData(3, 7.0, 36)]
    [InlineData(3, 50.0, 76)]
    [InlineData(5, 0.1, 30)]
    [InlineData(5, 1.0, 30)]
    [InlineData(5, 7.0, 38)]
    [InlineData(5, 50.0, 106)]
    [InlineData(8, 0.1, 30)]
    [InlineData(8, 1.0, 30)]
    [InlineData(8, 7.0, 44)]
    [InlineData(8, 50.0, 142)]
    public void Match_TinyNormInputs_FollowTheWidthLaw(int clients, double gamma, int expected)
    {
        // Check 3: θ ~ N(0, 0.01²·I_20), L = 30, all clients hold all rows: L_glob = 30 + (J−1)·k* for any seed.
        foreach (long seed in new long[] { 0, 1, 2 })
        {
            var rng = new SeededRandom(100 + seed);
            double[][] theta = Gaussian(rng, 30, 20, 0.01);
            double[][][] local = Enumerable.Range(0, clients).Select(_ => theta.OrderBy(_ => rng.NextDouble()).ToArray()).ToArray();

            MatchResult m = BbpMap.Match(local, new double[20], Defaults with { Gamma = gamma }, seed);

            Assert.Equal(expected, m.Width);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void Match_AfterSweeps_GlobalEqualsPosteriorRecomputedFromAssignments(int sweeps)
    {
        // Pitfall 6: after REMOVE/MATCH with deletions and renumbering, every global element must be exactly the
        // posterior of the local vectors assigned to it: (μ0/σ0² + Σ w/σ²) / (1/σ0² + n/σ²).
        var rng = new SeededRandom(9);
        double[][][] local = Enumerable.Range(0, 4).Select(j => Gaussian(rng, 6 + j, 5, 1.0)).ToArray();
        double[] mu0 = [0, 0, 0, 0, 0.1];
        var options = Defaults with { Gamma = 3, Iterations = sweeps, Sigma = 0.5, Sigma0 = 2 };

        MatchResult m = BbpMap.Match(local, mu0, options, 5);

        var sum = new double[m.Width][];
        var count = new int[m.Width];
        for (int j = 0; j < local.Length; j++)
        {
            Assert.Equal(local[j].Length, m.Assignments[j].Distinct().Count());    // injective per client
            for (int l = 0; l < local[j].Length; l++)
            {
                int i = m.Assignments[j][l];
                sum[i] ??= new double[5];
                count[i]++;
                for (int x = 0; x < 5; x++)
                {
                    sum[i][x] += local[j][l][x];
                }
            }
        }
        Assert.Equal(count, m.Counts);
        for (int i = 0; i < m.Width; i++)
        {
            Assert.NotNull(sum[i]);
            for (int x = 0; x < 5; x++)
            {
                double expected = ((mu0[x] / 2) + (sum[i][x] / 0.5)) / ((1 / 2.0) + (count[i] / 0.5));
                Assert.Equal(expected, m.Global[i][x], 9);
            }
        }
    }

    [Fact]
    public void Match_SameSeed_SameAssignments()
    {
        var rng = new SeededRandom(1);
        double[][][] local = Enumerable.Range(0, 3).Select(_ => Gaussian(rng, 8, 4, 0.5)).ToArray();

        MatchResult a = BbpMap.Match(local, new double[4], Defaults, 11);
        MatchResult b = BbpMap.Match(local, new double[4], Defaults, 11);

        Assert.Equal(a.Assignments, b.Assignments);
        Assert.Equal(a.Global, b.Global);
    }

    [Fact]
    public void Match_OneClient_ReturnsTheLayerUnchanged()
    {
        double[][] v = Gaussian(new SeededRandom(2), 5, 3, 1);

        MatchResult m = BbpMap.Match([v], new double[3], Defaults, 0);

        Assert.Equal(v, m.Global);
        Assert.Equal([0, 1, 2, 3, 4], m.Assignments[0]);
    }

    [Fact]
    public void Match_LocalWiderThanGlobal_EveryElementGetsAColumn()
    {
        // Pitfall 5: client 1 has more elements than the state holds after client 0; K ≥ L_j − L keeps it feasible,
        // even with a global-width cap of 1 (K = max(min(L_j, max(cap − L, 1)), L_j − L)).
        var rng = new SeededRandom(4);
        double[][][] local = [Gaussian(rng, 3, 4, 5), Gaussian(rng, 3, 4, 5), Gaussian(rng, 9, 4, 5)];

        MatchResult m = BbpMap.Match(local, new double[4], Defaults with { MaxGlobalWidth = 1, Iterations = 2 }, 0);

        Assert.True(m.Width >= 9);
        Assert.Equal(9, m.Assignments[2].Distinct().Count());
    }

    [Fact]
    public void Cost_GlobalAtTheCap_OffersOneNewColumn()
    {
        // Pitfall 5: with L ≥ 699 of a 700 cap, a MATCH offers a single new column (K = max(700 − L, 1) = 1).
        double[][] g = Enumerable.Range(0, 705).Select(_ => new double[] { 0.0 }).ToArray();
        double[][] q = g.Select(_ => new double[] { 2.0 }).ToArray();

        BbpMap.Cost([[0.1], [0.2]], g, q, Enumerable.Repeat(1, 705).ToArray(), [0.0], Defaults, 3, out int k);

        Assert.Equal(1, k);
    }

    [Theory]
    [InlineData(Estimator.OwnerMean, 1.0)]
    [InlineData(Estimator.MeanOverJ, 2.0 / 3)]
    public void Match_Estimators_AverageTheMatchedVectors(Estimator estimator, double scale)
    {
        // Two of three clients hold the same vector v, the third an unrelated far one: v's element has n = 2.
        double[] v = [4, -4];
        MatchResult m = BbpMap.Match([[v], [v], [[-40, 40]]], [0, 0], Defaults with { Gamma = 1, Estimator = estimator }, 0);

        int i = m.Assignments[0][0];
        Assert.Equal(2, m.Counts[i]);
        Assert.Equal(v.Select(x => x * scale), m.Global[i], new Tolerance(1e-12));
    }

    private sealed class Tolerance(double eps) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= eps;

        public int GetHashCode(double obj) => 0;
    }
}
