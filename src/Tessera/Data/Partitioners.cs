namespace Tessera.Data;

/// <summary>
/// Splits a data set among federated clients. Each returns, for every client, the sorted dataset indices it
/// owns; every index is assigned to exactly one client. All randomness comes from <see cref="SeededRandom"/>(seed).
/// Parameters that cannot work for the given data (more shards than samples, ...) raise an
/// <see cref="InputException"/>, since they come from a run's configuration.
/// </summary>
public static class Partitioners
{
    /// <summary>Upper bound on Dirichlet redraws before <see cref="Dirichlet"/> gives up.</summary>
    public const int MaxDirichletAttempts = 1000;

    /// <summary>A uniformly random partition into <paramref name="clients"/> parts whose sizes differ by at most 1
    /// (the first n mod clients parts of the shuffled order get one more).</summary>
    public static int[][] Iid(int n, int clients, long seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        RequireClients(clients);
        int[] order = Range(n);
        new SeededRandom(seed).Shuffle(order.AsSpan());
        var parts = new int[clients][];
        int start = 0;
        for (int k = 0; k < clients; k++)
        {
            int size = n / clients + (k < n % clients ? 1 : 0);
            parts[k] = order[start..(start + size)];
            Array.Sort(parts[k]);
            start += size;
        }
        return parts;
    }

    /// <summary>
    /// Label skew as in the NIID-bench / FedMA code: for each class, shuffle its indices and deal them out with
    /// proportions drawn from Dir(alpha, …, alpha), where a client already holding at least n / clients samples
    /// gets proportion 0 (the balancing step of that code); cut points are ⌊cumsum(p)·count⌋. The whole draw is
    /// repeated until every client holds at least <paramref name="minPerClient"/> samples. Small alpha gives each
    /// client few classes; large alpha approaches an IID split.
    /// </summary>
    public static int[][] Dirichlet(long[] labels, int numClasses, int clients, double alpha, long seed, int minPerClient = 1)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numClasses);
        RequireClients(clients);
        if (!(alpha > 0) || double.IsInfinity(alpha))
        {
            throw new InputException($"The Dirichlet partition needs a concentration alpha > 0; got {alpha}.");
        }
        ArgumentOutOfRangeException.ThrowIfNegative(minPerClient);
        int n = labels.Length;
        if ((long)clients * minPerClient > n)
        {
            throw new InputException(
                $"The Dirichlet partition cannot give {clients} clients at least {minPerClient} samples each from {n} samples.");
        }
        List<int>[] byClass = IndicesByClass(labels, numClasses);
        var rng = new SeededRandom(seed);
        double balanceCap = (double)n / clients;
        for (int attempt = 0; attempt < MaxDirichletAttempts; attempt++)
        {
            var owned = new List<int>[clients];
            for (int k = 0; k < clients; k++)
            {
                owned[k] = [];
            }
            var logs = new double[clients];
            foreach (List<int> members in byClass)
            {
                if (members.Count == 0)
                {
                    continue;
                }
                int[] idx = [.. members];
                rng.Shuffle(idx.AsSpan());
                for (int k = 0; k < clients; k++)
                {
                    double logGamma = rng.NextLogGamma(alpha);
                    logs[k] = owned[k].Count < balanceCap ? logGamma : double.NegativeInfinity;
                }
                double[] p = SeededRandom.NormalizeLogs(logs);
                double cumulative = 0;
                int from = 0;
                for (int k = 0; k < clients; k++)
                {
                    cumulative += p[k];
                    int to = k == clients - 1 ? idx.Length : Math.Min(idx.Length, (int)(cumulative * idx.Length));
                    to = Math.Max(to, from);
                    owned[k].AddRange(idx[from..to]);
                    from = to;
                }
            }
            if (owned.All(o => o.Count >= minPerClient))
            {
                return owned.Select(Sorted).ToArray();
            }
        }
        throw new InputException(
            $"The Dirichlet partition (alpha {alpha}, {clients} clients) left a client with fewer than {minPerClient} " +
            $"samples in {MaxDirichletAttempts} draws. Raise alpha, or lower the number of clients or the minimum per client.");
    }

    /// <summary>
    /// The FedAvg pathological split: sort indices by label (ties by index), cut them into
    /// clients·shardsPerClient contiguous shards whose sizes differ by at most 1, and deal
    /// <paramref name="shardsPerClient"/> random shards to each client.
    /// </summary>
    public static int[][] Shards(long[] labels, int clients, int shardsPerClient, long seed)
    {
        ArgumentNullException.ThrowIfNull(labels);
        RequireClients(clients);
        if (shardsPerClient < 1)
        {
            throw new InputException($"The shard partition needs at least 1 shard per client; got {shardsPerClient}.");
        }
        int n = labels.Length;
        long shardCount = (long)clients * shardsPerClient;
        if (shardCount > n)
        {
            throw new InputException(
                $"The shard partition needs {clients} x {shardsPerClient} = {shardCount} shards, more than the {n} samples.");
        }
        int[] sorted = Range(n);
        Array.Sort(sorted, (a, b) => labels[a] != labels[b] ? labels[a].CompareTo(labels[b]) : a.CompareTo(b));
        int shards = (int)shardCount;
        var starts = new int[shards + 1];
        for (int s = 0; s < shards; s++)
        {
            starts[s + 1] = starts[s] + n / shards + (s < n % shards ? 1 : 0);
        }
        int[] dealt = Range(shards);
        new SeededRandom(seed).Shuffle(dealt.AsSpan());
        var parts = new int[clients][];
        for (int k = 0; k < clients; k++)
        {
            var mine = new List<int>();
            for (int j = 0; j < shardsPerClient; j++)
            {
                int s = dealt[k * shardsPerClient + j];
                mine.AddRange(sorted[starts[s]..starts[s + 1]]);
            }
            parts[k] = Sorted(mine);
        }
        return parts;
    }

    private static List<int>[] IndicesByClass(long[] labels, int numClasses)
    {
        var byClass = new List<int>[numClasses];
        for (int c = 0; c < numClasses; c++)
        {
            byClass[c] = [];
        }
        for (int i = 0; i < labels.Length; i++)
        {
            long y = labels[i];
            if (y < 0 || y >= numClasses)
            {
                throw new ArgumentException($"Label {y} at index {i} is outside 0..{numClasses - 1}.", nameof(labels));
            }
            byClass[y].Add(i);
        }
        return byClass;
    }

    private static void RequireClients(int clients)
    {
        if (clients < 1)
        {
            throw new InputException($"A partition needs at least 1 client; got {clients}.");
        }
    }

    private static int[] Range(int n)
    {
        var r = new int[n];
        for (int i = 0; i < n; i++)
        {
            r[i] = i;
        }
        return r;
    }

    private static int[] Sorted(List<int> items)
    {
        int[] a = [.. items];
        Array.Sort(a);
        return a;
    }
}
