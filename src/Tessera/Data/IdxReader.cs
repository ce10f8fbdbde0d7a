namespace Tessera.Data;

/// <summary>
/// Reads the IDX files of MNIST and Fashion-MNIST, raw or gzip-compressed (detected by the gzip magic bytes,
/// not by the file name). Only the unsigned-byte variants are accepted: 0x00000803 for (N, H, W) images and
/// 0x00000801 for (N) labels. Every dimension is a big-endian int32.
/// </summary>
public static class IdxReader
{
    internal const int ImagesMagic = 0x00000803;
    internal const int LabelsMagic = 0x00000801;

    internal static readonly string[] MnistStems =
    [
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
    ];

    /// <summary>uint8 IDX3 images → float32 (N, 1, H, W) in [0, 1] (pixel / 255).</summary>
    public static Tensor ReadImages(string path)
    {
        Idx idx = Read(path, ImagesMagic);
        return ImagesToTensor(idx);
    }

    /// <summary>uint8 IDX1 labels → int64 (N).</summary>
    public static Tensor ReadLabels(string path)
    {
        Idx idx = Read(path, LabelsMagic);
        return LabelsToTensor(idx);
    }

    /// <summary>
    /// Loads the four files of the MNIST layout from <paramref name="dir"/>: train-images-idx3-ubyte,
    /// train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each raw or with a .gz
    /// suffix. Labels must lie in 0..9 and each image file must have as many images as its label file labels.
    /// </summary>
    public static ImageSplits LoadMnistLayout(string dir, string name)
    {
        ArgumentNullException.ThrowIfNull(dir);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        dir = Path.GetFullPath(dir);
        string[] missing = MissingMnistFiles(dir);
        if (missing.Length > 0)
        {
            throw new InputException(
                $"Data set '{name}' is incomplete: missing {string.Join(", ", missing)} " +
                $"(each raw or gzip'd). {DatasetCatalog.HowToGetFor(name)}");
        }
        string[] paths = MnistStems.Select(stem => ResolveMnistFile(dir, stem)!).ToArray();
        ImageDataset train = LoadPair(name, paths[0], paths[1]);
        try
        {
            ImageDataset test = LoadPair(name, paths[2], paths[3]);
            if (test.Height != train.Height || test.Width != train.Width)
            {
                test.Dispose();
                throw new InputException(
                    $"{paths[2]} holds {test.Height}x{test.Width} images but {paths[0]} holds " +
                    $"{train.Height}x{train.Width} images; both splits must come from the same data set.");
            }
            return new ImageSplits(train, test);
        }
        catch
        {
            train.Dispose();
            throw;
        }
    }

    /// <summary>Expected paths (shown as "name[.gz]") of the MNIST-layout files that are absent from dir.</summary>
    internal static string[] MissingMnistFiles(string dir) =>
        MnistStems.Where(stem => ResolveMnistFile(dir, stem) is null)
            .Select(stem => Path.Combine(dir, stem) + "[.gz]")
            .ToArray();

    private static string? ResolveMnistFile(string dir, string stem)
    {
        string raw = Path.Combine(dir, stem);
        if (File.Exists(raw))
        {
            return raw;
        }
        string gz = raw + ".gz";
        return File.Exists(gz) ? gz : null;
    }

    private static ImageDataset LoadPair(string name, string imagesPath, string labelsPath)
    {
        Idx images = Read(imagesPath, ImagesMagic);
        Idx labels = Read(labelsPath, LabelsMagic);
        if (images.Dims[0] != labels.Dims[0])
        {
            throw new InputException(
                $"{imagesPath} holds {images.Dims[0]} images but {labelsPath} holds {labels.Dims[0]} labels; " +
                "the two files must belong together. Download them again.");
        }
        const int numClasses = 10;
        int bad = Array.FindIndex(labels.Data, labels.Offset, labels.Dims[0], b => b >= numClasses);
        if (bad >= 0)
        {
            throw new InputException(
                $"{labelsPath} has label {labels.Data[bad]} at index {bad - labels.Offset}, outside 0..{numClasses - 1}. " +
                "The file is corrupt or not a label file of this data set.");
        }
        Tensor x = ImagesToTensor(images);
        Tensor y = LabelsToTensor(labels);
        return new ImageDataset(name, x, y, numClasses);
    }

