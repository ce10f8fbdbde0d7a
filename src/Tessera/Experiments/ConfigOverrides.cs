using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tessera.Experiments;

/// <summary>Applies one <c>a.b.c=value</c> assignment to a config tree whose keys are all known.</summary>
public static class ConfigOverrides
{
    public static void Apply(JsonObject tree, string assignment)
    {
        int eq = assignment.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            throw new InputException($"--set '{assignment}': expected key=value, e.g. --set train.lr=3e-4.");
        }
        string path = assignment[..eq].Trim();
        string text = assignment[(eq + 1)..];

        string[] keys = path.Split('.');
        JsonObject parent = tree;
        for (int i = 0; i < keys.Length - 1; i++)
        {
            parent = parent[Existing(parent, keys, i)] as JsonObject
                ?? throw new InputException($"--set {path}: '{string.Join('.', keys[..(i + 1)])}' is a value, not a section.");
        }
        string leaf = Existing(parent, keys, keys.Length - 1);
        JsonNode? current = parent[leaf];
        if (current is JsonObject)
        {
            throw new InputException($"--set {path}: '{path}' is a section; set one of its keys: {string.Join(", ", ((JsonObject)current).Select(p => p.Key))}.");
        }
        parent[leaf] = ParseValue(text, current);
    }

    private static string Existing(JsonObject node, string[] keys, int i)
    {
        if (node.ContainsKey(keys[i]))
        {
            return keys[i];
        }
        string where = i == 0 ? "the config" : $"'{string.Join('.', keys[..i])}'";
        throw new InputException(
            $"--set {string.Join('.', keys)}: unknown key '{string.Join('.', keys[..(i + 1)])}'. Keys in {where}: {string.Join(", ", node.Select(p => p.Key))}.");
    }

    /// <summary>Text is taken as JSON (numbers, true/false, null, arrays) unless the current value is a string,
    /// in which case it stays text, so <c>--set data.dataset=cifar10</c> and <c>--set name=123</c> both work.</summary>
    private static JsonNode? ParseValue(string text, JsonNode? current)
    {
        if (current is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            return JsonValue.Create(text);
        }
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return JsonValue.Create(text);
        }
    }
}
