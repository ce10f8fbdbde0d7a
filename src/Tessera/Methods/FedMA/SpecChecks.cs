using System.Globalization;
using System.Text.Json.Nodes;

namespace Tessera.Methods.FedMA;

/// <summary>
/// The spec's acceptance checks (§6) evaluated on a run's summary, with the thresholds exactly as written there. A
/// check whose inputs the run did not produce is left out. Check 8 is a report, not a pass/fail: which of FedAvg and
/// FedMA is ahead per round and per byte.
/// </summary>
public static class SpecChecks
{
    public static JsonObject Evaluate(JsonObject s, FedmaConfig config, FedArchitecture arch)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(arch);
        var checks = new JsonObject();
        double? naive = Get(s, "naive", "acc"), oneshot = Get(s, "oneshot", "acc"), meanLocal = Get(s, "locals", "mean_acc");
        double[] fedma = Array(s, "fedma", "acc");
        double? pass = fedma.Length > 0 ? fedma[0] : null;
        int j = config.Data.Clients;
        bool lstm = arch.Name == "lstm";

        if (naive is { } n && oneshot is { } o && !lstm)
        {
            Add(checks, "1_permutation", n <= 0.25 && o >= n + 0.25, $"naive {F(n)} <= 0.25, one-shot {F(o)} >= naive + 0.25");
        }
        int[]? widths = s["fedma"]?["widths"] is JsonArray w && w.Count > 0 ? ((JsonArray)w[0]!).Select(x => x!.GetValue<int>()).ToArray() : null;
        if (pass is { } p && !lstm && oneshot is { } o4 && meanLocal is { } ml && widths is not null)
        {
            bool widthOk = widths.Select((x, l) => x >= arch.LocalWidths[l] && x <= j * arch.LocalWidths[l]).All(b => b);
            double ratio = s["fedma"]?["parameters"] is JsonArray ps && ps.Count > 0 ? Number(ps[0]!) / Number(s["local_parameters"]!) : double.NaN;
            Add(checks, "4_pass", p >= o4 - 0.01 && p >= ml + 0.05 && widthOk && ratio <= 3,
                $"pass {F(p)} >= one-shot {F(o4)} - 0.01 and >= mean local {F(ml)} + 0.05; widths {string.Join("/", widths)} in [local, J*local]: {widthOk}; parameters {ratio:F2}x <= 3x");
        }
        if (fedma.Length > 1 && widths is not null && !lstm)
        {
            bool monotone = fedma.Zip(fedma.Skip(1)).All(t => t.Second >= t.First - 0.01);
            bool gain = fedma.Length < 4 || fedma[3] >= fedma[0] + 0.03;
            int[] last = ((JsonArray)((JsonArray)s["fedma"]!["widths"]!)[^1]!).Select(x => x!.GetValue<int>()).ToArray();
            bool stable = last.Zip(widths).All(t => Math.Abs(t.First - t.Second) <= 0.1 * t.Second);
            Add(checks, "5_rounds", monotone && gain && stable,
                $"accuracy by round {string.Join(" ", fedma.Select(F))}: non-decreasing within 0.01: {monotone}; after 3 rounds >= pass + 0.03: {(fedma.Length < 4 ? "n/a" : gain.ToString())}; widths {string.Join("/", last)} within 10% of the pass: {stable}");
        }
        if (lstm && pass is { } lp && meanLocal is { } lm && widths is not null)
        {
            bool hidden = widths[1] >= arch.LocalWidths[1] && widths[1] <= j * arch.LocalWidths[1];
            bool rounds = fedma.Length < 3 || fedma[2] >= lp + 0.03;
            Add(checks, "9_lstm", lp >= lm - 0.02 && rounds && hidden,
                $"pass {F(lp)} >= mean local {F(lm)} - 0.02; after 2 rounds {(fedma.Length < 3 ? "n/a" : F(fedma[2]))} >= pass + 0.03; hidden width {widths[1]} in [{arch.LocalWidths[1]}, {j * arch.LocalWidths[1]}]");
        }
        if (pass is { } r0 && meanLocal is { } r0l)
        {
            Add(checks, "r0_global", r0 > 0.40 && r0 > r0l, $"FedMA pass {F(r0)} > 0.40 and > mean local {F(r0l)}");
        }
        double[] fedavg = Array(s, "fedavg", "acc"), fedavgBytes = Array(s, "fedavg", "bytes"), fedmaBytes = Array(s, "fedma", "bytes");
        if (fedma.Length > 0 && fedavg.Length > 1)
        {
            double byBudget = fedavg.Where((_, i) => fedavgBytes[i] <= fedmaBytes[^1]).LastOrDefault(fedavg[0]);
            double sameRounds = fedavg[Math.Min(fedma.Length, fedavg.Length - 1)];
            checks["8_fedavg_vs_fedma"] = new JsonObject
            {
                ["fedma_final"] = fedma[^1],
                ["fedma_bytes"] = fedmaBytes[^1],
                ["fedavg_same_bytes"] = byBudget,
                ["fedavg_same_rounds"] = sameRounds,
                ["per_byte_winner"] = fedma[^1] >= byBudget ? "fedma" : "fedavg",
                ["per_round_winner"] = fedma[^1] >= sameRounds ? "fedma" : "fedavg",
                ["detail"] = $"FedMA {F(fedma[^1])} after {fedma.Length - 1} rounds + pass ({fedmaBytes[^1] / 1e6:F2} MB); FedAvg with no more bytes {F(byBudget)}; FedAvg after as many rounds (pass counted as one) {F(sameRounds)}",
            };
        }
        return checks;
    }

    private static void Add(JsonObject checks, string name, bool holds, string detail) =>
        checks[name] = new JsonObject { ["holds"] = holds, ["detail"] = detail };

    private static double? Get(JsonObject s, string a, string b) => s[a]?[b] is JsonValue v ? Number(v) : null;

    /// <summary>A JSON number as a double, whether it was written as an integer or not.</summary>
    private static double Number(JsonNode n) =>
        n is JsonValue v && v.TryGetValue(out double d) ? d : double.Parse(n.ToJsonString(), CultureInfo.InvariantCulture);

    private static double[] Array(JsonObject s, string a, string b) =>
        s[a]?[b] is JsonArray arr ? arr.Select(x => Number(x!)).ToArray() : [];

    private static string F(double v) => v.ToString("F3", CultureInfo.InvariantCulture);
}
