namespace Tessera.Methods.FedMA;

/// <summary>
/// Rectangular linear assignment in float64: the shortest-augmenting-path Hungarian method with row and column
/// potentials (the Jonker–Volgenant / Crouse family that scipy's <c>linear_sum_assignment</c> uses), O(n²·m) for
/// n rows and m ≥ n columns. Every row gets a distinct column when rows ≤ columns; with more rows than columns,
/// every column gets a distinct row and the other rows stay unassigned (−1).
/// </summary>
public static class LinearAssignment
{
    /// <summary>The assignment that maximises the total weight Σ weight[r, col[r]].</summary>
    /// <param name="weight">Row-major weights, rows × cols; every value finite.</param>
    /// <returns>col[r] for each row (−1 when the row is left unassigned because rows &gt; cols).</returns>
    public static int[] Maximize(double[] weight, int rows, int cols) => Solve(weight, rows, cols, maximize: true);

    /// <summary>The assignment that minimises the total cost Σ cost[r, col[r]].</summary>
    public static int[] Minimize(double[] cost, int rows, int cols) => Solve(cost, rows, cols, maximize: false);

    /// <summary>Σ matrix[r, col[r]] over the assigned rows.</summary>
    public static double Total(double[] matrix, int cols, int[] assignment)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(assignment);
        double sum = 0;
        for (int r = 0; r < assignment.Length; r++)
        {
            if (assignment[r] >= 0)
            {
                sum += matrix[(r * cols) + assignment[r]];
            }
        }
        return sum;
    }

    private static int[] Solve(double[] matrix, int rows, int cols, bool maximize)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        if (matrix.Length != (long)rows * cols)
        {
            throw new ArgumentException($"The matrix holds {matrix.Length} values, not {rows} x {cols}.", nameof(matrix));
        }
        foreach (double v in matrix)
        {
            if (!double.IsFinite(v))
            {
                throw new ArgumentException("The assignment matrix must hold finite values only.", nameof(matrix));
            }
        }
        if (rows == 0 || cols == 0)
        {
            return Enumerable.Repeat(-1, rows).ToArray();
        }
        double sign = maximize ? -1 : 1;
        if (rows <= cols)
        {
            return Hungarian(matrix, rows, cols, sign, transposed: false);
        }
        // More rows than columns: solve the transpose (columns choose rows), then invert.
        int[] rowForCol = Hungarian(matrix, cols, rows, sign, transposed: true);
        var result = Enumerable.Repeat(-1, rows).ToArray();
        for (int c = 0; c < cols; c++)
        {
            result[rowForCol[c]] = c;
        }
        return result;
    }

    /// <summary>Minimises Σ sign·a[i, p(i)] for n ≤ m; a is read transposed when <paramref name="transposed"/>.</summary>
    private static int[] Hungarian(double[] a, int n, int m, double sign, bool transposed)
    {
        // 1-based potentials u (rows) and v (columns); p[j] = row matched to column j (0 = none), way = back-pointers.
        var u = new double[n + 1];
        var v = new double[m + 1];
        var p = new int[m + 1];
        var way = new int[m + 1];
        var minv = new double[m + 1];
        var used = new bool[m + 1];
        int stride = transposed ? n : m;
        for (int i = 1; i <= n; i++)
        {
            p[0] = i;
            int j0 = 0;
            Array.Fill(minv, double.PositiveInfinity);
            Array.Clear(used);
            do
            {
                used[j0] = true;
                int i0 = p[j0];
                double delta = double.PositiveInfinity;
                int j1 = 0;
                double ui0 = u[i0];
                for (int j = 1; j <= m; j++)
                {
                    if (used[j])
                    {
                        continue;
                    }
                    double value = transposed ? a[((j - 1) * stride) + (i0 - 1)] : a[((i0 - 1) * stride) + (j - 1)];
                    double cur = (sign * value) - ui0 - v[j];
                    if (cur < minv[j])
                    {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if (minv[j] < delta)
                    {
                        delta = minv[j];
                        j1 = j;
                    }
                }
                for (int j = 0; j <= m; j++)
                {
                    if (used[j])
                    {
                        u[p[j]] += delta;
                        v[j] -= delta;
                    }
                    else
                    {
                        minv[j] -= delta;
                    }
                }
                j0 = j1;
            }
            while (p[j0] != 0);
            do
            {
                int j1 = way[j0];
                p[j0] = p[j1];
                j0 = j1;
            }
            while (j0 != 0);
        }
        var colForRow = new int[n];
        for (int j = 1; j <= m; j++)
        {
            if (p[j] != 0)
            {
                colForRow[p[j] - 1] = j - 1;
            }
        }
        return colForRow;
    }
}
