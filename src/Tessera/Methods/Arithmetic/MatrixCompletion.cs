namespace Tessera.Methods.Arithmetic;

/// <summary>
/// The iterative low-rank matrix completion of spec §2.8 (paper Algorithm 1) on the n×n addition table
/// M_ij = i+j, which has rank 2: sweep the adjacent 2×2 windows row-major; a window with exactly 3 known entries gets
/// its 4th from the additive rule M_ij + M_{i+1,j+1} = M_{i+1,j} + M_{i,j+1}; repeat until a sweep fills nothing.
/// Success means every entry is known.
/// </summary>
public static class MatrixCompletion
{
    /// <summary>The readable reference: runs Algorithm 1 on <paramref name="m"/> (null = unknown) and fills it in place.
    /// Returns whether every entry ended up known and the number of sweeps (the last one fills nothing).</summary>
    public static (bool Success, int Sweeps) Complete(double?[,] m)
    {
        int rows = m.GetLength(0), cols = m.GetLength(1), sweeps = 0, filled;
        do
        {
            sweeps++;
            filled = 0;
            for (int i = 0; i < rows - 1; i++)
            {
                for (int j = 0; j < cols - 1; j++)
                {
                    if (FillWindow(m, i, j))
                    {
                        filled++;
                    }
                }
            }
        }
        while (filled > 0);
        bool success = true;
        foreach (var v in m)
        {
            success &= v.HasValue;
        }
        return (success, sweeps);
    }

    /// <summary>
    /// Fast success test for the n×n table with the given cells (index i·n+j) revealed. Which entries Algorithm 1
    /// eventually knows does not depend on the visiting order (filling is monotone: a fill never blocks another, so
    /// every order reaches the same closure), so this propagates from a work list instead of sweeping — each newly
    /// known cell re-checks only its (up to) four windows. Agrees with <see cref="Complete"/>'s Success.
    /// </summary>
    public static bool Completes(int n, ReadOnlySpan<int> revealed) => Completes(n, revealed, new byte[n * n], new int[n * n]);

    /// <summary>Probability that Algorithm 1 recovers the whole n×n table from k entries revealed uniformly without
    /// replacement, over <paramref name="trials"/> seeded trials. Trial t draws its cells from (seed, t) as one random
    /// order of all cells and reveals its first k, so for a fixed seed the revealed sets are nested in k and the
    /// estimate is non-decreasing in k (common random numbers across a curve).</summary>
    public static double SuccessProbability(int n, int k, int trials, long seed)
    {
        if (n < 1 || k < 0 || k > n * n || trials < 1)
        {
            throw new InputException($"LRMC needs n ≥ 1, 0 ≤ k ≤ n² and trials ≥ 1; got n={n}, k={k}, trials={trials}.");
        }
        int cells = n * n, successes = 0;
        var order = new int[cells];
        var known = new byte[cells];
        var work = new int[cells];
        for (int t = 0; t < trials; t++)
        {
            for (int c = 0; c < cells; c++)
            {
                order[c] = c;
            }
            Rngs.PartialShuffle(Rngs.Create(seed, t, "lrmc"), order, k);
            Array.Clear(known);
            if (Completes(n, order.AsSpan(0, k), known, work))
            {
                successes++;
            }
        }
        return (double)successes / trials;
    }

    /// <summary>Success probability for each k (same seed for every k, see <see cref="SuccessProbability"/>).</summary>
    public static IReadOnlyList<(int K, double P)> Curve(int n, IEnumerable<int> ks, int trials, long seed) =>
        ks.Select(k => (k, SuccessProbability(n, k, trials, seed))).ToArray();

    /// <summary>The n×n addition table with only the given cells (index i·n+j) known.</summary>
    public static double?[,] AdditionTable(int n, IEnumerable<int> revealed)
    {
        var m = new double?[n, n];
        foreach (int c in revealed)
        {
            m[c / n, c % n] = (c / n) + (c % n);
        }
        return m;
    }

    private static bool FillWindow(double?[,] m, int i, int j)
    {
        double? a = m[i, j], b = m[i, j + 1], c = m[i + 1, j], d = m[i + 1, j + 1];
        int known = (a.HasValue ? 1 : 0) + (b.HasValue ? 1 : 0) + (c.HasValue ? 1 : 0) + (d.HasValue ? 1 : 0);
        if (known != 3)
        {
            return false;
        }
        // a + d = b + c
        if (!a.HasValue)
        {
            m[i, j] = b + c - d;
        }
        else if (!b.HasValue)
        {
            m[i, j + 1] = a + d - c;
        }
        else if (!c.HasValue)
        {
            m[i + 1, j] = a + d - b;
        }
        else
        {
            m[i + 1, j + 1] = b + c - a;
        }
        return true;
    }

    private static bool Completes(int n, ReadOnlySpan<int> revealed, byte[] known, int[] work)
    {
        int top = 0, count = 0;
        foreach (int c in revealed)
        {
            if (known[c] == 0)
            {
                known[c] = 1;
                work[top++] = c;
                count++;
            }
        }
        while (top > 0)
        {
            int cell = work[--top], r = cell / n, col = cell % n;
            // the windows whose top-left corner is (r-1..r, col-1..col)
            for (int wi = Math.Max(r - 1, 0); wi <= Math.Min(r, n - 2); wi++)
            {
                for (int wj = Math.Max(col - 1, 0); wj <= Math.Min(col, n - 2); wj++)
                {
                    int tl = (wi * n) + wj, tr = tl + 1, bl = tl + n, br = bl + 1;
                    if (known[tl] + known[tr] + known[bl] + known[br] != 3)
                    {
                        continue;
                    }
                    int missing = known[tl] == 0 ? tl : known[tr] == 0 ? tr : known[bl] == 0 ? bl : br;
                    known[missing] = 1;
                    work[top++] = missing;
                    count++;
                }
            }
        }
        return count == n * n;
    }
}
