using System.Diagnostics;
using System.Globalization;
using Tessera.Mpi;

namespace Tessera.Benchmarks;

/// <summary>
/// Allreduce bandwidth through Tessera's communicator (<see cref="MpiCommunicator.AllReduceSum(Span{float})"/>) against
/// a raw <c>MPI_Allreduce</c> P/Invoke on the same buffers, interleaved in one run (A, B, A, B, ...) so machine load hits
/// both alike. <c>allreduce</c> starts itself under mpiexec; each rank runs <c>allreduce-rank</c>.
/// </summary>
public static class AllReduceBench
{
    public static int Launch(int ranks)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "Tessera.Benchmarks.dll");
        var options = new MpiLaunchOptions { Ranks = ranks };
        ProcessStartInfo info = MpiLauncher.StartInfo(options, ["dotnet", dll, "allreduce-rank"]);
        Console.WriteLine($"allreduce benchmark: {MpiLauncher.Describe(info, options)}");
        using Process p = Process.Start(info)!;
        p.WaitForExit();
        return p.ExitCode;
    }

    public static unsafe int Rank() => MpiRuntime.Run(comm =>
    {
        foreach (int n in new[] { 1 << 20, 10 << 20 })
        {
            var buffer = new float[n];
            void Fill() => Array.Fill(buffer, 1f / comm.Size);
            void ViaCommunicator()
            {
                Fill();
                comm.AllReduceSum(buffer);
            }
            void Raw()
            {
                Fill();
                fixed (float* p = buffer)
                {
                    OpenMpi.MPI_Allreduce((void*)OpenMpi.InPlace, p, n, OpenMpi.Float, OpenMpi.Sum, OpenMpi.CommWorld);
                }
            }
            (double tComm, double tRaw) = Timing.Interleaved(ViaCommunicator, Raw, warmup: 2, repeats: 11);
            // The fill is in both bodies; time it alone and take it off both.
            double fill = Timing.MedianSeconds(Fill, 2, 11);
            if (comm.Rank == 0)
            {
                double bytes = 4.0 * n, a = tComm - fill, b = tRaw - fill;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{comm.Size} ranks, {n / (1 << 20)}M floats: communicator {a * 1e3:F2} ms ({bytes / a / 1e9:F2} GB/s), raw MPI_Allreduce {b * 1e3:F2} ms ({bytes / b / 1e9:F2} GB/s), communicator/raw bandwidth {b / a:P1}"));
            }
        }
        return 0;
    });
}
