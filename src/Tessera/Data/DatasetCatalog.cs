namespace Tessera.Data;

/// <summary>
/// What <c>tessera data</c> lists. <paramref name="IsPresent"/> takes the data root and tells whether the data set
/// can be loaded on this machine without downloading anything.
/// </summary>
/// <param name="Kind">"image" or "text".</param>
public sealed record DatasetInfo(
    string Name, string Kind, string Description, string ExpectedLocation, string HowToGet, Func<string, bool> IsPresent);

/// <summary>The data sets Tessera knows, where it looks for them, and how a user gets them.</summary>
public static class DatasetCatalog
{
    public const string DataRootVariable = "TESSERA_DATA";
    public const string FashionMnistSystemDir = "/usr/share/datasets/fashion-mnist";

    internal const string RootNote = "the data root is $TESSERA_DATA, else ./data";

    /// <summary>All data sets, the embedded default first.</summary>
    public static IReadOnlyList<DatasetInfo> All { get; } =
    [
        new("digits", "image",
            "8x8 handwritten digits, 1,797 images, 10 classes (UCI); embedded in Tessera, the default",
            "embedded in the Tessera assembly", "nothing to do: it ships with Tessera", _ => true),
        new("fashion-mnist", "image",
            "Fashion-MNIST, 28x28 grey clothing images, 60,000 train / 10,000 test, 10 classes",
            $"{FashionMnistSystemDir}/ or <data root>/fashion-mnist/ ({{train,t10k}}-{{images-idx3,labels-idx1}}-ubyte[.gz])",
            $"Install it with 'apt-get install dataset-fashion-mnist' (files in {FashionMnistSystemDir}), or put the four " +
            $"IDX files in <data root>/fashion-mnist/ ({RootNote}).",
            root => IdxReader.MissingMnistFiles(Path.Combine(Path.GetFullPath(root), "fashion-mnist")).Length == 0
                || IdxReader.MissingMnistFiles(FashionMnistSystemDir).Length == 0),
        new("mnist", "image",
            "MNIST, 28x28 grey handwritten digits, 60,000 train / 10,000 test, 10 classes",
            "<data root>/mnist/ ({train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz])",
            "Download train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and " +
            $"t10k-labels-idx1-ubyte.gz from http://yann.lecun.com/exdb/mnist/ (or a mirror) into <data root>/mnist/ ({RootNote}).",
            root => IdxReader.MissingMnistFiles(Path.Combine(Path.GetFullPath(root), "mnist")).Length == 0),
        new("cifar10", "image",
            "CIFAR-10, 32x32 colour images, 50,000 train / 10,000 test, 10 classes (binary version)",
            "<data root>/cifar-10-batches-bin/ (data_batch_1..5.bin, test_batch.bin)",
            "Download the binary version, cifar-10-binary.tar.gz, from https://www.cs.toronto.edu/~kriz/cifar.html and " +
            $"unpack it in the data root, which creates cifar-10-batches-bin/ ({RootNote}).",
            root => AllExist(Path.Combine(Path.GetFullPath(root), "cifar-10-batches-bin"), CifarReader.Cifar10Files)),
        new("cifar100", "image",
            "CIFAR-100, 32x32 colour images, 50,000 train / 10,000 test, 100 fine / 20 coarse classes (binary version)",
            "<data root>/cifar-100-binary/ (train.bin, test.bin)",
            "Download the binary version, cifar-100-binary.tar.gz, from https://www.cs.toronto.edu/~kriz/cifar.html and " +
            $"unpack it in the data root, which creates cifar-100-binary/ ({RootNote}).",
            root => AllExist(Path.Combine(Path.GetFullPath(root), "cifar-100-binary"), CifarReader.Cifar100Files)),
        new("fortunes", "text",
            "fortune-cookie sayings, about 1.3 MB of English text; one client per category file",
            FortunesReader.DefaultDir, FortunesReader.HowToGet,
            _ => Directory.Exists(FortunesReader.DefaultDir)),
        new("bible", "text",
            "the King James Bible, about 4.4 MB of English text; one client per book (66)",
            "the 'bible' command; its text is cached in <data root>/bible-kjv/",
            BibleReader.HowToGet,
            root => BibleReader.CommandAvailable()
                || File.Exists(Path.Combine(Path.GetFullPath(root), "bible-kjv", BibleReader.CacheFileName))),
        new("shakespeare", "text",
            "LEAF Shakespeare next-character prediction, one client per speaking role",
            "<data root>/shakespeare/ (train/*.json, test/*.json)",
            LeafShakespeareReader.HowToGet + $" ({RootNote})",
            root => Directory.Exists(Path.Combine(Path.GetFullPath(root), "shakespeare", "train"))
                && Directory.Exists(Path.Combine(Path.GetFullPath(root), "shakespeare", "test"))),
    ];