    private static Tensor ImagesToTensor(Idx idx)
    {
        long n = idx.Dims[0], h = idx.Dims[1], w = idx.Dims[2];
        if (n == 0)
        {
            return torch.empty([0, 1, h, w], ScalarType.Float32);   // frombuffer rejects an empty window
        }
        using Tensor bytes = torch.frombuffer(idx.Data, ScalarType.Byte, count: n * h * w, offset: idx.Offset);
        using Tensor shaped = bytes.reshape(n, 1, h, w);
        Tensor floats = shaped.to_type(ScalarType.Float32);
        floats.div_(255f);
        return floats;
    }

    private static Tensor LabelsToTensor(Idx idx)
    {
        if (idx.Dims[0] == 0)
        {
            return torch.empty([0], ScalarType.Int64);
        }
        using Tensor bytes = torch.frombuffer(idx.Data, ScalarType.Byte, count: idx.Dims[0], offset: idx.Offset);
        return bytes.to_type(ScalarType.Int64);
    }

    /// <summary>An IDX file whose size matches its header: payload starts at Offset.</summary>
    private sealed record Idx(byte[] Data, int Offset, int[] Dims);

    private static Idx Read(string path, int expectedMagic)
    {
        ArgumentNullException.ThrowIfNull(path);
        path = Path.GetFullPath(path);
        byte[] data = DataFiles.ReadMaybeGzip(path);
        string expected = Describe(expectedMagic);
        if (data.Length < 4)
        {
            throw new InputException(
                $"{path} is too short ({data.Length} bytes) to be an IDX file; expected {expected}.");
        }
        int magic = DataFiles.ReadInt32BigEndian(data, 0);
        if (magic != expectedMagic)
        {
            throw new InputException(
                $"{path} has magic number 0x{magic:X8} ({Describe(magic)}), expected 0x{expectedMagic:X8} ({expected}). " +
                "Check that the file is the right one of the data set's four files.");
        }
        int rank = expectedMagic & 0xFF;
        int headerBytes = 4 + 4 * rank;
        if (data.Length < headerBytes)
        {
            throw new InputException(
                $"{path} is truncated: it ends after {data.Length} bytes, inside its {headerBytes}-byte IDX header.");
        }
        var dims = new int[rank];
        Int128 payload = 1;   // up to (2^31)^3: no overflow
        for (int i = 0; i < rank; i++)
        {
            dims[i] = DataFiles.ReadInt32BigEndian(data, 4 + 4 * i);
            if (dims[i] < 0 || (i > 0 && dims[i] == 0))
            {
                throw new InputException($"{path} has an invalid dimension {dims[i]} in its IDX header.");
            }
            payload *= dims[i];
        }
        Int128 actual = data.Length - headerBytes;
        string shape = string.Join(" x ", dims);
        if (actual < payload)
        {
            throw new InputException(
                $"{path} is truncated: its header says {shape} = {payload} bytes of data, but only {actual} follow. " +
                "Download the file again.");
        }
        if (actual > payload)
        {
            throw new InputException(
                $"{path} does not match its header: dimensions {shape} need {payload} bytes of data, but the file " +
                $"holds {actual}. The header or the file is corrupt.");
        }
        return new Idx(data, headerBytes, dims);
    }

    private static string Describe(int magic)
    {
        if ((magic & unchecked((int)0xFFFF0000)) != 0)
        {
            return "not an IDX file";
        }
        string type = ((magic >> 8) & 0xFF) switch
        {
            0x08 => "uint8",
            0x09 => "int8",
            0x0B => "int16",
            0x0C => "int32",
            0x0D => "float32",
            0x0E => "float64",
            _ => "unknown type",
        };
        int rank = magic & 0xFF;
        string kind = magic == ImagesMagic ? " images" : magic == LabelsMagic ? " labels" : "";
        return $"IDX {type}{kind} with {rank} dimension{(rank == 1 ? "" : "s")}";
    }
}
