using System.Globalization;
using System.Text.Json.Nodes;
using Tessera.Experiments;

namespace Tessera.Methods.Arithmetic;

/// <summary>The low-rank matrix completion reference (spec §2.8, R4): success probability of the iterative 2×2
/// completion of the n×n addition table against the number k of revealed entries.</summary>
public sealed record LrmcConfig : IRunConfig, IValidatable
{
    public long Seed { get; init; }

    public int Threads { get; init; } = 1;

    /// <summary>Table sizes n (n = 100 is the 2-digit addition table).</summary>
    public int[] Sizes { get; init; } = [20, 50, 100];

    /// <summary>Revealed entries as fractions of n²: from, to (inclusive) and step.</summary>
    public double[] Fractions { get; init; } = [0.04, 0.40, 0.01];

    public int Trials { get; init; } = 100;

    public void Validate()
    {
        if (Sizes.Length == 0 || Sizes.Any(n => n < 2) || Trials < 1)
        {
            throw new InputException("sizes must be a non-empty list of n >= 2 and trials >= 1.");
        }
        if (Fractions.Length != 3 || Fractions[0] <= 0 || Fractions[1] > 1 || Fractions[0] > Fractions[1] || Fractions[2] <= 0)
        {
            throw new InputException("fractions must be [from, to, step] with 0 < from <= to <= 1 and step > 0.");
        }
    }

    public IEnumerable<int> Ks(int n)
    {
        int count = (int)Math.Round((Fractions[1] - Fractions[0]) / Fractions[2]) + 1;
        return Enumerable.Range(0, count).Select(i => (int)Math.Round((Fractions[0] + (i * Fractions[2])) * n * n)).Distinct();
    }
}

public sealed class LrmcExperiment : Experiment<LrmcConfig>
{
    public override string Name => "lrmc";

    public override string Description => "Low-rank matrix completion of the addition table: the sample threshold the transformer is compared with.";

    public override string Reference => "src/Tessera/Methods/Arithmetic/README.md";

    public override JsonObject Run(LrmcConfig config, RunContext ctx)
    {
        var summary = new JsonObject { ["trials"] = config.Trials };
        foreach (int n in config.Sizes)
        {
            IReadOnlyList<(int K, double P)> curve = MatrixCompletion.Curve(n, config.Ks(n), config.Trials, config.Seed);
            foreach ((int k, double p) in curve)
            {
                ctx.Log(k, $"n={n}", "success", p);
            }
            ThresholdSummary t = ThresholdSummary.Of(curve);
            summary[$"n{n}"] = new JsonObject
            {
                ["k_last_below_10pct"] = t.Below10,
                ["k_half"] = Math.Round(t.Half, 1),
                ["k_first_above_90pct"] = t.Above90,
                ["ratio_90_to_10"] = Math.Round((double)t.Above90 / t.Below10, 3),
            };
            ctx.Info(string.Create(CultureInfo.InvariantCulture,
                $"n={n}: P<=0.1 up to k={t.Below10}, P=0.5 at k~{t.Half:F0}, P>=0.9 from k={t.Above90} (x{(double)t.Above90 / t.Below10:F2})"));
            ctx.Progress("lrmc", Array.IndexOf(config.Sizes, n) + 1, config.Sizes.Length);
        }
        return summary;
    }

    public override IEnumerable<Figure> Figures(IReadOnlyList<MetricRecord> metrics)
    {
        FigureSeries[] series = metrics.Where(m => m.Metric == "success").GroupBy(m => m.Split)
            .Select(g => new FigureSeries(g.Key, g.Select(m => (double)m.Step).ToArray(), g.Select(m => m.Value).ToArray()))
            .ToArray();
        yield return new Figure("success", "Iterative completion of the n x n addition table", "revealed entries k",
            "success probability", series, LogX: true);
    }

    public override QuickstartLine Quickstart(RunDirectory dir, IRunSink sink)
    {
        JsonObject s = RunPreset("smoke", dir, sink);
        double half = s["n100"]!["k_half"]!.GetValue<double>();
        double ratio = s["n100"]!["ratio_90_to_10"]!.GetValue<double>();
        return new QuickstartLine("lrmc", "completing the rank-2 addition table from k random entries has a sharp threshold (n=100: 50% at k~1400)",
            string.Create(CultureInfo.InvariantCulture, $"n=100: 50% at k~{half:F0}; 10%->90% within x{ratio:F2} of k"), ratio <= 1.6);
    }
}

/// <summary>Where a success-probability curve crosses 10%, 50% (interpolated) and 90%.</summary>
public readonly record struct ThresholdSummary(int Below10, double Half, int Above90)
{
    public static ThresholdSummary Of(IReadOnlyList<(int K, double P)> curve)
    {
        int below = curve.Where(c => c.P <= 0.1).Select(c => c.K).DefaultIfEmpty(curve[0].K).Max();
        int above = curve.Where(c => c.P >= 0.9).Select(c => c.K).DefaultIfEmpty(curve[^1].K).Min();
        double half = curve[^1].K;
        for (int i = 1; i < curve.Count; i++)
        {
            if (curve[i].P >= 0.5)
            {
                (int k0, double p0) = curve[i - 1];
                (int k1, double p1) = curve[i];
                half = p1 == p0 ? k1 : k0 + ((0.5 - p0) / (p1 - p0) * (k1 - k0));
                break;
            }
        }
        return new ThresholdSummary(below, half, above);
    }
}
