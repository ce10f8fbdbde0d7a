namespace Tessera.Tests.Support;

/// <summary>Writes small MNIST-layout IDX files (big-endian headers, uint8 data) for reader and CLI tests.</summary>
public static class IdxFiles
{
    public static void WriteMnistLayout(string dir, int trainCount, int testCount, int side = 28)
    {
        foreach ((string prefix, int count) in new[] { ("train", trainCount), ("t10k", testCount) })
        {
            var pixels = new byte[count * side * side];
            var labels = new byte[count];
            for (int i = 0; i < count; i++)
            {
                labels[i] = (byte)(i % 10);
                pixels[(i * side * side) + (i % (side * side))] = 255;
            }
            File.WriteAllBytes(Path.Combine(dir, $"{prefix}-images-idx3-ubyte"), [.. Header(0x803, count, side, side), .. pixels]);
            File.WriteAllBytes(Path.Combine(dir, $"{prefix}-labels-idx1-ubyte"), [.. Header(0x801, count), .. labels]);
        }
    }

    private static byte[] Header(int magic, params int[] dims) =>
        new[] { magic }.Concat(dims).SelectMany(v => new[] { (byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v }).ToArray();
}
