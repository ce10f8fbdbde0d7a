using System.Globalization;
using System.Text.Json.Nodes;

namespace Tessera.Benchmarks;

/// <summary>Reads the runs of accordion-netns.sh (&lt;out&gt;/&lt;rate&gt;/{none,static-low,accordion}/summary.json) and prints
/// the mean epoch time and each run's training time to the uncompressed run's final accuracy (within 0.5 pt), with
/// ratios to ACCORDION's.</summary>
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
            var times = new Dictionary<string, double>();
            foreach (string mode in new[] { "none", "static-low", "accordion" })
            {
                if (!File.Exists(Summary(mode)))
                {
                    continue;
                }
                JsonObject s = Load(mode);
                JsonArray epochs = s["epochs_log"]!.AsArray();
                double epochTime = s["train_s"]!.GetValue<double>() / epochs.Count;
                JsonNode? reached = epochs.FirstOrDefault(e => e!["test_acc"] is { } a && a.GetValue<double>() >= target);
                double tta = reached is null ? double.NaN : reached["train_cum_s"]!.GetValue<double>();
                times[mode] = tta;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {mode,-11} final {s["test_acc"]!.GetValue<double>():P2}, {epochTime:F1} s/epoch (comm {s["comm_s"]!.GetValue<double>() / epochs.Count:F1}), time to target {(double.IsNaN(tta) ? "not reached" : $"{tta:F0} s")}"));
            }
            if (times.TryGetValue("accordion", out double acc) && !double.IsNaN(acc))
            {
                foreach ((string mode, double t) in times.Where(kv => kv.Key != "accordion"))
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  time to target, {mode} / ACCORDION: {t / acc:F2}x"));
                }
            }
        }
        return 0;
    }
}
