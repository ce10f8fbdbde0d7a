using System.Text.Json;

namespace Tessera.Data;

/// <summary>One next-character example: an 80-character context and the character that follows it.</summary>
public sealed record ShakespeareSample(string X, string Y);

/// <summary>One LEAF Shakespeare client (a speaking role in one play) with its train and test samples.</summary>
public sealed record ShakespeareClient(string Name, IReadOnlyList<ShakespeareSample> Train, IReadOnlyList<ShakespeareSample> Test);

/// <summary>
/// Reads the output of LEAF's Shakespeare preprocessing: <c>dir/train/*.json</c> and <c>dir/test/*.json</c>, each
/// <c>{"users": [...], "num_samples": [...], "user_data": {user: {"x": [strings], "y": [strings]}}}</c>.
/// Every field is checked; a malformed file is an <see cref="InputException"/> naming the file and the field.
/// </summary>
public static class LeafShakespeareReader
{
    public const string HowToGet =
        "Run LEAF's Shakespeare preprocessing (data/shakespeare/preprocess.sh in the LEAF repository, e.g. " +
        "'./preprocess.sh -s niid --sf 0.2 -k 0 -t sample') and copy its data/train and data/test folders there.";

    /// <summary>Clients in order of first appearance (train files in ordinal name order, then test files);
    /// a user found only in the test files gets an empty train list and vice versa.</summary>
    public static IReadOnlyList<ShakespeareClient> Load(string dir)
    {
        ArgumentNullException.ThrowIfNull(dir);
        dir = Path.GetFullPath(dir);
        string trainDir = Path.Combine(dir, "train");
        string testDir = Path.Combine(dir, "test");
        string[] missing = new[] { trainDir, testDir }.Where(d => !Directory.Exists(d)).ToArray();
        if (missing.Length > 0)
        {
            throw new InputException(
                $"Data set 'shakespeare' is incomplete: missing the folder(s) {string.Join(", ", missing)}. {HowToGet}");
        }
        string[] trainFiles = JsonFiles(trainDir);
        string[] testFiles = JsonFiles(testDir);
        var order = new OrderedUsers();
        var train = new Dictionary<string, List<ShakespeareSample>>();
        var test = new Dictionary<string, List<ShakespeareSample>>();
        foreach (string file in trainFiles)
        {
            ReadFile(file, train, order);
        }
        foreach (string file in testFiles)
        {
            ReadFile(file, test, order);
        }
        return order.Names.Select(user => new ShakespeareClient(
            user,
            train.TryGetValue(user, out var tr) ? tr : [],
            test.TryGetValue(user, out var te) ? te : [])).ToArray();
    }

    private static string[] JsonFiles(string dir)
    {
        string[] files = Directory.GetFiles(dir, "*.json").Order(StringComparer.Ordinal).ToArray();
        if (files.Length == 0)
        {
            throw new InputException($"{dir} holds no *.json files. {HowToGet}");
        }
        return files;
    }

    private static void ReadFile(string path, Dictionary<string, List<ShakespeareSample>> into, OrderedUsers order)
    {
        JsonDocument doc;
        try
        {
            using FileStream stream = File.OpenRead(path);
            doc = JsonDocument.Parse(stream);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException($"{path} cannot be read: {e.Message}", e);
        }
        catch (JsonException e)
        {
            throw new InputException(
                $"{path} is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {e.Message}", e);
        }
        using (doc)
        {
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Bad(path, "the top level", $"must be an object, found {root.ValueKind}");
            }
            JsonElement users = Field(path, root, "users", JsonValueKind.Array, "users");
            JsonElement numSamples = Field(path, root, "num_samples", JsonValueKind.Array, "num_samples");
            JsonElement userData = Field(path, root, "user_data", JsonValueKind.Object, "user_data");
            if (numSamples.GetArrayLength() != users.GetArrayLength())
            {
                throw Bad(path, "num_samples",
                    $"has {numSamples.GetArrayLength()} entries but users has {users.GetArrayLength()}");
            }
            int i = 0;
            foreach ((JsonElement user, JsonElement count) in users.EnumerateArray().Zip(numSamples.EnumerateArray()))
            {
                if (user.ValueKind != JsonValueKind.String)
                {
                    throw Bad(path, $"users[{i}]", $"must be a string, found {user.ValueKind}");
                }
                string name = user.GetString()!;
                if (count.ValueKind != JsonValueKind.Number || !count.TryGetInt32(out int expected) || expected < 0)
                {
                    throw Bad(path, $"num_samples[{i}]", $"must be a non-negative integer, found {count}");
                }
                string at = $"user_data[\"{name}\"]";
                if (!userData.TryGetProperty(name, out JsonElement data) || data.ValueKind != JsonValueKind.Object)
                {
                    throw Bad(path, at, "is missing or not an object");
                }
                string[] xs = Strings(path, data, "x", at);
                string[] ys = Strings(path, data, "y", at);
                if (xs.Length != ys.Length || xs.Length != expected)
                {
                    throw Bad(path, at,
                        $"has {xs.Length} x and {ys.Length} y values, but num_samples[{i}] says {expected}");
                }
                if (!into.TryGetValue(name, out List<ShakespeareSample>? samples))
                {
                    into[name] = samples = [];
                    order.Add(name);
                }
                for (int k = 0; k < xs.Length; k++)
                {
                    samples.Add(new ShakespeareSample(xs[k], ys[k]));
                }
                i++;
            }
        }
    }

    private static JsonElement Field(string path, JsonElement parent, string name, JsonValueKind kind, string at)
    {
        if (!parent.TryGetProperty(name, out JsonElement value))
        {
            throw Bad(path, at, "is missing");
        }
        if (value.ValueKind != kind)
        {
            throw Bad(path, at, $"must be {(kind == JsonValueKind.Array ? "an array" : "an object")}, found {value.ValueKind}");
        }
        return value;
    }

    private static string[] Strings(string path, JsonElement parent, string name, string at)
    {
        string field = $"{at}.{name}";
        JsonElement array = Field(path, parent, name, JsonValueKind.Array, field);
        var result = new string[array.GetArrayLength()];
        int k = 0;
        foreach (JsonElement item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                throw Bad(path, $"{field}[{k}]", $"must be a string, found {item.ValueKind}");
            }
            result[k++] = item.GetString()!;
        }
        return result;
    }

    /// <summary>User names in order of first appearance.</summary>
    private sealed class OrderedUsers
    {
        private readonly HashSet<string> _seen = [];

        public List<string> Names { get; } = [];

        public void Add(string name)
        {
            if (_seen.Add(name))
            {
                Names.Add(name);
            }
        }
    }

    private static InputException Bad(string path, string field, string problem) =>
        new($"{path}: field {field} {problem}. The file is not LEAF Shakespeare output; {HowToGet}");
}
