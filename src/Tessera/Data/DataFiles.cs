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
        byte[] raw = ReadAllBytes(path);
        if (raw.Length < 2 || raw[0] != 0x1f || raw[1] != 0x8b)
        {
            return raw;
        }
        // ISIZE (the last 4 bytes) is the decompressed length mod 2^32: the buffer's first size, capped because a
        // truncated file ends in arbitrary bytes (the buffer grows when the guess is too small).
        long isize = raw.Length >= 18 ? BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(raw.Length - 4)) : 0;
        int expected = (int)Math.Min(isize, Math.Min(8L * raw.Length + 4096, Array.MaxLength));
        byte[] data;
        try
        {
            using var input = new MemoryStream(raw, writable: false);
            using var gzip = new GZipStream(input, CompressionMode.Decompress);
            data = ReadAll(gzip, expected);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw new InputException($"{path} is a truncated or corrupt gzip file ({e.Message}). Download it again.", e);
        }
        if (raw.Length < 18 || !TrailerMatches(raw, data))
        {
            throw new InputException(
                $"{path} is a truncated or corrupt gzip file: its gzip trailer does not match the {data.Length} bytes " +
                "it decompresses to (an interrupted download?). Download it again.");
        }
        return data;
    }

    /// <summary>File.ReadAllBytes with I/O failures (permissions, a folder in the way) as an InputException naming the path.</summary>
    public static byte[] ReadAllBytes(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException($"{path} cannot be read: {e.Message}", e);
        }
    }

    /// <summary>File.ReadAllText (UTF-8) with I/O failures as an InputException naming the path.</summary>
    public static string ReadAllText(string path)
    {
        try
        {
            return File.ReadAllText(path, System.Text.Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException($"{path} cannot be read: {e.Message}", e);
        }
    }

    /// <summary>Reads a stream to its end into an array, starting with room for <paramref name="expected"/> bytes.</summary>
    private static byte[] ReadAll(Stream stream, int expected)
    {
        var buffer = new byte[Math.Max(expected, 4096)];
        int length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                int next = stream.ReadByte();   // the guess was exact in the usual case: no need to grow
                if (next < 0)
                {
                    break;
                }
                if (buffer.Length == Array.MaxLength)
                {
                    throw new InvalidDataException("the data decompresses to more than 2 GB");
                }
                Array.Resize(ref buffer, (int)Math.Min(2L * buffer.Length, Array.MaxLength));
                buffer[length++] = (byte)next;
            }
            int read = stream.Read(buffer, length, buffer.Length - length);
            if (read == 0)
            {
                break;
            }
            length += read;
        }
        if (length != buffer.Length)
        {
            Array.Resize(ref buffer, length);
        }
        return buffer;
    }

    /// <summary>The gzip trailer is CRC-32 then ISIZE (length mod 2^32), little endian, in the last 8 bytes.
    /// Only single-member gzip files (what gzip and the data set publishers write) pass this check.</summary>
    private static bool TrailerMatches(byte[] raw, byte[] data)
    {
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(raw.Length - 8, 4));
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(raw.Length - 4, 4));
        return size == (uint)data.Length && crc == Crc32(data);
    }

    /// <summary>CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as used by gzip; slicing-by-8.</summary>
    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint[] t = CrcTable.Values;   // 8 tables of 256 entries
        uint crc = 0xFFFFFFFFu;
        while (data.Length >= 8)
        {
            uint lo = crc ^ BinaryPrimitives.ReadUInt32LittleEndian(data);
            uint hi = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            crc = t[7 * 256 + (lo & 0xFF)] ^ t[6 * 256 + ((lo >> 8) & 0xFF)]
                ^ t[5 * 256 + ((lo >> 16) & 0xFF)] ^ t[4 * 256 + (lo >> 24)]
                ^ t[3 * 256 + (hi & 0xFF)] ^ t[2 * 256 + ((hi >> 8) & 0xFF)]
                ^ t[1 * 256 + ((hi >> 16) & 0xFF)] ^ t[hi >> 24];
            data = data[8..];
        }
        foreach (byte b in data)
        {
            crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8);
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
            var table = new uint[8 * 256];
            for (uint n = 0; n < 256; n++)
            {
                uint c = n;
                for (int k = 0; k < 8; k++)
                {
                    c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
                }
                table[n] = c;
            }
            for (int n = 0; n < 256; n++)
            {
                for (int k = 1; k < 8; k++)
                {
                    uint previous = table[(k - 1) * 256 + n];
                    table[k * 256 + n] = (previous >> 8) ^ table[previous & 0xFF];
                }
            }
            return table;
        }
    }
}
