using System.IO.Compression;

namespace Tessera.Data;

/// <summary>
/// The embedded default image data set: 1,797 handwritten digits, 8x8 pixels with values 0..16, 10 classes
/// (UCI "Optical Recognition of Handwritten Digits"; attribution in Data/Embedded/README.md). Needs no download.
/// </summary>
public static class DigitsDataset
{
    public const int Rows = 1797;
    public const int Side = 8;
    public const int MaxPixel = 16;
    public const int NumClasses = 10;

    internal const string ResourceName = "Tessera.Data.digits.csv.gz";

    /// <summary>
    /// A seeded split: rows are permuted with <see cref="SeededRandom"/>(seed); the last
    /// <paramref name="testCount"/> rows of the permutation are the test set, the rest the train set. Within each
    /// split the rows keep their file order. Images are float32 (N, 1, 8, 8) = pixel / 16; labels int64.
    /// </summary>
    public static ImageSplits Load(int testCount = 360, long seed = 0)
    {
        (int[] train, int[] test) = SplitIndices(testCount, seed);
        (float[] pixels, long[] labels) = Table.Value;
        ImageDataset trainSet = Build(pixels, labels, train);
        try
        {
            return new ImageSplits(trainSet, Build(pixels, labels, test));
        }
        catch
        {
            trainSet.Dispose();
            throw;
        }
    }

    /// <summary>The row numbers (0-based, file order) of each split of <see cref="Load"/>, both sorted.</summary>
    public static (int[] Train, int[] Test) SplitIndices(int testCount = 360, long seed = 0)
    {
        if (testCount < 1 || testCount >= Rows)
        {
            throw new InputException($"The digits test split must hold 1..{Rows - 1} of the {Rows} rows; got {testCount}.");
        }
        var order = new int[Rows];
        for (int i = 0; i < Rows; i++)
        {
            order[i] = i;
        }
        new SeededRandom(seed).Shuffle(order.AsSpan());
        int[] train = order[..(Rows - testCount)];
        int[] test = order[(Rows - testCount)..];
        Array.Sort(train);
        Array.Sort(test);
        return (train, test);
    }

    /// <summary>All 1,797 rows in file order, as one dataset.</summary>
    public static ImageDataset LoadAll()
    {
        (float[] pixels, long[] labels) = Table.Value;
        return Build(pixels, labels, Enumerable.Range(0, Rows).ToArray());
    }

    private static ImageDataset Build(float[] pixels, long[] labels, int[] rows)
    {
        const int features = Side * Side;
        var x = new float[rows.Length * features];
        var y = new long[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            Array.Copy(pixels, rows[i] * features, x, i * features, features);
            y[i] = labels[rows[i]];
        }
        return new ImageDataset(
            "digits",
            torch.tensor(x, [rows.Length, 1, Side, Side]),
            torch.tensor(y, [rows.Length]),
            NumClasses);
    }

    /// <summary>The parsed CSV, built on first use and kept (managed arrays only; tensors are made per call).</summary>
    private static class Table
    {
        internal static readonly (float[] Pixels, long[] Labels) Value = ParseEmbedded();
    }

    /// <summary>Parses the embedded CSV once: 1,797 lines of 64 pixels (0..16) and a label (0..9), no header.</summary>
    private static (float[] Pixels, long[] Labels) ParseEmbedded()
    {
        using Stream stream = typeof(DigitsDataset).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"Embedded resource {ResourceName} is missing from the Tessera assembly.");
        using var gzip = new GZipStream(stream, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        const int features = Side * Side;
        var pixels = new float[Rows * features];
        var labels = new long[Rows];
        int row = 0;
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }
            string[] cells = line.Split(',');
            if (row >= Rows || cells.Length != features + 1)
            {
                throw new InvalidOperationException($"Embedded {ResourceName}: unexpected shape at line {row + 1}.");
            }
            for (int j = 0; j < features; j++)
            {
                int v = int.Parse(cells[j], System.Globalization.CultureInfo.InvariantCulture);
                if (v is < 0 or > MaxPixel)
                {
                    throw new InvalidOperationException($"Embedded {ResourceName}: pixel {v} at line {row + 1}.");
                }
                pixels[row * features + j] = v / (float)MaxPixel;
            }
            labels[row] = long.Parse(cells[features], System.Globalization.CultureInfo.InvariantCulture);
            row++;
        }
        if (row != Rows)
        {
            throw new InvalidOperationException($"Embedded {ResourceName} has {row} rows, expected {Rows}.");
        }
        return (pixels, labels);
    }
}
