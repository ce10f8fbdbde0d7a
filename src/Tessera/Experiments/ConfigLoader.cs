using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Tessera.Experiments;

/// <summary>A config source: a JSON tree and where it came from (for error messages).</summary>
public sealed record ConfigLayer(string Source, JsonNode Json);

/// <summary>
/// Builds a typed config from defaults ← preset ← config file ← <c>--set a.b=value</c> overrides, in that order.
/// Every key of every layer must exist in the defaults; types are checked by the JSON binder; errors name the path.
/// </summary>
public static class ConfigLoader
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static T Load<T>(IEnumerable<ConfigLayer> layers, IEnumerable<string> overrides) where T : new()
    {
        JsonObject tree = JsonSerializer.SerializeToNode(new T(), Options)!.AsObject();
        foreach (ConfigLayer layer in layers)
        {
            if (layer.Json is not JsonObject obj)
            {
                throw new InputException($"{layer.Source}: a config must be a JSON object ({{ ... }}).");
            }
            Merge(tree, obj, "", layer.Source);
        }
        foreach (string assignment in overrides)
        {
            ConfigOverrides.Apply(tree, assignment);
        }
        return Bind<T>(tree, "the resolved config");
    }

    /// <summary>Parses a JSON file into a layer, with a clear error for a missing or malformed file.</summary>
    public static ConfigLayer ReadFile(string path)
    {
        if (!File.Exists(path))
        {
            throw new InputException($"Config file '{Path.GetFullPath(path)}' does not exist.");
        }
        return Parse(File.ReadAllText(path), Path.GetFullPath(path));
    }

    public static ConfigLayer Parse(string json, string source)
    {
        try
        {
            JsonNode? node = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions
            {
                CommentHandling = JsonCommentHandling.Skip,
                AllowTrailingCommas = true,
            });
            return new ConfigLayer(source, node ?? throw new InputException($"{source}: the config is empty (null)."));
        }
        catch (JsonException e)
        {
            throw new InputException($"{source}: not valid JSON ({e.Message}).", e);
        }
    }

    /// <summary>The resolved config as written to a run's config.json (serialised by its runtime type).</summary>
    public static string ToJson(object config) => JsonSerializer.Serialize(config, config.GetType(), Options);

    /// <summary>Binds a complete tree (e.g. a run directory's config.json) to the config type.</summary>
    public static T Bind<T>(JsonNode tree, string source)
    {
        try
        {
            T config = tree.Deserialize<T>(Options) ?? throw new InputException($"{source}: the config is null.");
            (config as IValidatable)?.Validate();
            return config;
        }
        catch (JsonException e)
        {
            string path = ConfigPath(e.Path);
            throw new InputException($"{source}: config key '{path}' has the wrong type or an unknown key: {FirstSentence(e.Message)}", e);
        }
    }

    private static void Merge(JsonObject target, JsonObject layer, string prefix, string source)
    {
        foreach ((string key, JsonNode? value) in layer.ToArray())
        {
            string path = prefix.Length == 0 ? key : $"{prefix}.{key}";
            if (!target.ContainsKey(key))
            {
                throw new InputException($"{source}: unknown config key '{path}'. Known keys here: {string.Join(", ", target.Select(p => p.Key))}.");
            }
            if (target[key] is JsonObject targetChild && value is JsonObject layerChild)
            {
                Merge(targetChild, layerChild, path, source);
            }
            else
            {
                target[key] = value?.DeepClone();
            }
        }
    }

    private static string ConfigPath(string? jsonPath) =>
        string.IsNullOrEmpty(jsonPath) ? "(root)" : jsonPath.TrimStart('$').TrimStart('.');

    private static string FirstSentence(string message)
    {
        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}

/// <summary>A config that checks its own cross-field rules; throw <see cref="InputException"/> naming the key.</summary>
public interface IValidatable
{
    void Validate();
}
