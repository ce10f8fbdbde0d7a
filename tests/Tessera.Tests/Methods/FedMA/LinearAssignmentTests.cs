using CsCheck;
using Tessera.Methods.FedMA;

namespace Tessera.Tests.Methods.FedMA;

public sealed class LinearAssignmentTests
{
    /// <summary>The best total over every injective map of the smaller side into the larger (brute force).</summary>
    private static double BruteForceMax(double[] w, int rows, int cols)
    {
        double best = double.NegativeInfinity;
        int k = Math.Min(rows, cols);
        void Search(int depth, bool[] usedCols, bool[] usedRows, double sum)
        {
            if (depth == k)
            {
                best = Math.Max(best, sum);
                return;
            }
            if (rows <= cols)
            {
                for (int c = 0; c < cols; c++)
                {
                    if (!usedCols[c])
                    {
                        usedCols[c] = true;
                        Search(depth + 1, usedCols, usedRows, sum + w[(depth * cols) + c]);
                        usedCols[c] = false;
                    }
                }
            }
            else
            {
                for (int r = 0; r < rows; r++)
                {
                    if (!usedRows[r])
                    {
                        usedRows[r] = true;
                        Search(depth + 1, usedCols, usedRows, sum + w[(r * cols) + depth]);
                        usedRows[r] = false;
                    }
                }
            }
        }
        Search(0, new bool[cols], new bool[rows], 0);
        return best;
    }

    private static void AssertValid(int[] assignment, int rows, int cols)
    {
        Assert.Equal(rows, assignment.Length);
        int[] used = assignment.Where(c => c >= 0).ToArray();
        Assert.Equal(used.Length, used.Distinct().Count());
        Assert.All(used, c => Assert.InRange(c, 0, cols - 1));
        Assert.Equal(Math.Min(rows, cols), used.Length);
    }

    [Fact]
    public void Maximize_SmallRandomMatrices_EqualsBruteForce()
    {
        var gen = Gen.Int[1, 6].SelectMany(r => Gen.Int[1, 6].SelectMany(c => Gen.Double[-10, 10].Array[r * c].Select(w => (r, c, w))));
        gen.Sample(t =>
        {
            (int rows, int cols, double[] w) = t;

            int[] a = LinearAssignment.Maximize(w, rows, cols);

            AssertValid(a, rows, cols);
            Assert.Equal(BruteForceMax(w, rows, cols), LinearAssignment.Total(w, cols, a), 9);
        }, iter: 500, threads: 1);
    }

    [Fact]
    public void Minimize_SmallIntegerMatricesWithTies_EqualsBruteForce()
    {
        var gen = Gen.Int[1, 5].SelectMany(r => Gen.Int[r, 6].SelectMany(c => Gen.Int[0, 3].Array[r * c].Select(w => (r, c, w.Select(x => (double)x).ToArray()))));
        gen.Sample(t =>
        {
            (int rows, int cols, double[] w) = t;

            int[] a = LinearAssignment.Minimize(w, rows, cols);

            AssertValid(a, rows, cols);
            Assert.Equal(-BruteForceMax(w.Select(x => -x).ToArray(), rows, cols), LinearAssignment.Total(w, cols, a), 9);
        }, iter: 300, threads: 1);
    }

    [Fact]
    public void Maximize_HandFixture_FindsThePermutation()
    {
        // Row r prefers column (r + 1) mod 3 with weight 10; the rest weigh 1: the optimum is the cyclic shift, total 30.
        double[] w = [1, 10, 1, 1, 1, 10, 10, 1, 1];

        int[] a = LinearAssignment.Maximize(w, 3, 3);

        Assert.Equal([1, 2, 0], a);
    }

    [Fact]
    public void Maximize_MoreRowsThanColumns_LeavesTheWeakestRowUnassigned()
    {
        double[] w = [5, 1, 1, 4, 0.5, 0.5];   // 3 rows, 2 columns: rows 0 and 1 take columns 0 and 1

        int[] a = LinearAssignment.Maximize(w, 3, 2);

        Assert.Equal([0, 1, -1], a);
    }

    [Fact]
    public void Maximize_NonFiniteWeight_Throws()
    {
        Assert.Throws<ArgumentException>(() => LinearAssignment.Maximize([1, double.NaN], 1, 2));
        Assert.Throws<ArgumentException>(() => LinearAssignment.Maximize([1, 2, 3], 2, 2));
    }
}
