using System.Globalization;
using System.Text;
using Tessera.Experiments;

namespace Tessera.Methods.Arithmetic;

/// <summary>
/// Sweep report: test accuracy against the number of training examples, one line per format (the paper's
/// sample-efficiency figure), with the LRMC success probability of the same table beside it, and a table next to
/// the paper's numbers (spec §5) and the reduced-scale calibration (spec §6).
/// </summary>
public static class ArithmeticSweep
{
    private static readonly int[] PaperSizes = [250, 500, 1000, 2000, 3000, 4000, 5000, 10000, 20000];

    /// <summary>Spec §5, 3-digit addition, NanoGPT 6x384, % exact match (the paper's repository's result files).</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyDictionary<int, double>> Paper = new Dictionary<string, IReadOnlyDictionary<int, double>>
    {
        ["plain"] = Row([0, 0, 0.4, 1.7, 28.7, 62.3, 81.1, 87.4, 90.1]),
        ["reverse"] = Row([0, 0, 1.6, 30.6, 79.1, 98.2, 99.8, 100, 100]),
        ["simplified"] = Row([0.4, 0.1, 84.6, 99.7, 99.8, 99.9, 100, 100, 100]),
        ["detailed"] = Row([59.5, 92.8, 99.8, 99.6, 100, 100, 99.9, 100, 100]),
    };

    /// <summary>Spec §6 R1–R3 calibration, 2-digit table, model T, 3000 iterations, % exact match.</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyDictionary<int, double>> Calibration = new Dictionary<string, IReadOnlyDictionary<int, double>>
    {
        ["plain"] = new Dictionary<int, double> { [1000] = 57.9, [4000] = 81.5 },
        ["reverse"] = new Dictionary<int, double> { [500] = 24.2, [1000] = 75.9, [2000] = 89.6, [4000] = 99.2 },
        ["simplified"] = new Dictionary<int, double> { [1000] = 92.6 },
    };

    private static IReadOnlyDictionary<int, double> Row(double[] values) =>
        PaperSizes.Zip(values).ToDictionary(p => p.First, p => p.Second);

    private static string Format(SweepResult r) => r.Summary["format"]?.GetValue<string>() ?? "?";

    /// <summary>A line of the plots: the format, plus every other grid value that varies (e.g. train.iters=1500),
    /// so that cells differing in more than N and the seed are never averaged together.</summary>
    private static Func<SweepResult, string> Line(IReadOnlyList<SweepResult> results)
    {
        string[] varying = results.SelectMany(r => r.Cell.Overrides.Select(o => o.Split('=', 2)[0])).Distinct()
            .Where(k => k is not ("data.format" or "data.trainSize") && results.Select(r => r.Cell.Value(k)).Distinct().Count() > 1)
            .Order(StringComparer.Ordinal).ToArray();
        return r => string.Join(", ", varying.Select(k => $"{k}={r.Cell.Value(k)}").Prepend(Format(r)));
    }

    private static int Size(SweepResult r) => (int)r.Number("train_size");

