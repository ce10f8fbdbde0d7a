using System.Buffers.Binary;
using System.IO.Compression;
using Xunit.Abstractions;

namespace Tessera.Tests.Data;

/// <summary>A temporary folder for one test class instance, deleted afterwards.</summary>
public abstract class TempDirTest : IDisposable
{
    protected TempDirTest() => Dir = Directory.CreateTempSubdirectory("tessera-data-").FullName;

    protected string Dir { get; }

    public void Dispose()
    {
        Directory.Delete(Dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    protected string Write(string relative, byte[] bytes)
    {
        string path = Path.Combine(Dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    protected string WriteText(string relative, string text) => Write(relative, System.Text.Encoding.UTF8.GetBytes(text));
}

/// <summary>Builders for files in the real on-disk formats.</summary>
public static class DataFixtures
{
    public const int ImagesMagic = 0x00000803;
    public const int LabelsMagic = 0x00000801;

    /// <summary>An IDX file: big-endian magic, big-endian int32 dims, then the payload bytes.</summary>
    public static byte[] Idx(int magic, int[] dims, byte[] payload)
    {
        var bytes = new byte[4 + 4 * dims.Length + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (int i = 0; i < dims.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        }
        payload.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    public static byte[] IdxImages(int n, int h, int w, byte[] pixels) => Idx(ImagesMagic, [n, h, w], pixels);

    public static byte[] IdxLabels(byte[] labels) => Idx(LabelsMagic, [labels.Length], labels);

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(data);
        }
        return output.ToArray();
    }

    /// <summary>Deterministic pixel bytes: (seed * 31 + i * 7) mod 256.</summary>
    public static byte[] Pattern(int count, int seed)
    {
        var bytes = new byte[count];
        for (int i = 0; i < count; i++)
        {
            bytes[i] = (byte)((seed * 31 + i * 7) % 256);
        }
        return bytes;
    }

    /// <summary>Concatenated CIFAR records: label byte(s), then 3,072 pixel bytes.</summary>
    public static byte[] CifarRecords(IEnumerable<(byte[] Labels, byte[] Pixels)> records) =>
        records.SelectMany(r => r.Labels.Concat(r.Pixels)).ToArray();

    public static float[] Floats(Tensor t) => t.contiguous().data<float>().ToArray();

    public static long[] Longs(Tensor t) => t.contiguous().data<long>().ToArray();

    /// <summary>True when the test may go on; false after logging why it checks nothing. Only a machine that
    /// lacks the Debian package gets here: on CI (CI=true), which installs the packages, a missing one fails.</summary>
    public static bool RequireInstalled(ITestOutputHelper output, bool present, string what, string package)
    {
        if (present)
        {
            return true;
        }
        string why = $"{what} is not installed ('apt-get install {package}'), so this test checks nothing here.";
        if (Environment.GetEnvironmentVariable("CI") == "true")
        {
            Assert.Fail($"CI must install {package}: {why}");
        }
        output.WriteLine(why);
        return false;
    }
}
