using System.Reflection;
using System.Text.Json.Nodes;

namespace Tessera.Experiments;

/// <summary>Settings every run has: one seed for every RNG, and the libtorch thread count.</summary>
public interface IRunConfig
{
    long Seed { get; }

    int Threads { get; }
}

/// <summary>One line of <c>tessera quickstart</c>'s table.</summary>
public sealed record QuickstartLine(string Method, string PaperClaim, string Measured, bool Holds);

/// <summary>
/// A method Tessera reproduces. The CLI builds its config (defaults ← preset ← file ← overrides), creates the
/// run directory and calls <see cref="Run"/>; the experiment writes metrics and returns the summary.
/// </summary>
public interface IExperiment
{
    string Name { get; }

    string Description { get; }

    /// <summary>The paper spec this method follows (relative to the repository's docs).</summary>
    string Reference { get; }

    Type ConfigType { get; }

    /// <summary>Builds the typed config; throws <see cref="InputException"/> naming the bad key.</summary>
    IRunConfig LoadConfig(IEnumerable<ConfigLayer> layers, IEnumerable<string> overrides);

    IRunConfig BindConfig(JsonNode resolved, string source);

    JsonObject Run(IRunConfig config, RunContext ctx);

    /// <summary>Figures drawn from a run's metrics (regenerable any time with <c>tessera plot</c>).</summary>
    IEnumerable<Figure> Figures(IReadOnlyList<MetricRecord> metrics);

    /// <summary>Runs this method's quick check inside <paramref name="dir"/> and says what it measured.</summary>
    QuickstartLine Quickstart(RunDirectory dir, IRunSink sink);
}

/// <summary>Typed base: subclasses implement <see cref="Run(TConfig, RunContext)"/> on their own config record.</summary>
public abstract class Experiment<TConfig> : IExperiment where TConfig : class, IRunConfig, new()
{
    public abstract string Name { get; }

    public abstract string Description { get; }

    public abstract string Reference { get; }

    public Type ConfigType => typeof(TConfig);

    public IRunConfig LoadConfig(IEnumerable<ConfigLayer> layers, IEnumerable<string> overrides) =>
        ConfigLoader.Load<TConfig>(layers, overrides);

    public IRunConfig BindConfig(JsonNode resolved, string source) => ConfigLoader.Bind<TConfig>(resolved, source);

    public JsonObject Run(IRunConfig config, RunContext ctx) => Run((TConfig)config, ctx);

    public abstract JsonObject Run(TConfig config, RunContext ctx);

    public virtual IEnumerable<Figure> Figures(IReadOnlyList<MetricRecord> metrics) => Figure.Standard(metrics);

    public abstract QuickstartLine Quickstart(RunDirectory dir, IRunSink sink);

    /// <summary>Loads a preset of this method and runs it in <paramref name="dir"/>, as <c>tessera run</c> would.</summary>
    protected JsonObject RunPreset(string preset, RunDirectory dir, IRunSink sink, params string[] overrides)
    {
        var config = (TConfig)LoadConfig([Presets.Load(Name, preset)], overrides);
        dir.WriteConfig(ConfigLoader.ToJson(config));
        using var ctx = RunContext.Start(dir, sink);
        Runtime.Apply(config);
        ctx.WriteEnv(Name, config.Threads);
        JsonObject summary = Run(config, ctx);
        ctx.Finish(summary);
        return summary;
    }
}

/// <summary>Presets are <c>configs/&lt;method&gt;/&lt;preset&gt;.json</c>, embedded in the library so they work from anywhere.</summary>
public static class Presets
{
    private const string Prefix = "Tessera.configs/";

    public static IReadOnlyList<string> For(string method) =>
        typeof(Presets).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith($"{Prefix}{method}/", StringComparison.Ordinal) && n.EndsWith(".json", StringComparison.Ordinal))
            .Select(n => n[(Prefix.Length + method.Length + 1)..^".json".Length])
            .Order(StringComparer.Ordinal)
            .ToArray();

    /// <summary>The layers under the overrides: the preset (if any), then the config file (if any).</summary>
    public static IReadOnlyList<ConfigLayer> Layers(string method, string? preset, string? configFile) =>
        [.. preset is null ? [] : new[] { Load(method, preset) }, .. configFile is null ? [] : new[] { ConfigLoader.ReadFile(configFile) }];

    public static ConfigLayer Load(string method, string preset)
    {
        Assembly assembly = typeof(Presets).Assembly;
        using Stream? stream = assembly.GetManifestResourceStream($"{Prefix}{method}/{preset}.json");
        if (stream is null)
        {
            IReadOnlyList<string> known = For(method);
            throw new InputException($"Method '{method}' has no preset '{preset}'. Presets: {(known.Count == 0 ? "none" : string.Join(", ", known))}.");
        }
        using var reader = new StreamReader(stream);
        return ConfigLoader.Parse(reader.ReadToEnd(), $"preset {method}/{preset} (configs/{method}/{preset}.json)");
    }
}

/// <summary>Process-wide runtime settings a run applies before it starts.</summary>
public static class Runtime
{
    public static void Apply(IRunConfig config)
    {
        if (config.Threads < 1)
        {
            throw new InputException($"threads must be at least 1 (got {config.Threads}).");
        }
        torch.set_num_threads(config.Threads);
        torch.random.manual_seed(config.Seed);
    }
}