    /// <summary>(format, N) → mean and std over seeds of a summary number.</summary>
    private static IEnumerable<(string Format, IReadOnlyList<(int N, double Mean, double Std)> Points)> Curves(
        IReadOnlyList<SweepResult> results, string key) =>
        results.GroupBy(Line(results)).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, (IReadOnlyList<(int, double, double)>)g
            .GroupBy(Size).OrderBy(n => n.Key)
            .Select(n =>
            {
                (double mean, double std) = Stats.MeanStd(n.Select(r => r.Number(key)).ToArray());
                return (n.Key, mean, std);
            }).ToArray()));

    public static IEnumerable<Figure> Figures(IReadOnlyList<SweepResult> results)
    {
        var accuracy = Curves(results, "test_acc")
            .Select(c => new FigureSeries(c.Format, c.Points.Select(p => (double)p.N).ToArray(), c.Points.Select(p => 100 * p.Mean).ToArray(),
                c.Points.Select(p => 100 * p.Std).ToArray()))
            .ToList();
        int digits = (int)results[0].Number("digits");
        int[] sizes = results.Select(Size).Distinct().Order().ToArray();
        if (results.All(r => r.Summary["operation"]?.GetValue<string>() == "add") && digits <= 2)
        {
            // LRMC reveals k of the n×n table; the transformer's training set is k distinct pairs of the same table.
            int n = (int)Math.Pow(10, digits);
            // A fine grid between the smallest and largest N, so the threshold shows between the sweep's sizes.
            int lo = sizes[0], hi = Math.Min(sizes[^1], n * n);
            int[] ks = Enumerable.Range(0, 40).Select(i => (int)Math.Round(lo * Math.Pow((double)hi / lo, i / 39.0))).Distinct().ToArray();
            var curve = MatrixCompletion.Curve(n, ks, trials: 100, seed: 0);
            accuracy.Add(new FigureSeries($"LRMC success probability (n={n})", curve.Select(c => (double)c.K).ToArray(), curve.Select(c => 100 * c.P).ToArray()));
        }
        yield return new Figure("sample_efficiency", $"{digits}-digit addition: test exact match vs training examples", "training examples N",
            "% exact match (LRMC: % success)", accuracy, LogX: true);

        var gap = Curves(results, "train_acc").Select(c => new FigureSeries($"{c.Format} train", c.Points.Select(p => (double)p.N).ToArray(),
                c.Points.Select(p => 100 * p.Mean).ToArray()))
            .Concat(Curves(results, "test_acc").Select(c => new FigureSeries($"{c.Format} test", c.Points.Select(p => (double)p.N).ToArray(),
                c.Points.Select(p => 100 * p.Mean).ToArray())))
            .ToArray();
        yield return new Figure("train_vs_test", "Memorisation below the transition: train vs test exact match", "training examples N", "% exact match", gap, LogX: true);

        var tokens = results.GroupBy(Line(results)).Select(g =>
        {
            var points = g.GroupBy(Size).OrderBy(n => n.Key)
                .Select(n => (Tokens: n.Key * n.Average(r => r.Number("tokens_per_example")), Acc: 100 * n.Average(r => r.Number("test_acc")))).ToArray();
            return new FigureSeries(g.Key, points.Select(p => p.Tokens).ToArray(), points.Select(p => p.Acc).ToArray());
        }).ToArray();
        yield return new Figure("token_efficiency", "Test exact match vs unique training tokens", "training tokens (N x tokens per example)", "% exact match", tokens, LogX: true);
    }

    public static string Table(IReadOnlyList<SweepResult> results)
    {
        int[] sizes = results.Select(Size).Distinct().Order().ToArray();
        int seeds = results.Select(r => r.Cell.Seed).Distinct().Count();
        var md = new StringBuilder();
        md.Append(CultureInfo.InvariantCulture, $"Test exact match, % (mean ± std over {seeds} seed{(seeds == 1 ? "" : "s")}; train exact match in brackets).\n\n");
        md.Append("| format | source | ").Append(string.Join(" | ", sizes.Select(n => $"N={n}"))).Append(" |\n");
        md.Append("|---|---|").Append(string.Concat(sizes.Select(_ => "---|"))).Append('\n');
        var train = Curves(results, "train_acc").ToDictionary(c => c.Format, c => c.Points.ToDictionary(p => p.N, p => p.Mean));
        foreach ((string format, IReadOnlyList<(int N, double Mean, double Std)> points) in Curves(results, "test_acc"))
        {
            var byN = points.ToDictionary(p => p.N);
            md.Append(CultureInfo.InvariantCulture, $"| {format} | this sweep | ").Append(string.Join(" | ", sizes.Select(n => byN.TryGetValue(n, out var p)
                ? string.Create(CultureInfo.InvariantCulture, $"{100 * p.Mean:F1} ± {100 * p.Std:F1} ({Stats.Percent(train[format].GetValueOrDefault(n, double.NaN))})")
                : "–"))).Append(" |\n");
            foreach ((string source, var table) in new[] { ("calibration (2-digit, model T, 3000 it)", Calibration), ("paper (3-digit, NanoGPT 6x384)", Paper) })
            {
                if (table.TryGetValue(format.Split(", ")[0], out var row))
                {
                    md.Append(CultureInfo.InvariantCulture, $"| {format} | {source} | ")
                        .Append(string.Join(" | ", sizes.Select(n => row.TryGetValue(n, out double v) ? v.ToString("F1", CultureInfo.InvariantCulture) : "–")))
                        .Append(" |\n");
                }
            }
        }
        return md.ToString();
    }
}
