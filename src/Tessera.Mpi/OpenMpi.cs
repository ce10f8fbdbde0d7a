using System.Runtime.InteropServices;

namespace Tessera.Mpi;

/// <summary>
/// A thin P/Invoke binding to Open MPI's <c>libmpi.so.40</c> (Debian: <c>apt-get install openmpi-bin</c>). Open MPI's
/// handles (<c>MPI_Comm</c>, <c>MPI_Datatype</c>, <c>MPI_Op</c>) are pointers, and the predefined ones are the
/// addresses of exported globals (<c>MPI_COMM_WORLD == &amp;ompi_mpi_comm_world</c>); <c>MPI_IN_PLACE</c> is
/// <c>(void*)1</c>. Open MPI 3.x–5.x keep soname 40 and these symbol names. Not for MPICH or MS-MPI (integer handles).
/// </summary>
internal static unsafe partial class OpenMpi
{
    private const string Lib = "tessera-openmpi";

    /// <summary>MPI_THREAD_SERIALIZED: MPI calls from one thread at a time.</summary>
    public const int ThreadSerialized = 2;

    // Declared first: static fields initialise in textual order and Load reads this one.
    private static readonly string[] LibraryNames = ["libmpi.so.40", "libmpi.so"];

    private static readonly IntPtr Handle = Load();

    public static readonly IntPtr CommWorld = NativeLibrary.GetExport(Handle, "ompi_mpi_comm_world");
    public static readonly IntPtr Float = NativeLibrary.GetExport(Handle, "ompi_mpi_float");
    public static readonly IntPtr Double = NativeLibrary.GetExport(Handle, "ompi_mpi_double");
    public static readonly IntPtr Sum = NativeLibrary.GetExport(Handle, "ompi_mpi_op_sum");
    public static readonly IntPtr InPlace = 1;

    /// <summary>Whether Open MPI's library can be loaded on this machine.</summary>
    public static bool IsAvailable()
    {
        foreach (string name in LibraryNames)
        {
            if (NativeLibrary.TryLoad(name, out IntPtr h))
            {
                NativeLibrary.Free(h);
                return true;
            }
        }
        return false;
    }

    private static IntPtr Load()
    {
        foreach (string name in LibraryNames)
        {
            if (NativeLibrary.TryLoad(name, out IntPtr h))
            {
                NativeLibrary.SetDllImportResolver(typeof(OpenMpi).Assembly, (n, _, _) => n == Lib ? h : IntPtr.Zero);
                return h;
            }
        }
        throw new InputException("Open MPI's library (libmpi.so.40) was not found: install Open MPI with 'apt-get install openmpi-bin'.");
    }

    /// <summary>Forces the library load (and the resolver) before the first call.</summary>
    public static void EnsureLoaded() => _ = Handle;

    [LibraryImport(Lib)]
    public static partial int MPI_Init_thread(int* argc, byte*** argv, int required, out int provided);

    [LibraryImport(Lib)]
    public static partial int MPI_Initialized(out int flag);

    [LibraryImport(Lib)]
    public static partial int MPI_Finalized(out int flag);

    [LibraryImport(Lib)]
    public static partial int MPI_Finalize();

    [LibraryImport(Lib)]
    public static partial int MPI_Abort(IntPtr comm, int errorcode);

    [LibraryImport(Lib)]
    public static partial int MPI_Comm_rank(IntPtr comm, out int rank);

    [LibraryImport(Lib)]
    public static partial int MPI_Comm_size(IntPtr comm, out int size);

    [LibraryImport(Lib)]
    public static partial int MPI_Barrier(IntPtr comm);

    [LibraryImport(Lib)]
    public static partial int MPI_Bcast(void* buffer, int count, IntPtr datatype, int root, IntPtr comm);

    [LibraryImport(Lib)]
    public static partial int MPI_Allreduce(void* sendbuf, void* recvbuf, int count, IntPtr datatype, IntPtr op, IntPtr comm);

    [LibraryImport(Lib)]
    public static partial int MPI_Allgather(void* sendbuf, int sendcount, IntPtr sendtype, void* recvbuf, int recvcount, IntPtr recvtype, IntPtr comm);

    [LibraryImport(Lib)]
    public static partial int MPI_Allgatherv(void* sendbuf, int sendcount, IntPtr sendtype, void* recvbuf, int* recvcounts, int* displs,
        IntPtr recvtype, IntPtr comm);
}
