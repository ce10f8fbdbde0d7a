using System.Globalization;
using System.Text.Json.Nodes;

namespace Tessera.Methods.LoopedTf;

/// <summary>The reduced-scale checks of spec §6 (R1/R2 gates and the smoke check S), evaluated on a run's error
/// curves and written to <c>summary.checks</c>: each check has a value, a threshold, hard or soft, and pass.</summary>
public static class LoopedChecks
{
    public static void Apply(LoopedConfig config, int? trainedLoops, IReadOnlyDictionary<string, double[]> curves, JsonObject summary)
    {
        LoopedChecksConfig c = config.Checks;
        var checks = new JsonObject();
        void Add(string name, double value, string threshold, bool pass, bool hard) =>
            checks[name] = new JsonObject
            {
                ["value"] = double.IsFinite(value) ? Math.Round(value, 5) : null,
                ["threshold"] = threshold,
                ["hard"] = hard,
                ["pass"] = pass,
            };

        foreach (string model in new[] { "looped", "standard" })
        {
            double limit = model == "looped" ? c.MaxLossRatioLooped : c.MaxLossRatioStandard;
            if (limit > 0 && summary[model]?["loss_ratio"] is { } ratio)
            {
                double r = ratio.GetValue<double>();
                Add($"{model}_loss_ratio", r, $"<= {Inv(limit)} (last 50 / first 50 steps)", r <= limit, hard: true);
            }
        }

        if (trainedLoops is int b && summary["eval_loops"] is { } evalLoopsNode)
        {
            int loops = evalLoopsNode.GetValue<int>();
            double looped = curves[$"looped@{loops}"][^1];
            if (c.MaxError > 0)
            {
                Add("max_error", looped, $"<= {Inv(c.MaxError)} (looped err at the last i, {loops} loops)", looped <= c.MaxError, hard: true);
            }
            if (c.MaxVsAveraging > 0 && curves.TryGetValue("averaging", out double[]? avg))
            {
                double ratio = looped / avg[^1];
                Add("vs_averaging", ratio, $"<= {Inv(c.MaxVsAveraging)} (looped / averaging at the last i)", ratio <= c.MaxVsAveraging, hard: true);
            }
            if (c.MaxVsKnn > 0 && curves.TryGetValue("knn", out double[]? knn))
            {
                double ratio = looped / knn[^1];
                Add("vs_knn", ratio, $"<= {Inv(c.MaxVsKnn)} (looped / k-NN at the last i)", ratio <= c.MaxVsKnn, hard: true);
            }
            if (c.VsStandardFactor > 0 && curves.TryGetValue("standard", out double[]? standard))
            {
                double bound = (c.VsStandardFactor * standard[^1]) + c.VsStandardSlack;
                Add("vs_standard", looped, $"<= {Inv(c.VsStandardFactor)} x standard + {Inv(c.VsStandardSlack)} = {Inv(Math.Round(bound, 4))}",
                    looped <= bound, hard: false);
            }
            if (c.FixedPoint && summary["loop_curve_last"] is JsonObject curve)
            {
                double At(int t) => curve[Inv(t)]!.GetValue<double>();
                int before = (int)Math.Round(0.8 * loops);
                double drift = Math.Abs(At(loops) - At(before));
                bool flat = drift <= 0.05 * At(before);
                bool bounded = At(loops) <= 2 * At(b);
                bool converged = At(1) >= 3 * At(b);
                Add("fixed_point", drift / At(before),
                    $"abs(err({loops}) - err({before})) <= 5% of err({before}); err({loops}) <= 2 err({b}) [{Inv(Math.Round(At(loops) / At(b), 3))}]; " +
                    $"err(1) >= 3 err({b}) [{Inv(Math.Round(At(1) / At(b), 2))}]",
                    flat && bounded && converged, hard: true);
            }
        }
        if (c.Leakage)
        {
            foreach ((string name, double[] curve) in curves.Where(kv => kv.Key.StartsWith("looped@", StringComparison.Ordinal) || kv.Key == "standard"))
            {
                bool ok = curve[0] is >= 0.85 and <= 1.15 && (curve.Length <= 2 || curve[2] >= 0.5);
                Add($"leakage_{name}", curve[0], $"err(0) in [0.85, 1.15], err(2) >= 0.5 [{(curve.Length > 2 ? Inv(Math.Round(curve[2], 4)) : "-")}]", ok, hard: true);
            }
        }
        summary["checks"] = checks;
        summary["hard_checks_pass"] = checks.All(kv => !kv.Value!["hard"]!.GetValue<bool>() || kv.Value["pass"]!.GetValue<bool>());
    }

    private static string Inv(double v) => v.ToString(CultureInfo.InvariantCulture);
}
