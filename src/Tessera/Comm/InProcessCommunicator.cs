using System.Buffers;
using System.Numerics;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using Tessera.Training;

namespace Tessera.Comm;

/// <summary>
/// Workers as threads of one process, exchanging through shared buffers and a barrier. Sums use a fixed tree over
/// the ranks (pairs first: ((r0+r1)+(r2+r3)) for four ranks, ((r0+r1)+r2) for three), so results are bitwise
/// deterministic and identical on every rank. When one worker throws, the others leave their next collective with
/// <see cref="OperationCanceledException"/> and <see cref="Run{T}"/> reports the failing rank: nothing hangs.
/// </summary>
public sealed class InProcessCommunicator : ICommunicator
{
    private readonly Group _group;

    private InProcessCommunicator(Group group, int rank) => (_group, Rank) = (group, rank);

    public int Rank { get; }

    public int Size => _group.Size;

    /// <summary>Runs <paramref name="body"/> on <paramref name="size"/> threads, one per rank, and returns each rank's
    /// result. If a rank throws, every rank is stopped and a <see cref="RankFailedException"/> names it (an
    /// <see cref="InputException"/> is rethrown as it is, so bad input keeps its exit code).</summary>
    public static T[] Run<T>(int size, Func<ICommunicator, T> body)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        ArgumentNullException.ThrowIfNull(body);
        var group = new Group(size);
        var results = new T[size];
        var errors = new Exception?[size];
        var failureOrder = new List<int>();
        var threads = new Thread[size];
        for (int r = 0; r < size; r++)
        {
            int rank = r;
            threads[r] = new Thread(() =>
            {
                try
                {
                    results[rank] = body(new InProcessCommunicator(group, rank));
                }
                catch (Exception e)
                {
                    errors[rank] = e;
                    lock (failureOrder)
                    {
                        failureOrder.Add(rank);
                    }
                    group.Abort();
                }
            }, maxStackSize: 16 << 20)
            { Name = $"tessera rank {rank}/{size}", IsBackground = true };
        }
        using (TorchGc.SideBySide())
        {
            foreach (Thread t in threads)
            {
                t.Start();
            }
            foreach (Thread t in threads)
            {
                t.Join();
            }
        }
        group.Dispose();

