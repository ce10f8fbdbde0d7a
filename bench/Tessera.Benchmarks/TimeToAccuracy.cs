using System.Globalization;
using System.Text.Json.Nodes;

namespace Tessera.Benchmarks;

/// <summary>Reads the runs of accordion-netns.sh (&lt;out&gt;/&lt;rate&gt;/{none,static-low,accordion}/summary.json) and prints
/// the mean epoch time and each run's training time to the uncompressed run's final accuracy (within 0.5 pt), with
/// ratios to ACCORDION's. When a run never gets there, it also prints the times to the best accuracy that all three
/// runs reach, so that a ratio exists, and the ratio of the whole training times.</summary>
public static class TimeToAccuracy
{
    public static int Report(string outDir)
    {
        foreach (string rateDir in Directory.GetDirectories(outDir).Order(StringComparer.Ordinal))
        {
            string Summary(string mode) => Path.Combine(rateDir, mode, "summary.json");
            if (!File.Exists(Summary("none")))
            {
                continue;
            }
            JsonObject Load(string mode) => (JsonObject)JsonNode.Parse(File.ReadAllText(Summary(mode)))!;
            double target = Load("none")["test_acc"]!.GetValue<double>() - 0.005;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(rateDir)}: target accuracy {target:P2} (uncompressed final − 0.5 pt)"));
            string[] modes = new[] { "none", "static-low", "accordion" }.Where(m => File.Exists(Summary(m))).ToArray();
            var runs = modes.ToDictionary(m => m, Load);
            foreach (string mode in modes)
            {
                JsonObject s = runs[mode];
                int epochs = s["epochs_log"]!.AsArray().Count;
                double tta = TimeTo(s, target);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {mode,-11} final {s["test_acc"]!.GetValue<double>():P2}, {s["train_s"]!.GetValue<double>() / epochs:F1} s/epoch (comm {s["comm_s"]!.GetValue<double>() / epochs:F1}), time to target {(double.IsNaN(tta) ? "not reached" : $"{tta:F0} s")}"));
            }
            Ratios("time to target", runs, s => TimeTo(s, target));
            if (runs.Values.Any(s => double.IsNaN(TimeTo(s, target))))
            {
                double common = runs.Values.Min(s => s["epochs_log"]!.AsArray().Max(e => e!["test_acc"]?.GetValue<double>() ?? 0));
                string label = string.Create(CultureInfo.InvariantCulture, $"time to {common:P2}");
                Console.WriteLine($"  {common.ToString("P2", CultureInfo.InvariantCulture)} is the best accuracy all runs reach; " +
                    string.Join(", ", runs.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {TimeTo(kv.Value, common):F0} s"))));
                Ratios(label, runs, s => TimeTo(s, common));
            }
            Ratios("whole training time", runs, s => s["train_s"]!.GetValue<double>());
        }
        return 0;
    }

    /// <summary>Training seconds until the first evaluation at or above <paramref name="accuracy"/>; NaN if never.</summary>
    private static double TimeTo(JsonObject summary, double accuracy) =>
        summary["epochs_log"]!.AsArray().FirstOrDefault(e => e!["test_acc"] is { } a && a.GetValue<double>() >= accuracy) is { } reached
            ? reached["train_cum_s"]!.GetValue<double>()
            : double.NaN;

    private static void Ratios(string what, Dictionary<string, JsonObject> runs, Func<JsonObject, double> seconds)
    {
        if (!runs.TryGetValue("accordion", out JsonObject? accordion) || double.IsNaN(seconds(accordion)))
        {
            return;
        }
        foreach ((string mode, JsonObject run) in runs.Where(kv => kv.Key != "accordion"))
        {
            double ratio = seconds(run) / seconds(accordion);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {what}, {mode} / ACCORDION: {(double.IsNaN(ratio) ? "not reached" : $"{ratio:F2}x")}"));
        }
    }
}
