namespace Tessera.Data;

/// <summary>
/// Reads the official binary versions of CIFAR-10 and CIFAR-100. A record is the label byte(s) followed by
/// 3,072 pixel bytes: the 1,024 red values, then green, then blue, each 32x32 row-major (CHW).
/// </summary>
public static class CifarReader
{
    internal const int PixelBytes = 3 * 32 * 32;

    internal static readonly string[] Cifar10Files =
        ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"];

    internal static readonly string[] Cifar100Files = ["train.bin", "test.bin"];

    /// <summary>CIFAR-10 from cifar-10-batches-bin/: data_batch_1..5.bin (train) and test_batch.bin (test);
    /// records of 1 label byte (0..9) + 3,072 pixel bytes. Images are float32 (N, 3, 32, 32) in [0, 1].</summary>
    public static ImageSplits LoadCifar10(string dir)
    {
        ArgumentNullException.ThrowIfNull(dir);
        dir = Path.GetFullPath(dir);
        RequireFiles(dir, Cifar10Files, "cifar10");
        string[] paths = Cifar10Files.Select(f => Path.Combine(dir, f)).ToArray();
        ImageDataset train = Load("cifar10", paths[..5], labelBytes: 1, labelIndex: 0, numClasses: 10);
        try
        {
            ImageDataset test = Load("cifar10", paths[5..], labelBytes: 1, labelIndex: 0, numClasses: 10);
            return new ImageSplits(train, test);
        }
        catch
        {
            train.Dispose();
            throw;
        }
    }

    /// <summary>CIFAR-100 from cifar-100-binary/: train.bin and test.bin; records of a coarse label byte (0..19),
    /// a fine label byte (0..99) and 3,072 pixel bytes. <paramref name="fineLabels"/> picks 100 fine classes
    /// or 20 coarse superclasses.</summary>
    public static ImageSplits LoadCifar100(string dir, bool fineLabels = true)
    {
        ArgumentNullException.ThrowIfNull(dir);
        dir = Path.GetFullPath(dir);
        RequireFiles(dir, Cifar100Files, "cifar100");
        int labelIndex = fineLabels ? 1 : 0;
        int numClasses = fineLabels ? 100 : 20;
        ImageDataset train = Load("cifar100", [Path.Combine(dir, "train.bin")], 2, labelIndex, numClasses);
        try
        {
            ImageDataset test = Load("cifar100", [Path.Combine(dir, "test.bin")], 2, labelIndex, numClasses);
            return new ImageSplits(train, test);
        }
        catch
        {
            train.Dispose();
            throw;
        }
    }

    private static void RequireFiles(string dir, string[] files, string name)
    {
        string[] missing = files.Select(f => Path.Combine(dir, f)).Where(p => !File.Exists(p)).ToArray();
        if (missing.Length > 0)
        {
            throw new InputException(
                $"Data set '{name}' is incomplete: missing {string.Join(", ", missing)}. {DatasetCatalog.HowToGetFor(name)}");
        }
    }

    /// <summary>Reads and concatenates the records of <paramref name="paths"/>. Each file is checked on its
    /// own: a size that is not a positive multiple of the record size, or a label out of range, names the file.</summary>
    private static ImageDataset Load(string name, string[] paths, int labelBytes, int labelIndex, int numClasses)
    {
        int recordBytes = labelBytes + PixelBytes;
        var files = new List<byte[]>(paths.Length);
        long records = 0;
        foreach (string path in paths)
        {
            byte[] data = DataFiles.ReadAllBytes(path);
            if (data.Length == 0 || data.Length % recordBytes != 0)
            {
                throw new InputException(
                    $"{path} has {data.Length} bytes, which is not a whole number of {recordBytes}-byte records " +
                    $"({labelBytes} label byte{(labelBytes == 1 ? "" : "s")} + {PixelBytes} pixels). The file is " +
                    "truncated or not from the binary version of the data set. Download it again.");
            }
            CheckLabels(path, data, recordBytes, labelBytes);
            files.Add(data);
            records += data.Length / recordBytes;
        }
        using var scope = torch.NewDisposeScope();
        var parts = new List<Tensor>(files.Count);
        foreach (byte[] data in files)
        {
            parts.Add(torch.frombuffer(data, ScalarType.Byte).reshape(data.Length / recordBytes, recordBytes));
        }
        Tensor all = parts.Count == 1 ? parts[0] : torch.cat(parts, 0);
        Tensor images = all.narrow(1, labelBytes, PixelBytes).reshape(records, 3, 32, 32)
            .to_type(ScalarType.Float32).div_(255f);
        Tensor labels = all.select(1, labelIndex).to_type(ScalarType.Int64);
        var dataset = new ImageDataset(name, images, labels, numClasses);
        return dataset;
    }

    /// <summary>Every label byte must be in range: CIFAR-10's 0..9, or CIFAR-100's coarse 0..19 and fine 0..99.</summary>
    private static void CheckLabels(string path, byte[] data, int recordBytes, int labelBytes)
    {
        int[] limits = labelBytes == 1 ? [10] : [20, 100];
        string[] kinds = labelBytes == 1 ? ["label"] : ["coarse label", "fine label"];
        for (int r = 0, at = 0; at < data.Length; r++, at += recordBytes)
        {
            for (int k = 0; k < labelBytes; k++)
            {
                if (data[at + k] >= limits[k])
                {
                    throw new InputException(
                        $"{path}: record {r} (byte offset {at + k}) has {kinds[k]} {data[at + k]}, outside " +
                        $"0..{limits[k] - 1}. The file is corrupt or belongs to another data set.");
                }
            }
        }
    }
}
