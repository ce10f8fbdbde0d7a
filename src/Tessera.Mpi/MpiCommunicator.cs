using Tessera.Comm;

namespace Tessera.Mpi;

/// <summary>
/// <see cref="ICommunicator"/> over Open MPI's <c>MPI_COMM_WORLD</c> (one process per rank, started by
/// <c>mpiexec</c>; see <see cref="MpiLauncher"/>). Spans are passed to libmpi as pinned pointers, without copies.
/// Create it through <see cref="MpiRuntime.Run"/>, which initialises MPI, aborts the whole job when this rank throws,
/// and finalises only on success (finalising on an error path leaves the other ranks waiting forever).
/// Calls must come from one thread at a time (MPI_THREAD_SERIALIZED).
/// </summary>
public sealed unsafe class MpiCommunicator : ICommunicator
{
    internal MpiCommunicator()
    {
        OpenMpi.EnsureLoaded();
        Check(OpenMpi.MPI_Initialized(out int initialized), "MPI_Initialized");
        if (initialized == 0)
        {
            Check(OpenMpi.MPI_Init_thread(null, null, OpenMpi.ThreadSerialized, out _), "MPI_Init_thread");
        }
        Check(OpenMpi.MPI_Comm_rank(OpenMpi.CommWorld, out int rank), "MPI_Comm_rank");
        Check(OpenMpi.MPI_Comm_size(OpenMpi.CommWorld, out int size), "MPI_Comm_size");
        (Rank, Size) = (rank, size);
    }

    public int Rank { get; }

    public int Size { get; }

    public void AllReduceSum(Span<float> data)
    {
        // MPI counts are int: reduce in chunks below 2^31 elements.
        for (int offset = 0; offset < data.Length; offset += MaxChunk)
        {
            Span<float> chunk = data.Slice(offset, Math.Min(MaxChunk, data.Length - offset));
            fixed (float* p = chunk)
            {
                Check(OpenMpi.MPI_Allreduce((void*)OpenMpi.InPlace, p, chunk.Length, OpenMpi.Float, OpenMpi.Sum, OpenMpi.CommWorld), "MPI_Allreduce");
            }
        }
    }

    public void AllReduceSum(Span<double> data)
    {
        for (int offset = 0; offset < data.Length; offset += MaxChunk)
        {
            Span<double> chunk = data.Slice(offset, Math.Min(MaxChunk, data.Length - offset));
            fixed (double* p = chunk)
            {
                Check(OpenMpi.MPI_Allreduce((void*)OpenMpi.InPlace, p, chunk.Length, OpenMpi.Double, OpenMpi.Sum, OpenMpi.CommWorld), "MPI_Allreduce");
            }
        }
    }

    public void Broadcast(Span<float> data, int root)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(root);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(root, Size);
        for (int offset = 0; offset < data.Length; offset += MaxChunk)
        {
            Span<float> chunk = data.Slice(offset, Math.Min(MaxChunk, data.Length - offset));
            fixed (float* p = chunk)
            {
                Check(OpenMpi.MPI_Bcast(p, chunk.Length, OpenMpi.Float, root, OpenMpi.CommWorld), "MPI_Bcast");
            }
        }
    }

    public void AllGather(ReadOnlySpan<float> send, Span<float> receive)
    {
        if ((long)send.Length * Size != receive.Length)
        {
            throw new ArgumentException($"AllGather needs a receive buffer of {(long)send.Length * Size} values, got {receive.Length}.", nameof(receive));
        }
        fixed (float* s = send)
        fixed (float* r = receive)
        {
            Check(OpenMpi.MPI_Allgather(s, send.Length, OpenMpi.Float, r, send.Length, OpenMpi.Float, OpenMpi.CommWorld), "MPI_Allgather");
        }
    }

    public void AllGatherV(ReadOnlySpan<float> send, Span<float> receive, ReadOnlySpan<int> counts)
    {
        if (counts.Length != Size || counts[Rank] != send.Length)
        {
            throw new ArgumentException($"AllGatherV needs {Size} counts and counts[{Rank}] = {send.Length}.", nameof(counts));
        }
        var displs = new int[Size];
        long total = 0;
        for (int r = 0; r < Size; r++)
        {
            displs[r] = checked((int)total);
            total += counts[r];
        }
        if (total != receive.Length)
        {
            throw new ArgumentException($"AllGatherV needs a receive buffer of {total} values, got {receive.Length}.", nameof(receive));
        }
        fixed (float* s = send)
        fixed (float* r = receive)
        fixed (int* c = counts)
        fixed (int* d = displs)
        {
            Check(OpenMpi.MPI_Allgatherv(s, send.Length, OpenMpi.Float, r, c, d, OpenMpi.Float, OpenMpi.CommWorld), "MPI_Allgatherv");
        }
    }

    public void Barrier() => Check(OpenMpi.MPI_Barrier(OpenMpi.CommWorld), "MPI_Barrier");

    /// <summary>Ends every rank of the job with <paramref name="code"/> (MPI_Abort on MPI_COMM_WORLD).</summary>
    internal static void Abort(int code) => OpenMpi.MPI_Abort(OpenMpi.CommWorld, code);

    internal static void FinalizeMpi()
    {
        OpenMpi.MPI_Finalized(out int finalized);
        if (finalized == 0)
        {
            OpenMpi.MPI_Finalize();
        }
    }

    /// <summary>Open MPI's default error handler aborts the job on an MPI error, so this only sees 0 in practice.</summary>
    private static void Check(int code, string call)
    {
        if (code != 0)
        {
            throw new InvalidOperationException($"{call} returned MPI error code {code}.");
        }
    }

    private const int MaxChunk = 1 << 30;
}
