namespace Tessera.Mpi;

/// <summary>
/// The safe way to run one MPI rank: initialise, run the body, and on <b>any</b> exception (on this thread or an
/// unhandled one on another thread) print one line naming the rank and the error to stderr and call
/// <c>MPI_Abort</c>, which ends every rank of the job. <c>MPI_Finalize</c> is called only on success: a failing rank
/// that finalises leaves the others blocked in their next collective forever.
/// </summary>
public static class MpiRuntime
{
    /// <summary>Whether Open MPI's library can be loaded here.</summary>
    public static bool IsAvailable => OpenMpi.IsAvailable();

    /// <summary>True when this process was started by Open MPI's mpiexec (it sets OMPI_COMM_WORLD_SIZE).</summary>
    public static bool UnderMpiexec => Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null;

    /// <param name="body">The rank's work; its result is the process exit code.</param>
    /// <param name="exitCodeFor">The abort code for an exception (default 1); e.g. 2 for bad input.</param>
    public static int Run(Func<MpiCommunicator, int> body, Func<Exception, int>? exitCodeFor = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        var comm = new MpiCommunicator();
        AppDomain.CurrentDomain.UnhandledException += (_, e) => Fail(comm, e.ExceptionObject as Exception, exitCodeFor);
        int rc;
        try
        {
            rc = body(comm);
        }
        catch (Exception e)
        {
            Fail(comm, e, exitCodeFor);
            return 1;
        }
        MpiCommunicator.FinalizeMpi();
        return rc;
    }

    private static void Fail(MpiCommunicator comm, Exception? e, Func<Exception, int>? exitCodeFor)
    {
        int code = e is null ? 1 : exitCodeFor?.Invoke(e) ?? 1;
        Console.Error.WriteLine($"tessera: rank {comm.Rank} of {comm.Size} failed: {Describe(e)}");
        if (e is not null && e is not InputException)
        {
            Console.Error.WriteLine(e.StackTrace);
        }
        Console.Error.Flush();
        Console.Out.Flush();
        MpiCommunicator.Abort(code);
    }

    private static string Describe(Exception? e) => e switch
    {
        null => "an unknown error",
        InputException => e.Message,
        _ => $"{e.GetType().Name}: {e.Message}",
    };
}
