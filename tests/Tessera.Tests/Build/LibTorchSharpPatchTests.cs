using System.IO.Compression;
using System.Reflection;
using Tessera.Build;

namespace Tessera.Tests.Build;

public sealed class LibTorchSharpPatchTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tessera-patch-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The glue library exactly as shipped: taken from the .nupkg, not from the (patched) cache folder.</summary>
    private string PristineGlue()
    {
        string root = typeof(LibTorchSharpPatchTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "NuGetPackageRoot").Value!;
        Version v = typeof(torch).Assembly.GetName().Version!;
        string version = $"{v.Major}.{v.Minor}.{v.Build}";
        string nupkg = Path.Combine(root, "torchsharp", version, $"torchsharp.{version}.nupkg");
        using ZipArchive zip = ZipFile.OpenRead(nupkg);
        string target = Path.Combine(_dir, "libLibTorchSharp.so");
        zip.GetEntry("runtimes/linux-x64/native/libLibTorchSharp.so")!.ExtractToFile(target);
        return target;
    }

    [Fact]
    public void Patch_ShippedGlue_SetsOnlyTheWeakBitOfOneEntry()
    {
        string path = PristineGlue();
        byte[] before = File.ReadAllBytes(path);

        PatchOutcome outcome = GlibcxxWeakener.Patch(path);

        byte[] after = File.ReadAllBytes(path);
        long flagsAt = GlibcxxWeakener.FindFlagsOffset(path, out ushort flags);
        int[] changed = Enumerable.Range(0, before.Length).Where(i => before[i] != after[i]).ToArray();
        Assert.Equal(PatchOutcome.Patched, outcome);
        Assert.Equal(before.Length, after.Length);
        Assert.Equal(new[] { (int)flagsAt }, changed);   // little endian: VER_FLG_WEAK (0x2) lives in the low byte
        Assert.Equal(0x02, before[flagsAt] ^ after[flagsAt]);
        Assert.Equal(0x2, flags & 0x2);
    }

    [Fact]
    public void Patch_SecondRun_ChangesNothing()
    {
        string path = PristineGlue();
        GlibcxxWeakener.Patch(path);
        byte[] once = File.ReadAllBytes(path);

        PatchOutcome second = GlibcxxWeakener.Patch(path);

        Assert.Equal(PatchOutcome.AlreadyWeak, second);
        Assert.Equal(once, File.ReadAllBytes(path));
    }

    [Theory]
    [InlineData("not-elf")]
    [InlineData("truncated")]
    [InlineData("other-library")]
    public void Patch_UnexpectedFile_IsRefusedAndLeftUntouched(string kind)
    {
        string path = Path.Combine(_dir, kind);
        byte[] content = kind switch
        {
            "not-elf" => "just some text, not a shared library"u8.ToArray(),
            "truncated" => File.ReadAllBytes(PristineGlue())[..4096],
            // A real ELF library without any GLIBCXX_3.4.32 requirement: the patched file's name table renamed.
            _ => RenameVersion(File.ReadAllBytes(PristineGlue())),
        };
        File.WriteAllBytes(path, content);

        var error = Assert.Throws<InvalidDataException>(() => GlibcxxWeakener.Patch(path));

        Assert.Contains(path, error.Message);
        Assert.Equal(content, File.ReadAllBytes(path));
    }

    private static byte[] RenameVersion(byte[] elf)
    {
        byte[] name = "GLIBCXX_3.4.32"u8.ToArray();
        int at = elf.AsSpan().IndexOf(name);
        Assert.True(at > 0);
        elf[at + name.Length - 1] = (byte)'9';   // GLIBCXX_3.4.39: still a valid string, no longer the expected one
        return elf;
    }

    [Fact]
    public void TorchSharp_Loads_AndRunsForwardBackward()
    {
        // Fails with a DllNotFoundException (GLIBCXX_3.4.32) if the build did not patch the glue library.
        using var x = torch.ones(2, 3, requires_grad: true);
        using var y = (x * x).sum();
        y.backward();
        using var grad = x.grad!;
        Assert.Equal(6f, y.item<float>());
        Assert.Equal(new float[] { 2, 2, 2, 2, 2, 2 }, grad.data<float>().ToArray());
    }
}
