namespace Tessera.Methods.LoopedTf;

/// <summary>Lasso without intercept, fitted by cyclic coordinate descent (scikit-learn's objective):
/// minimise (1/(2m))‖y − Xw‖² + α‖w‖₁. Hand-written on plain arrays.</summary>
public static class Lasso
{
    /// <summary>Fits w for X (m rows of d) and y (m). Stops when a whole sweep changes no coordinate by more than
    /// <paramref name="tol"/> (times max(1, max|w|)), or after <paramref name="maxSweeps"/> sweeps.</summary>
    public static double[] Fit(double[][] x, double[] y, double alpha, int maxSweeps = 100_000, double tol = 1e-12)
    {
        int m = y.Length, d = x.Length == 0 ? 0 : x[0].Length;
        var w = new double[d];
        var residual = (double[])y.Clone();                    // r = y − Xw with w = 0
        var norms = new double[d];
        for (int j = 0; j < d; j++)
        {
            for (int r = 0; r < m; r++)
            {
                norms[j] += x[r][j] * x[r][j];
            }
            norms[j] /= m;
        }
        for (int sweep = 0; sweep < maxSweeps; sweep++)
        {
            double maxChange = 0, maxW = 0;
            for (int j = 0; j < d; j++)
            {
                if (norms[j] == 0)
                {
                    continue;                                  // a zero column stays at 0
                }
                double rho = 0;
                for (int r = 0; r < m; r++)
                {
                    rho += x[r][j] * (residual[r] + (x[r][j] * w[j]));
                }
                rho /= m;
                double updated = SoftThreshold(rho, alpha) / norms[j];
                double change = updated - w[j];
                if (change != 0)
                {
                    for (int r = 0; r < m; r++)
                    {
                        residual[r] -= x[r][j] * change;
                    }
                    w[j] = updated;
                }
                maxChange = Math.Max(maxChange, Math.Abs(change));
                maxW = Math.Max(maxW, Math.Abs(updated));
            }
            if (maxChange <= tol * Math.Max(1.0, maxW))
            {
                break;
            }
        }
        return w;
    }

    public static double SoftThreshold(double v, double t) => v > t ? v - t : v < -t ? v + t : 0.0;
}

/// <summary>Lasso(α) per prompt and prefix (spec §3; the paper plots α = 0.01), prediction x_i·ŵ.</summary>
public sealed class LassoBaseline(double alpha) : IBaseline
{
    public string Name => "lasso";

    public Tensor Predict(Tensor xs, Tensor ys) => Baselines.PerPrefix(xs, ys, (x, y, query) =>
    {
        double[] w = Lasso.Fit(x, y, alpha);
        double p = 0;
        for (int j = 0; j < w.Length; j++)
        {
            p += w[j] * query[j];
        }
        return p;
    });
}