    /// <summary>$TESSERA_DATA when set and not empty, else ./data, as a full path.</summary>
    public static string DefaultDataRoot
    {
        get
        {
            string? env = Environment.GetEnvironmentVariable(DataRootVariable);
            return Path.GetFullPath(string.IsNullOrWhiteSpace(env) ? "data" : env);
        }
    }

    /// <summary>The entry for <paramref name="name"/> (case-insensitive); unknown names list the known ones.</summary>
    public static DatasetInfo Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string key = name.Trim().ToLowerInvariant();
        return All.FirstOrDefault(d => d.Name == key)
            ?? throw new InputException(
                $"Unknown data set '{name}'. Known data sets: {string.Join(", ", All.Select(d => d.Name))}.");
    }

    /// <summary>Loads an image data set by name from its usual place under <paramref name="dataRoot"/>
    /// (default <see cref="DefaultDataRoot"/>); Fashion-MNIST also from the Debian package's folder.</summary>
    public static ImageSplits LoadImages(string name, string? dataRoot = null)
    {
        DatasetInfo info = Find(name);
        if (info.Kind != "image")
        {
            throw new InputException(
                $"'{info.Name}' is a {info.Kind} data set, not an image data set. Image data sets: " +
                $"{string.Join(", ", All.Where(d => d.Kind == "image").Select(d => d.Name))}.");
        }
        string root = Path.GetFullPath(dataRoot ?? DefaultDataRoot);
        switch (info.Name)
        {
            case "digits":
                return DigitsDataset.Load();
            case "fashion-mnist":
                string dir = FashionMnistDir(root)
                    ?? throw new InputException(
                        $"Data set 'fashion-mnist' not found: neither {FashionMnistSystemDir} nor " +
                        $"{Path.Combine(root, "fashion-mnist")} holds the files {string.Join(", ", IdxReader.MnistStems)} " +
                        $"(each raw or gzip'd). {info.HowToGet}");
                return IdxReader.LoadMnistLayout(dir, "fashion-mnist");
            case "mnist":
                return IdxReader.LoadMnistLayout(Path.Combine(root, "mnist"), "mnist");
            case "cifar10":
                return CifarReader.LoadCifar10(Path.Combine(root, "cifar-10-batches-bin"));
            case "cifar100":
                return CifarReader.LoadCifar100(Path.Combine(root, "cifar-100-binary"));
            default:
                throw new InvalidOperationException($"No image loader for '{info.Name}'.");
        }
    }

    /// <summary>Loads a text data set whose clients are plain texts: "fortunes" or "bible".</summary>
    public static IReadOnlyList<TextClient> LoadText(string name, string? dataRoot = null)
    {
        DatasetInfo info = Find(name);
        string root = Path.GetFullPath(dataRoot ?? DefaultDataRoot);
        return info.Name switch
        {
            "fortunes" => FortunesReader.Load(),
            "bible" => BibleReader.Load(Path.Combine(root, "bible-kjv")),
            _ => throw new InputException(
                $"'{info.Name}' is not a plain-text data set; plain-text data sets: fortunes, bible" +
                (info.Name == "shakespeare" ? " (load shakespeare with LeafShakespeareReader)." : ".")),
        };
    }

    /// <summary>The folder of the LEAF Shakespeare data under a data root.</summary>
    public static string ShakespeareDir(string? dataRoot = null) =>
        Path.Combine(Path.GetFullPath(dataRoot ?? DefaultDataRoot), "shakespeare");

    /// <summary>The how-to-get sentence for a catalog name, or a generic one.</summary>
    internal static string HowToGetFor(string name) =>
        All.FirstOrDefault(d => d.Name == name)?.HowToGet
        ?? "Put the expected files there (see 'tessera data' for the known data sets).";

    /// <summary>The user's copy under the data root when it holds any of the four files (so that its problems
    /// are reported), else the Debian package's folder when complete, else null.</summary>
    private static string? FashionMnistDir(string root)
    {
        string local = Path.Combine(Path.GetFullPath(root), "fashion-mnist");
        if (Directory.Exists(local) && IdxReader.MissingMnistFiles(local).Length < IdxReader.MnistStems.Length)
        {
            return local;
        }
        return IdxReader.MissingMnistFiles(FashionMnistSystemDir).Length == 0 ? FashionMnistSystemDir : null;
    }

    private static bool AllExist(string dir, IEnumerable<string> files) =>
        files.All(f => File.Exists(Path.Combine(dir, f)));
}
