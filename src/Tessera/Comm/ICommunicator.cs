namespace Tessera.Comm;

/// <summary>
/// The collectives data-parallel training needs, on flat spans (STYLE B11). Every rank calls the same collectives in
/// the same order with the same lengths; results are identical on every rank. Implementations:
/// <see cref="InProcessCommunicator"/> (workers as threads of one process; the default, used by tests) and the Open MPI
/// transport in Tessera.Mpi. A rank that fails must end the whole job, never leave the others waiting.
/// </summary>
public interface ICommunicator
{
    /// <summary>This worker's index, 0..Size-1.</summary>
    int Rank { get; }

    /// <summary>The number of workers.</summary>
    int Size { get; }

    /// <summary>Replaces <paramref name="data"/> on every rank by the element-wise sum over all ranks.</summary>
    void AllReduceSum(Span<float> data);

    /// <inheritdoc cref="AllReduceSum(Span{float})"/>
    void AllReduceSum(Span<double> data);

    /// <summary>Copies <paramref name="data"/> of rank <paramref name="root"/> into <paramref name="data"/> of every rank.</summary>
    void Broadcast(Span<float> data, int root);

    /// <summary>Concatenates every rank's <paramref name="send"/> (all the same length) in rank order into
    /// <paramref name="receive"/> (length Size·send.Length) on every rank.</summary>
    void AllGather(ReadOnlySpan<float> send, Span<float> receive);

    /// <summary>Like <see cref="AllGather"/>, with a different length per rank: rank r sends
    /// <paramref name="counts"/>[r] values (the same counts array on every rank); <paramref name="receive"/> holds
    /// Σ counts values in rank order.</summary>
    void AllGatherV(ReadOnlySpan<float> send, Span<float> receive, ReadOnlySpan<int> counts);

    /// <summary>Returns once every rank has called it.</summary>
    void Barrier();
}
