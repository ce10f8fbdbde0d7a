using System.Text;
using Tessera.Data;

namespace Tessera.Methods.FedMA;

/// <summary>One client's data: inputs (images float (N, C, H, W) or token ids int64 (N, T)), labels int64 (N), and the
/// class counts n_{j,k}. Owns its tensors.</summary>
public sealed class ClientData : IDisposable
{
    public ClientData(Tensor x, Tensor y, int numClasses)
    {
        X = x.DetachFromDisposeScope();
        Y = y.DetachFromDisposeScope();
        NumClasses = numClasses;
        ClassCounts = new long[numClasses];
        foreach (long label in Y.data<long>().ToArray())
        {
            ClassCounts[label]++;
        }
    }

    public Tensor X { get; }

    public Tensor Y { get; }

    public int NumClasses { get; }

    public long Count => Y.shape[0];

    public long[] ClassCounts { get; }

    public void Dispose()
    {
        X.Dispose();
        Y.Dispose();
    }
}

/// <summary>All clients' data plus the global test set, and what the model needs to know about the inputs.</summary>
public sealed class FederatedData : IDisposable
{
    public FederatedData(IReadOnlyList<ClientData> clients, ClientData test, int channels, int height, int width, string description)
    {
        (Clients, Test, Channels, Height, Width, Description) = (clients, test, channels, height, width, description);
    }

    public IReadOnlyList<ClientData> Clients { get; }

    public ClientData Test { get; }

    public int NumClasses => Test.NumClasses;

    public int Channels { get; }

    public int Height { get; }

    public int Width { get; }

    public string Description { get; }

    public void Dispose()
    {
        foreach (ClientData c in Clients)
        {
            c.Dispose();
        }
        Test.Dispose();
    }
}

/// <summary>
/// Builds the federated data of a config: images (seeded subsets, normalisation, homo or Dirichlet partition §2.8) or
/// text (KJV books, LEAF Shakespeare roles, or generated text; 80-symbol LEAF vocabulary, next-character windows).
/// Every draw is a function of the config's seed, so a client process rebuilds exactly its own part.
/// </summary>
public static class FedData
{
    /// <summary>The LEAF Shakespeare vocabulary (§2.8): index = position; characters outside it map to space.</summary>
    public const string Vocabulary = "\n !\"&'(),-.0123456789:;>?ABCDEFGHIJKLMNOPQRSTUVWXYZ[]abcdefghijklmnopqrstuvwxyz}";

    public static FederatedData Build(FedmaConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        FedDataConfig d = config.Data;
        return d.Dataset switch
        {
            "bible" => Text(config, Bible(d)),
            "synthetic-text" => Text(config, SyntheticTexts(d.Clients, config.Seed)),
            "shakespeare" => Shakespeare(config),
            _ => Images(config),
        };
    }

    /// <summary>Partition indices of a config (§2.8): homo or Dirichlet label skew with the minimum per client.</summary>
    public static int[][] Partition(long[] labels, int numClasses, FedDataConfig d, long seed) =>
        d.Partition == "homo"
            ? Partitioners.Iid(labels.Length, d.Clients, seed)
            : Partitioners.Dirichlet(labels, numClasses, d.Clients, d.Alpha, seed, d.MinPerClient);

    /// <summary>Maps a character to its vocabulary index (unknown characters → the index of space).</summary>
    public static long Token(char c)
    {
        int i = Vocabulary.IndexOf(c, StringComparison.Ordinal);
        return i >= 0 ? i : 1;
    }

    private static FederatedData Images(FedmaConfig config)
    {
        FedDataConfig d = config.Data;
        using ImageSplits splits = DatasetCatalog.LoadImages(d.Dataset, d.Root);
        using ImageDataset train = Subset(splits.Train, d.TrainSubset, config.Seed, 11);
        using ImageDataset test = Subset(splits.Test, d.TestSubset, config.Seed, 12);
        using var scope = torch.NewDisposeScope();
        Tensor mean, std;
        if (d.Mean is { } m && d.Std is { } s)
        {
            mean = torch.full([train.Channels], m, ScalarType.Float32);
            std = torch.full([train.Channels], s, ScalarType.Float32);
        }
        else
        {
            (mean, std) = ImageBatches.ChannelStats(train.Images);
        }
        Tensor trainX = ImageBatches.Normalize(train.Images, mean, std);
        Tensor testX = ImageBatches.Normalize(test.Images, mean, std);
        long[] labels = train.LabelArray();
        int[][] parts = Partition(labels, train.NumClasses, d, config.Seed);
        var clients = parts.Select(p =>
        {
            using Tensor index = torch.tensor(p.Select(i => (long)i).ToArray());
            return new ClientData(trainX.index_select(0, index), train.Labels.index_select(0, index), train.NumClasses);
        }).ToArray();
        var testData = new ClientData(testX, test.Labels.clone(), test.NumClasses);
        string sizes = string.Join("/", clients.Select(c => c.Count));
        return new FederatedData(clients, testData, train.Channels, train.Height, train.Width,
            $"{d.Dataset}: {train.Count} training samples in {d.Clients} clients ({d.Partition}{(d.Partition == "homo" ? "" : $" alpha {d.Alpha}")}, sizes {sizes}), {test.Count} test samples");
    }

    private static ImageDataset Subset(ImageDataset data, int size, long seed, long stream)
    {
        if (size <= 0 || size >= data.Count)
        {
            return data.Subset(Enumerable.Range(0, (int)data.Count).Select(i => (long)i).ToArray());
        }
        long[] order = ImageBatches.Permutation(seed, stream, data.Count);
        return data.Subset(order[..size]);
    }

