using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Tessera;

/// <summary>
/// Runs libtorch's convolutions without oneDNN (mkldnn), on libtorch's own kernels. With oneDNN, FedMA's small LeNet
/// intermittently produced NaN outputs from finite weights and inputs: every parameter NaN after one training step
/// under CPU contention (9 of 28 loaded runs; still seen with oneDNN limited to AVX2), and NaN test logits for two of
/// four trained models in a row (0 with oneDNN off). TorchSharp 0.107 has no switch for it, so this calls libtorch's
/// <c>at::globalContext().setUserEnabledMkldnn(false)</c> (the pinned libtorch 2.10 exports these symbols) when Tessera
/// loads. NNPACK goes off too: this CPU cannot run it, and without oneDNN libtorch would try it and warn on every call.
/// </summary>
internal static class OneDnn
{
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "Every torch call of the process must see the same setting, whichever Tessera code runs first.")]
    internal static void Disable()
    {
        torch.InitializeDeviceType(DeviceType.CPU);   // loads libtorch, so the entry points below resolve
        IntPtr context = GlobalContext();
        SetUserEnabledMkldnn(context, false);
        SetUserEnabledNnpack(context, false);
    }

    /// <summary>Whether libtorch would use oneDNN (for tests).</summary>
    internal static bool Enabled => UserEnabledMkldnn(GlobalContext());

    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at13globalContextEv")]
    private static extern IntPtr GlobalContext();

    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")]
    private static extern void SetUserEnabledMkldnn(IntPtr context, [MarshalAs(UnmanagedType.I1)] bool enabled);

    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")]
    private static extern void SetUserEnabledNnpack(IntPtr context, [MarshalAs(UnmanagedType.I1)] bool enabled);

    [DllImport("libtorch_cpu", EntryPoint = "_ZNK2at7Context17userEnabledMkldnnEv")]
    [return: MarshalAs(UnmanagedType.I1)]
    private static extern bool UserEnabledMkldnn(IntPtr context);
}
