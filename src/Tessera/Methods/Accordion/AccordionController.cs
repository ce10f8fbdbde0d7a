using System.Text.Json.Nodes;

namespace Tessera.Methods.Accordion;

/// <summary>A compression level of one tensor: ℓ_low (critical regime) or ℓ_high.</summary>
public enum Level
{
    Low = 0,
    High = 1,
}

/// <summary>
/// The ACCORDION controller (spec §2.2–2.3, code: auto_scale.py::run_auto_scale_gng), per tensor. At the end of every
/// epoch it records the norm of each tensor's epoch-accumulated gradient (worker 0's raw local gradients); at check
/// epochs (e mod interval = 0) it compares with the norm of the check epoch <c>interval</c> epochs earlier: a relative
/// change ≥ η (or epoch 0, or an old norm of 0) is critical → LOW, else HIGH. After the detector, a learning-rate drop
/// before the next epoch sets every tensor to LOW (warm-up increases never do). Levels chosen at the end of epoch e
/// apply from epoch e+1. Only tensors marked adaptive act on the ratios (1-D tensors are always sent raw). The batch-size
/// variant uses one entry (the global norm) with Low = small batch.
/// </summary>
public sealed class AccordionController
{
    private readonly bool[] _adaptive;
    private readonly Dictionary<int, double[]> _history = [];

    /// <param name="adaptive">Per tensor: whether its level follows the detector (compressible tensors).</param>
    /// <param name="start">Every adaptive tensor's level in epoch 0.</param>
    /// <param name="enabled">False for static runs: levels never change.</param>
    public AccordionController(bool[] adaptive, Level start, int interval, double eta, bool lrDecayOverride, bool enabled)
    {
        ArgumentNullException.ThrowIfNull(adaptive);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(interval);
        _adaptive = adaptive.ToArray();
        Levels = adaptive.Select(_ => start).ToArray();
        (Interval, Eta, LrDecayOverride, Enabled) = (interval, eta, lrDecayOverride, enabled);
    }

    public int Interval { get; }

    public double Eta { get; }

    public bool LrDecayOverride { get; }

    public bool Enabled { get; }

    /// <summary>The level of each tensor for the coming epoch.</summary>
    public Level[] Levels { get; private set; }

    /// <summary>The ratios computed by this epoch's check (null when the last <see cref="EndEpoch"/> ran no check, and
    /// at epoch 0), so they are never reported twice and a resumed run reports exactly what an uninterrupted one does.</summary>
    public double[]? LastRatios { get; private set; }

    /// <summary>Why the last decision was made: "check", "start", "lr-drop", "check+lr-drop" or "".</summary>
    public string LastReason { get; private set; } = "";

    /// <summary>The recorded norms of an epoch, or null.</summary>
    public double[]? Norms(int epoch) => _history.TryGetValue(epoch, out double[]? n) ? n : null;

    /// <summary>The relative change |old − new| / old; an old norm of 0 counts as critical (the code's 9).</summary>
    public static double Ratio(double oldNorm, double newNorm) => oldNorm == 0 ? 9 : Math.Abs(oldNorm - newNorm) / oldNorm;

    /// <summary>The detector rule for one tensor: ratio ≥ η → LOW (critical), else HIGH.</summary>
    public static Level Decide(double oldNorm, double newNorm, double eta) => Ratio(oldNorm, newNorm) >= eta ? Level.Low : Level.High;

    /// <summary>Records epoch <paramref name="epoch"/>'s norms and returns the levels for epoch + 1.</summary>
    /// <param name="lrNow">The learning rate of this epoch.</param>
    /// <param name="lrNext">The learning rate of the next epoch.</param>
    public Level[] EndEpoch(int epoch, double[] norms, double lrNow, double lrNext)
    {
        ArgumentNullException.ThrowIfNull(norms);
        if (norms.Length != _adaptive.Length)
        {
            throw new ArgumentException($"Expected {_adaptive.Length} norms, got {norms.Length}.", nameof(norms));
        }
        _history[epoch] = norms.ToArray();
        LastReason = "";
        LastRatios = null;
        if (!Enabled)
        {
            return Levels;
        }
        Level[] next = Levels.ToArray();
        if (epoch % Interval == 0)
        {
            if (epoch == 0)
            {
                Array.Fill(next, Level.Low);
                LastReason = "start";
            }
            else
            {
                double[] old = _history.TryGetValue(epoch - Interval, out double[]? o) ? o
                    : throw new InvalidOperationException($"No norms recorded for epoch {epoch - Interval}, needed by the check at epoch {epoch}.");
                LastRatios = norms.Select((n, j) => Ratio(old[j], n)).ToArray();
                for (int j = 0; j < next.Length; j++)
                {
                    next[j] = LastRatios[j] >= Eta ? Level.Low : Level.High;
                }
                LastReason = "check";
            }
        }
        if (LrDecayOverride && lrNext < lrNow)
        {
            Array.Fill(next, Level.Low);
            LastReason = LastReason.Length == 0 ? "lr-drop" : LastReason + "+lr-drop";
        }
        for (int j = 0; j < next.Length; j++)
        {
            if (!_adaptive[j])
            {
                next[j] = Levels[j];
            }
        }
        Levels = next;
        // Only the check epochs' norms are ever read again (as the next check's Δ_old).
        foreach (int e in _history.Keys.Where(e => e < epoch - Interval || (e < epoch && e % Interval != 0)).ToArray())
        {
            _history.Remove(e);
        }
        return Levels;
    }

    /// <summary>Replaces the levels (e.g. with the decision broadcast by worker 0).</summary>
    public void SetLevels(Level[] levels)
    {
        ArgumentNullException.ThrowIfNull(levels);
        Levels = levels.ToArray();
    }

    public JsonObject Save() => new()
    {
        ["levels"] = new JsonArray(Levels.Select(l => (JsonNode)(int)l).ToArray()),
        ["history"] = new JsonObject(_history.OrderBy(kv => kv.Key).Select(kv =>
            KeyValuePair.Create(kv.Key.ToString(System.Globalization.CultureInfo.InvariantCulture),
                (JsonNode?)new JsonArray(kv.Value.Select(v => (JsonNode)v).ToArray())))),
    };

    public void Load(JsonObject state)
    {
        ArgumentNullException.ThrowIfNull(state);
        Levels = state["levels"]!.AsArray().Select(n => (Level)n!.GetValue<int>()).ToArray();
        _history.Clear();
        foreach ((string k, JsonNode? v) in state["history"]!.AsObject())
        {
            _history[int.Parse(k, System.Globalization.CultureInfo.InvariantCulture)] = v!.AsArray().Select(x => x!.GetValue<double>()).ToArray();
        }
    }
}
