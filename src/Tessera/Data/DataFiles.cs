using System.Buffers.Binary;
using System.IO.Compression;

namespace Tessera.Data;

/// <summary>File helpers shared by the readers: full paths, gzip detection by magic bytes, integrity checks.</summary>
internal static class DataFiles
{
    /// <summary>Reads a whole file. If it starts with the gzip magic (1f 8b) it is decompressed, and the gzip
    /// trailer (CRC-32 and length of the last member) is checked, because .NET's GZipStream returns a short
    /// result for a truncated file instead of failing.</summary>
    public static byte[] ReadMaybeGzip(string path)
    {
        path = Path.GetFullPath(path);
        if (!File.Exists(path))
        {
            throw new InputException($"{path} does not exist.");
        }
        byte[] raw = File.ReadAllBytes(path);
        if (raw.Length < 2 || raw[0] != 0x1f || raw[1] != 0x8b)
        {
            return raw;
        }
        byte[] data;
        try
        {
            using var input = new MemoryStream(raw, writable: false);
            using var gzip = new GZipStream(input, CompressionMode.Decompress);
            using var output = new MemoryStream(capacity: raw.Length * 4);
            gzip.CopyTo(output);
            data = output.ToArray();
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw new InputException($"{path} is a corrupt gzip file ({e.Message}). Download it again.", e);
        }
        if (raw.Length < 18 || !TrailerMatches(raw, data))
        {
            throw new InputException(
                $"{path} is a truncated or corrupt gzip file: its gzip trailer does not match the {data.Length} bytes " +
                "it decompresses to (an interrupted download?). Download it again.");
        }
        return data;
    }

    /// <summary>The gzip trailer is CRC-32 then ISIZE (length mod 2^32), little endian, in the last 8 bytes.
    /// Only single-member gzip files (what gzip and the data set publishers write) pass this check.</summary>
    private static bool TrailerMatches(byte[] raw, byte[] data)
    {
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(raw.Length - 8, 4));
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(raw.Length - 4, 4));
        return size == (uint)data.Length && crc == Crc32(data);
    }

    /// <summary>CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as used by gzip.</summary>
    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint[] table = CrcTable.Values;
        uint crc = 0xFFFFFFFFu;
        foreach (byte b in data)
        {
            crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }
        return ~crc;
    }

    public static int ReadInt32BigEndian(byte[] bytes, int offset) =>
        BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(offset, 4));

    private static class CrcTable
    {
        internal static readonly uint[] Values = Build();

        private static uint[] Build()
        {
            var table = new uint[256];
            for (uint n = 0; n < 256; n++)
            {
                uint c = n;
                for (int k = 0; k < 8; k++)
                {
                    c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
                }
                table[n] = c;
            }
            return table;
        }
    }
}
