using System.Globalization;
using System.Text.Json.Nodes;
using Tessera.Experiments;
using Tessera.Methods.BadMinima;

namespace Tessera.Tests.Methods.BadMinima;

public sealed class BadMinimaReportTests
{
    private static readonly RegularizerCatalog Catalog = RegularizerCatalog.Default;

    private static CellResult Cell(long seed, string setting, string init, double test, double train = 1.0, double norm = 40) =>
        new(seed, Catalog.Parse(setting), init, new JsonObject { ["test_acc"] = test, ["train_acc"] = train, ["norm"] = norm });

    private static JsonObject Phase1(double advAcc, double testAcc, long epochs) =>
        new() { ["adversarial_acc"] = advAcc, ["test_acc"] = testAcc, ["epochs"] = epochs, ["norm"] = 50.0, ["theta0_norm"] = 37.0 };

    private static IReadOnlyList<Setting> Settings(params string[] s) => s.Select(Catalog.Parse).ToArray();

    [Fact]
    public void Gaps_PerSeed_AreRandomMinusAdversarial()
    {
        // Parse twice: equal settings must still be matched (records compare by value).
        CellResult[] cells = [Cell(0, "vanilla", "random", 0.83), Cell(0, "vanilla", "adversarial", 0.78), Cell(1, "vanilla", "random", 0.82),
            Cell(1, "vanilla", "adversarial", 0.80), Cell(2, "vanilla", "random", 0.82)];

        IReadOnlyList<double> gaps = BadMinimaReport.Gaps(cells, Catalog.Parse("vanilla"));

        Assert.Equal(2, gaps.Count);                 // seed 2 has no adversarial cell
        Assert.Equal(0.05, gaps[0], 12);
        Assert.Equal(0.02, gaps[1], 12);
    }

    [Fact]
    public void Checks_SpecF1Numbers_AllHold()
    {
        // Given: the spec's §6.3 prototype numbers for seed 0 (and the same for seeds 1, 2)
        var phase1 = new Dictionary<long, JsonObject> { [0] = Phase1(0.9992, 0.095, 45), [1] = Phase1(0.9995, 0.10, 50), [2] = Phase1(0.9991, 0.09, 55) };
        var cells = new List<CellResult>();
        foreach (long s in new long[] { 0, 1, 2 })
        {
            cells.AddRange([Cell(s, "vanilla", "random", 0.8287, 0.975, 37), Cell(s, "vanilla", "adversarial", 0.7777, 1.0, 50),
                Cell(s, "mom", "random", 0.8299), Cell(s, "mom", "adversarial", 0.8221), Cell(s, "da", "random", 0.7814), Cell(s, "da", "adversarial", 0.7785),
                Cell(s, "all", "random", 0.8284), Cell(s, "all", "adversarial", 0.8191)]);
        }

        IReadOnlyList<SpecCheck> checks = BadMinimaReport.Checks(Settings("vanilla", "mom", "da", "all"), phase1, cells);

        Assert.Equal(["1.", "2.", "3a.", "3b.", "3c.", "3d.", "6.", "4a.", "4b.", "5."], checks.Select(c => c.Name.Split(' ')[0]));
        Assert.All(checks, c => Assert.True(c.Holds, $"{c.Name}: {c.Measured}"));
        Assert.Contains("5.10", checks.Single(c => c.Name.StartsWith("3c.", StringComparison.Ordinal)).Measured);
    }

    [Fact]
    public void Checks_GapPersistingUnderMomentum_OrTooSmallVanillaGap_Fail()
    {
        // Given: vanilla gap 2.5 (below the 3.0 floor) and a momentum gap of 2.1 (above 2.0 and above half of 2.5)
        CellResult[] cells = [Cell(0, "vanilla", "random", 0.830), Cell(0, "vanilla", "adversarial", 0.805),
            Cell(0, "mom", "random", 0.830), Cell(0, "mom", "adversarial", 0.809)];

        IReadOnlyList<SpecCheck> checks = BadMinimaReport.Checks(Settings("vanilla", "mom"), new Dictionary<long, JsonObject>(), cells);

        Assert.False(checks.Single(c => c.Name.StartsWith("3c.", StringComparison.Ordinal)).Holds);
        Assert.True(checks.Single(c => c.Name.StartsWith("3d.", StringComparison.Ordinal)).Holds);
        Assert.False(checks.Single(c => c.Name.StartsWith("4a.", StringComparison.Ordinal)).Holds);
        Assert.DoesNotContain(checks, c => c.Name.StartsWith("1.", StringComparison.Ordinal));   // no phase 1 in this grid
    }

    [Fact]
    public void Checks_PhaseOneShortOfThreshold_Fails()
    {
        var phase1 = new Dictionary<long, JsonObject> { [0] = Phase1(0.9985, 0.11, 200) };

        SpecCheck check = BadMinimaReport.Checks(Settings("vanilla"), phase1, []).First();

        Assert.False(check.Holds);
        Assert.Contains("99.85", check.Measured);
    }

    [Fact]
    public void Figures_GridMetrics_CurvesPerSettingBarsAndPhase1()
    {
        // Given: two cells of one setting over two evaluations, and phase-1 checks
        var metrics = new List<MetricRecord>();
        MetricRecord M(long step, string split, string metric, double value, params (string, string)[] tags) =>
            new(step, split, metric, value, 0, tags.ToDictionary(t => t.Item1, t => t.Item2));
        foreach (string init in new[] { "random", "adversarial" })
        {
            foreach (long step in new long[] { 16, 32 })
            {
                string epoch = (step / 16).ToString(CultureInfo.InvariantCulture);
                (string, string)[] tags = [("seed", "0"), ("phase", "phase2"), ("setting", "da+mom"), ("init", init), ("epoch", epoch)];
                metrics.Add(M(step, "test", "acc", init == "random" ? 0.8 : 0.7, tags));
                metrics.Add(M(step, "train", "acc", 0.9, tags));
                metrics.Add(M(step, "params", "norm", init == "random" ? 37 : 50, tags));
            }
        }
        metrics.Add(M(157, "adversarial", "acc", 0.2, ("seed", "0"), ("phase", "phase1"), ("epoch", "1")));
        metrics.Add(M(157, "test", "acc", 0.1, ("seed", "0"), ("phase", "phase1"), ("epoch", "1")));

        // When
        Figure[] figures = BadMinimaReport.Figures(metrics).ToArray();

        // Then
        Assert.Equal(["acc_da_mom", "final_test_acc", "final_param_norm", "phase1"], figures.Select(f => f.FileName));
        Figure curves = figures[0];
        Assert.Equal(4, curves.Series.Count);
        Assert.Equal([1.0, 2.0], curves.Series[0].X);
        Assert.Equal([80.0, 80.0], curves.Series.Single(s => s.Name == "random init, test").Y);
        Assert.Equal([80.0, 70.0], figures[1].Series.Select(s => s.Y[0]));
        Assert.Equal(["da+mom"], figures[1].Categories!);
        Assert.Equal([37.0, 50.0], figures[2].Series.Select(s => s.Y[0]));
    }

    [Fact]
    public void Figures_CellMetrics_AreTheStandardOnes()
    {
        MetricRecord[] metrics = [new(16, "test", "acc", 0.5, 0), new(16, "train", "loss", 1.5, 0)];

        Assert.Equal(["acc", "loss"], BadMinimaReport.Figures(metrics).Select(f => f.FileName).Order());
    }
}
