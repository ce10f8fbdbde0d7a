using System.Diagnostics;
using Tessera.Methods.Arithmetic;
using Tessera.Tests.Support;

namespace Tessera.Tests.Methods.Arithmetic;

public sealed class MatrixCompletionTests
{
    [Fact]
    public void Complete_3x3FirstRowAndColumn_FillsRowMajorInOneSweep()
    {
        // Given row 0 and column 0 of the addition table: window (0,0) fills (1,1), then (0,1) fills (1,2),
        // (1,0) fills (2,1) and (1,1) fills (2,2) within the first sweep; the second sweep fills nothing.
        var m = MatrixCompletion.AdditionTable(3, [0, 1, 2, 3, 6]);

        var (success, sweeps) = MatrixCompletion.Complete(m);

        Assert.True(success);
        Assert.Equal(2, sweeps);
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 3; j++)
            {
                Assert.Equal(i + j, m[i, j]);
            }
        }
    }

    [Fact]
    public void Complete_BackwardDependency_NeedsAnExtraSweep()
    {
        // Given the bottom row and right column of a 3×3 table: the sweep meets window (1,1) last, and only its fill
        // (1,1) lets windows (0,1) and (1,0) complete — (0,1) and (1,0) fill in sweep 2, (0,0) in sweep 3.
        var m = MatrixCompletion.AdditionTable(3, [2, 5, 6, 7, 8]);

        var (success, sweeps) = MatrixCompletion.Complete(m);

        Assert.True(success);
        Assert.Equal(4, sweeps);
        Assert.Equal(0, m[0, 0]);
    }

    [Fact]
    public void Complete_UsesTheAdditiveRule()
    {
        var m = new double?[2, 2] { { 3, 5 }, { 10, null } };

        Assert.True(MatrixCompletion.Complete(m).Success);
        Assert.Equal(12, m[1, 1]);                                  // 5 + 10 − 3
    }

    [Fact]
    public void Complete_MissingWholeRow_NeverSucceeds()
    {
        var rng = new Random(3);
        for (int trial = 0; trial < 20; trial++)
        {
            // every cell except row 2 revealed with probability 0.9: the row can never be recovered
            var cells = Enumerable.Range(0, 36).Where(c => c / 6 != 2 && rng.NextDouble() < 0.9).ToArray();

            Assert.False(MatrixCompletion.Complete(MatrixCompletion.AdditionTable(6, cells)).Success);
            Assert.False(MatrixCompletion.Completes(6, cells));
        }
        Assert.True(MatrixCompletion.Completes(6, Enumerable.Range(0, 36).ToArray()));
    }

    [Fact]
    public void Completes_AgreesWithReferenceOnRandomTables()
    {
        var rng = new Random(17);
        int successes = 0;
        for (int trial = 0; trial < 300; trial++)
        {
            int n = rng.Next(2, 12), k = rng.Next(0, (n * n) + 1);
            var cells = Enumerable.Range(0, n * n).OrderBy(_ => rng.Next()).Take(k).ToArray();

            var m = MatrixCompletion.AdditionTable(n, cells);
            bool reference = MatrixCompletion.Complete(m).Success;

            Assert.Equal(reference, MatrixCompletion.Completes(n, cells));
            successes += reference ? 1 : 0;
        }
        Assert.InRange(successes, 30, 270);                          // both outcomes were exercised
    }

    [Fact]
    public void SuccessProbability_N20_ThresholdNear90()
    {
        // Spec §2.8 [sim]: n=20 → 0.16@80, 0.53@90, 0.76@100, 1.0@150. 400 trials: standard error ≤ 0.025.
        var curve = MatrixCompletion.Curve(20, [60, 90, 150], trials: 400, seed: 1);

        Assert.InRange(curve[0].P, 0.0, 0.15);
        Assert.InRange(curve[1].P, 0.40, 0.66);
        Assert.InRange(curve[2].P, 0.97, 1.0);
    }

    [Fact]
    public void SuccessProbability_ThresholdGrowsWithN()
    {
        // Spec §2.8 [sim]: n=50 → 0.51@400; n=100 → 0.04@1100, 0.54@1400, 1.0@1800 (100 trials: standard error ≤ 0.05).
        Assert.InRange(MatrixCompletion.SuccessProbability(50, 400, trials: 200, seed: 2), 0.36, 0.66);
        var curve = MatrixCompletion.Curve(100, [1100, 1400, 1800], trials: 100, seed: 2);
        Assert.InRange(curve[0].P, 0.0, 0.15);
        Assert.InRange(curve[1].P, 0.35, 0.75);
        Assert.InRange(curve[2].P, 0.9, 1.0);
    }

    [Fact]
    public void Curve_IsNonDecreasingAndSeeded()
    {
        int[] ks = [40, 60, 80, 90, 100, 120, 150, 400];

        var curve = MatrixCompletion.Curve(20, ks, trials: 200, seed: 5);

        Assert.Equal(ks, curve.Select(c => c.K));
        Assert.All(curve.Zip(curve.Skip(1)), t => Assert.True(t.First.P <= t.Second.P));
        Assert.Equal(1.0, curve[^1].P);
        Assert.Equal(curve, MatrixCompletion.Curve(20, ks, trials: 200, seed: 5));
        Assert.Equal(0.0, MatrixCompletion.SuccessProbability(20, 0, 10, seed: 5));
    }

    [Fact]
    [Trait("Category", Cat.Slow)]
    public void Curve_N100_SharpThresholdWithinBudget()
    {
        // Spec §6 check 5 (R4): 100 trials × 10 values of k at n=100 in well under a minute; the curve rises from
        // ≤ 0.1 to ≥ 0.9 within a factor 1.6 of k (1200 → 1800 in calibration).
        var watch = Stopwatch.StartNew();

        var curve = MatrixCompletion.Curve(100, [1000, 1100, 1200, 1300, 1400, 1500, 1600, 1700, 1800, 2000], trials: 100, seed: 1);

        watch.Stop();
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
        int low = curve.Last(c => c.P <= 0.1).K, high = curve.First(c => c.P >= 0.9).K;
        Assert.True(high <= 1.6 * low, $"rise from {low} to {high}");
        Assert.InRange(curve.Single(c => c.K == 1400).P, 0.35, 0.75);
    }
}
