using System.Runtime.InteropServices;
using System.Text;

namespace Tessera.Comm;

/// <summary>Collectives built from the <see cref="ICommunicator"/> primitives: integers and bytes travel as the bit
/// patterns of floats (copied, never added), so only flat float spans ever cross the transport.</summary>
public static class CommunicatorExtensions
{
    /// <summary>Every rank's count, in rank order (an all-gather of one value per rank).</summary>
    public static int[] AllGatherCount(this ICommunicator comm, int count)
    {
        ArgumentNullException.ThrowIfNull(comm);
        Span<float> mine = [BitConverter.Int32BitsToSingle(count)];
        var all = new float[comm.Size];
        comm.AllGather(mine, all);
        return MemoryMarshal.Cast<float, int>(all).ToArray();
    }

    /// <summary>Every rank's values concatenated in rank order, with each rank's count.</summary>
    public static (float[] Values, int[] Counts) AllGatherV(this ICommunicator comm, ReadOnlySpan<float> send)
    {
        ArgumentNullException.ThrowIfNull(comm);
        int[] counts = comm.AllGatherCount(send.Length);
        var values = new float[counts.Sum(c => (long)c)];
        comm.AllGatherV(send, values, counts);
        return (values, counts);
    }

    /// <summary>Broadcasts integers from <paramref name="root"/> (bit-exact, any value).</summary>
    public static void Broadcast(this ICommunicator comm, Span<int> data, int root)
    {
        ArgumentNullException.ThrowIfNull(comm);
        comm.Broadcast(MemoryMarshal.Cast<int, float>(data), root);
    }

    /// <summary>Broadcasts a byte blob of any length from <paramref name="root"/>; other ranks pass anything (null).</summary>
    public static byte[] BroadcastBytes(this ICommunicator comm, byte[]? data, int root)
    {
        ArgumentNullException.ThrowIfNull(comm);
        Span<int> length = [comm.Rank == root ? data?.Length ?? throw new ArgumentNullException(nameof(data)) : 0];
        comm.Broadcast(length, root);
        var padded = new float[(length[0] + 3) / 4];
        Span<byte> bytes = MemoryMarshal.AsBytes(padded.AsSpan());
        if (comm.Rank == root)
        {
            data.AsSpan().CopyTo(bytes);
        }
        comm.Broadcast(padded, root);
        return bytes[..length[0]].ToArray();
    }

    /// <summary>Broadcasts a string (UTF-8) from <paramref name="root"/>.</summary>
    public static string BroadcastString(this ICommunicator comm, string? text, int root) =>
        Encoding.UTF8.GetString(comm.BroadcastBytes(text is null ? null : Encoding.UTF8.GetBytes(text), root));

    /// <summary>Every rank's byte blob, in rank order (an all-gather of variable length).</summary>
    public static byte[][] AllGatherBytes(this ICommunicator comm, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(comm);
        ArgumentNullException.ThrowIfNull(data);
        int[] lengths = comm.AllGatherCount(data.Length);
        var padded = new float[(data.Length + 3) / 4];
        data.AsSpan().CopyTo(MemoryMarshal.AsBytes(padded.AsSpan()));
        int[] counts = lengths.Select(l => (l + 3) / 4).ToArray();
        var all = new float[counts.Sum()];
        comm.AllGatherV(padded, all, counts);
        var result = new byte[comm.Size][];
        int offset = 0;
        for (int r = 0; r < comm.Size; r++)
        {
            result[r] = MemoryMarshal.AsBytes(all.AsSpan(offset, counts[r]))[..lengths[r]].ToArray();
            offset += counts[r];
        }
        return result;
    }

    /// <summary>The element-wise maximum over ranks of small non-negative values (e.g. per-rank timings), via an
    /// all-gather so that no reduction order is involved.</summary>
    public static double[] AllMax(this ICommunicator comm, ReadOnlySpan<double> values)
    {
        ArgumentNullException.ThrowIfNull(comm);
        var send = new float[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            send[i] = (float)values[i];
        }
        var all = new float[send.Length * comm.Size];
        comm.AllGather(send, all);
        var max = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            max[i] = double.NegativeInfinity;
            for (int r = 0; r < comm.Size; r++)
            {
                max[i] = Math.Max(max[i], all[(r * values.Length) + i]);
            }
        }
        return max;
    }
}