    private static IReadOnlyList<TextClient> Bible(FedDataConfig d)
    {
        IReadOnlyList<TextClient> books = DatasetCatalog.LoadText("bible", d.Root);
        var byName = books.ToDictionary(b => b.Name, StringComparer.OrdinalIgnoreCase);
        string[] wanted = d.Books.Length > 0 ? d.Books : books.Select(b => b.Name).Take(d.Clients).ToArray();
        if (wanted.Length != d.Clients)
        {
            throw new InputException($"data.books names {wanted.Length} books but data.clients is {d.Clients}; give one book per client.");
        }
        return wanted.Select(name => byName.TryGetValue(name, out TextClient? t) ? t
            : throw new InputException($"data.books: '{name}' is not a book of the King James Bible. Books: {string.Join(", ", books.Select(b => b.Name))}.")).ToArray();
    }

    /// <summary>Generated text clients for tests and the LSTM smoke path: each client writes sentences from its own
    /// small lexicon, so the clients differ in character statistics (non-IID) while sharing one vocabulary.</summary>
    public static IReadOnlyList<TextClient> SyntheticTexts(int clients, long seed)
    {
        string[] shared = ["the", "and", "of", "to", "in", "that", "he", "shall", "unto", "for", "his", "i", "lord"];
        var result = new List<TextClient>();
        for (int j = 0; j < clients; j++)
        {
            var rng = new SeededRandom(seed, 1000 + j);
            string[] own = Enumerable.Range(0, 12).Select(_ => Word(rng)).ToArray();
            var text = new StringBuilder();
            while (text.Length < 20000)
            {
                int words = 4 + rng.NextInt(8);
                for (int w = 0; w < words; w++)
                {
                    string word = rng.NextDouble() < 0.5 ? shared[rng.NextInt(shared.Length)] : own[rng.NextInt(own.Length)];
                    text.Append(w == 0 ? char.ToUpperInvariant(word[0]) + word[1..] : word);
                    text.Append(w == words - 1 ? ". " : " ");
                }
            }
            result.Add(new TextClient($"synthetic-{j}", text.ToString()));
        }
        return result;

        static string Word(SeededRandom rng)
        {
            const string letters = "abcdefghijklmnopqrstuvwxyz";
            int length = 2 + rng.NextInt(6);
            return new string(Enumerable.Range(0, length).Select(_ => letters[rng.NextInt(letters.Length)]).ToArray());
        }
    }

    private static FederatedData Text(FedmaConfig config, IReadOnlyList<TextClient> texts)
    {
        FedDataConfig d = config.Data;
        var clients = new List<ClientData>();
        var testX = new List<long[]>();
        var testY = new List<long>();
        for (int j = 0; j < texts.Count; j++)
        {
            long[] tokens = texts[j].Text.Select(Token).ToArray();
            int cut = (int)(tokens.Length * d.TrainFraction);
            var rng = new SeededRandom(config.Seed, 2000 + j);
            (long[][] x, long[] y) = Windows(tokens[..cut], d.Window, d.WindowsPerClient, rng, texts[j].Name);
            clients.Add(Client(x, y, d.Window));
            (long[][] tx, long[] ty) = Windows(tokens[cut..], d.Window, d.TestWindowsPerClient, rng, texts[j].Name);
            testX.AddRange(tx);
            testY.AddRange(ty);
        }
        return new FederatedData(clients, Client([.. testX], [.. testY], d.Window), 1, 1, d.Window,
            $"{d.Dataset}: {texts.Count} clients ({string.Join(", ", texts.Select(t => t.Name))}), {d.WindowsPerClient} windows of {d.Window} characters each, {testY.Count} test windows");
    }

    private static FederatedData Shakespeare(FedmaConfig config)
    {
        FedDataConfig d = config.Data;
        IReadOnlyList<ShakespeareClient> roles = LeafShakespeareReader.Load(DatasetCatalog.ShakespeareDir(d.Root));
        ShakespeareClient[] chosen = roles.Where(r => r.Train.Count > 0).Take(d.Clients).ToArray();
        if (chosen.Length < d.Clients)
        {
            throw new InputException($"The Shakespeare data hold {chosen.Length} roles with training samples, fewer than data.clients = {d.Clients}.");
        }
        int window = chosen[0].Train[0].X.Length;
        ClientData Of(IEnumerable<ShakespeareSample> samples)
        {
            ShakespeareSample[] s = samples.ToArray();
            return Client(s.Select(x => x.X.Select(Token).ToArray()).ToArray(), s.Select(x => Token(x.Y[0])).ToArray(), window);
        }
        var clients = chosen.Select(r => Of(r.Train)).ToArray();
        ClientData test = Of(chosen.SelectMany(r => r.Test));
        return new FederatedData(clients, test, 1, 1, window, $"shakespeare: {d.Clients} roles, {test.Count} test samples");
    }

    private static (long[][] X, long[] Y) Windows(long[] tokens, int window, int count, SeededRandom rng, string name)
    {
        if (tokens.Length <= window + 1)
        {
            throw new InputException($"The text of '{name}' is too short ({tokens.Length} characters) for {window}-character windows.");
        }
        var x = new long[count][];
        var y = new long[count];
        for (int i = 0; i < count; i++)
        {
            int start = rng.NextInt(tokens.Length - window);
            x[i] = tokens[start..(start + window)];
            y[i] = tokens[start + window];
        }
        return (x, y);
    }

    private static ClientData Client(long[][] x, long[] y, int window)
    {
        var flat = new long[x.Length * window];
        for (int i = 0; i < x.Length; i++)
        {
            Array.Copy(x[i], 0, flat, i * window, window);
        }
        return new ClientData(torch.tensor(flat, [x.Length, window]), torch.tensor(y), Vocabulary.Length);
    }
}
