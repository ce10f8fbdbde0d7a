using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Tessera;

/// <summary>
/// Keeps oneDNN, libtorch's convolution library, on its AVX2 kernels unless the user chose otherwise through
/// <c>ONEDNN_MAX_CPU_ISA</c>. On the AVX-512 machines Tessera is developed on, its AVX-512 kernels intermittently turned
/// every parameter of FedMA's small LeNet NaN within one step when the CPU was contended (a fixed-seed run failed 1 to 3
/// times in 4 loaded runs; 0 of 12 with AVX2), so the whole library runs on AVX2 kernels.
/// </summary>
internal static class OneDnnIsa
{
    public const string Variable = "ONEDNN_MAX_CPU_ISA";

    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "oneDNN reads the variable once, at its first convolution; a run must not depend on which Tessera call comes first.")]
    internal static void Limit()
    {
        if (OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable(Variable) is null)
        {
            // .NET keeps its own copy of the environment; oneDNN reads the native one.
            _ = SetEnv(Variable, "AVX2", 0);
            Environment.SetEnvironmentVariable(Variable, "AVX2");
        }
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);
}