        // The first rank to fail is the cause: the others fail only after it aborted the group.
        if (failureOrder.Count > 0)
        {
            int failed = failureOrder[0];
            Exception e = errors[failed]!;
            if (e is InputException or OperationCanceledException)
            {
                ExceptionDispatchInfo.Capture(e).Throw();
            }
            throw new RankFailedException(failed, size, e);
        }
        return results;
    }

    /// <summary><see cref="Run{T}"/> for bodies without a result.</summary>
    public static void Run(int size, Action<ICommunicator> body) =>
        Run(size, comm =>
        {
            body(comm);
            return 0;
        });

    public void AllReduceSum(Span<float> data) => AllReduce(data);

    public void AllReduceSum(Span<double> data) => AllReduce(data);

    public void Broadcast(Span<float> data, int root)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(root);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(root, Size);
        if (Rank == root)
        {
            data.CopyTo(_group.Slot<float>(Rank, data.Length));
        }
        _group.Sync();
        if (Rank != root)
        {
            _group.Read<float>(root, data.Length).CopyTo(data);
        }
        _group.Sync();
    }

    public void AllGather(ReadOnlySpan<float> send, Span<float> receive)
    {
        if (receive.Length != send.Length * Size)
        {
            throw new ArgumentException($"AllGather needs a receive buffer of {send.Length * Size} values, got {receive.Length}.", nameof(receive));
        }
        send.CopyTo(_group.Slot<float>(Rank, send.Length));
        _group.Sync();
        for (int r = 0; r < Size; r++)
        {
            _group.Read<float>(r, send.Length).CopyTo(receive.Slice(r * send.Length, send.Length));
        }
        _group.Sync();
    }

    public void AllGatherV(ReadOnlySpan<float> send, Span<float> receive, ReadOnlySpan<int> counts)
    {
        if (counts.Length != Size || counts[Rank] != send.Length)
        {
            throw new ArgumentException($"AllGatherV needs {Size} counts and counts[{Rank}] = {send.Length}.", nameof(counts));
        }
        send.CopyTo(_group.Slot<float>(Rank, send.Length));
        _group.Sync();
        int offset = 0;
        for (int r = 0; r < Size; r++)
        {
            _group.Read<float>(r, counts[r]).CopyTo(receive.Slice(offset, counts[r]));
            offset += counts[r];
        }
        _group.Sync();
    }

    public void Barrier() => _group.Sync();

    private void AllReduce<T>(Span<T> data) where T : unmanaged, INumber<T>
    {
        data.CopyTo(_group.Slot<T>(Rank, data.Length));
        _group.Sync();
        _group.TreeSum(0, Size, data);
        _group.Sync();
    }

    /// <summary>State shared by the ranks of one <see cref="Run{T}"/>: a buffer per rank and the barrier.</summary>
    private sealed class Group(int size) : IDisposable
    {
        // The last rank to arrive runs the post-phase action while every other rank waits: the one moment no rank
        // thread is inside a libtorch call.
        private readonly Barrier _barrier = new(size, _ => TorchGc.AllRanksWaiting());
        private readonly CancellationTokenSource _abort = new();
        private readonly object?[] _slots = new object?[size];

        public int Size { get; } = size;

        public void Abort() => _abort.Cancel();

        /// <summary>Waits for every rank; throws <see cref="OperationCanceledException"/> once any rank failed.</summary>
        public void Sync() => _barrier.SignalAndWait(_abort.Token);

        /// <summary>Rank <paramref name="rank"/>'s buffer of at least <paramref name="length"/> values (only that rank writes it).</summary>
        public Span<T> Slot<T>(int rank, int length)
        {
            if (_slots[rank] is not T[] a || a.Length < length)
            {
                _slots[rank] = a = new T[length];
            }
            return a.AsSpan(0, length);
        }

        public ReadOnlySpan<T> Read<T>(int rank, int length) => ((T[])_slots[rank]!).AsSpan(0, length);

        /// <summary>Σ of the slots lo..lo+n-1 into <paramref name="dest"/>: the first power-of-two block, then the rest.</summary>
        public void TreeSum<T>(int lo, int n, Span<T> dest) where T : unmanaged, INumber<T>
        {
            if (n == 1)
            {
                Read<T>(lo, dest.Length).CopyTo(dest);
                return;
            }
            int half = 1 << (31 - BitOperations.LeadingZeroCount((uint)(n - 1)));
            TreeSum(lo, half, dest);
            T[] rest = ArrayPool<T>.Shared.Rent(dest.Length);
            try
            {
                Span<T> tail = rest.AsSpan(0, dest.Length);
                TreeSum(lo + half, n - half, tail);
                Add(dest, tail);
            }
            finally
            {
                ArrayPool<T>.Shared.Return(rest);
            }
        }

        private static void Add<T>(Span<T> dest, ReadOnlySpan<T> src) where T : unmanaged, INumber<T>
        {
            Span<Vector<T>> dv = MemoryMarshal.Cast<T, Vector<T>>(dest);
            ReadOnlySpan<Vector<T>> sv = MemoryMarshal.Cast<T, Vector<T>>(src);
            for (int i = 0; i < dv.Length; i++)
            {
                dv[i] += sv[i];
            }
            for (int i = dv.Length * Vector<T>.Count; i < dest.Length; i++)
            {
                dest[i] += src[i];
            }
        }

        public void Dispose()
        {
            _barrier.Dispose();
            _abort.Dispose();
        }
    }
}

/// <summary>A worker of a data-parallel job failed; the job was stopped. Names the rank and the error.</summary>
public sealed class RankFailedException(int rank, int size, Exception inner)
    : Exception($"rank {rank} of {size} failed: {inner.GetType().Name}: {inner.Message}", inner)
{
    public int Rank { get; } = rank;
}
