using System.Globalization;

namespace Tessera.Comm;

/// <summary>
/// A conformance check of an <see cref="ICommunicator"/>, run by every rank: exact float sums (small integers, so any
/// reduction order is exact), double sums, broadcasts from every root, all-gathers with equal and unequal lengths,
/// bytes and barriers. Returns what went wrong on this rank (empty when everything holds). Used by the unit tests on
/// the in-process communicator and by <c>tessera launch -n N -- comm-check</c> on MPI.
/// </summary>
public static class CommunicatorCheck
{
    public static IReadOnlyList<string> Run(ICommunicator comm)
    {
        ArgumentNullException.ThrowIfNull(comm);
        var problems = new List<string>();
        int n = comm.Size, rank = comm.Rank;
        void Expect(bool ok, string what)
        {
            if (!ok)
            {
                problems.Add(what);
            }
        }

        foreach (int length in new[] { 1, 7, 1000, 100_003 })
        {
            var f = new float[length];
            var d = new double[length];
            for (int i = 0; i < length; i++)
            {
                f[i] = (rank + 1) * (i % 97);
                d[i] = (rank + 1) * 0.5 * (i % 89);
            }
            comm.AllReduceSum(f);
            comm.AllReduceSum(d);
            double ranks = n * (n + 1) / 2.0;
            Expect(Enumerable.Range(0, length).All(i => f[i] == (float)(ranks * (i % 97))), $"AllReduceSum(float[{length}]) is not the exact sum");
            Expect(Enumerable.Range(0, length).All(i => d[i] == ranks * 0.5 * (i % 89)), $"AllReduceSum(double[{length}]) is not the exact sum");
        }
        for (int root = 0; root < n; root++)
        {
            var b = new float[513];
            if (rank == root)
            {
                for (int i = 0; i < b.Length; i++)
                {
                    b[i] = (root * 1000) + i;
                }
            }
            comm.Broadcast(b, root);
            Expect(b.Select((v, i) => v == (root * 1000) + i).All(x => x), $"Broadcast from root {root} did not arrive");
        }
        var mine = Enumerable.Range(0, 5).Select(i => (float)((rank * 10) + i)).ToArray();
        var all = new float[5 * n];
        comm.AllGather(mine, all);
        Expect(all.Select((v, i) => v == ((i / 5) * 10) + (i % 5)).All(x => x), "AllGather is not in rank order");
        var varying = Enumerable.Range(0, rank + 1).Select(i => (float)((rank * 100) + i)).ToArray();
        (float[] values, int[] counts) = comm.AllGatherV(varying);
        Expect(counts.SequenceEqual(Enumerable.Range(1, n)), "AllGatherV counts are wrong");
        int offset = 0;
        for (int r = 0; r < n; r++)
        {
            for (int i = 0; i <= r; i++)
            {
                Expect(values[offset + i] == (r * 100) + i, $"AllGatherV value {i} of rank {r} is wrong");
            }
            offset += r + 1;
        }
        byte[][] blobs = comm.AllGatherBytes([.. Enumerable.Range(0, rank + 2).Select(i => (byte)(rank + i))]);
        Expect(blobs.Select((b, r) => b.Length == r + 2 && b[0] == r).All(x => x), "AllGatherBytes is wrong");
        string text = comm.BroadcastString(rank == 0 ? $"hello from {n} ranks ✓" : null, 0);
        Expect(text == $"hello from {n} ranks ✓", "BroadcastString is wrong");
        comm.Barrier();
        return problems;
    }

    /// <summary>One line per rank for logs: "RANK r/n OK" or the problems.</summary>
    public static string Report(ICommunicator comm, IReadOnlyList<string> problems) =>
        problems.Count == 0
            ? string.Create(CultureInfo.InvariantCulture, $"RANK {comm.Rank}/{comm.Size} OK")
            : string.Create(CultureInfo.InvariantCulture, $"RANK {comm.Rank}/{comm.Size} FAILED: {string.Join("; ", problems)}");
}
