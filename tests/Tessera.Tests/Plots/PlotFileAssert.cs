using System.Xml.Linq;

namespace Tessera.Tests.Plots;

/// <summary>Checks on written plot files. Images are never compared pixel by pixel.</summary>
internal static class PlotFileAssert
{
    /// <summary>An 800×500 plot with axes, ticks and text compresses to well above this; a blank canvas does not.</summary>
    public const long MinPngBytes = 5 * 1024;

    public static void IsPng(string path)
    {
        Assert.True(File.Exists(path), $"missing {path}");
        byte[] signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(signature, bytes.Take(signature.Length));
        Assert.True(bytes.Length > MinPngBytes, $"{path} has only {bytes.Length} bytes");
    }

    /// <summary>The file parses as XML with an svg root, and its text content includes every one of <paramref name="texts"/>.</summary>
    public static void IsSvgContaining(string path, params string[] texts)
    {
        Assert.True(File.Exists(path), $"missing {path}");
        var doc = XDocument.Load(path);
        Assert.Equal("svg", doc.Root!.Name.LocalName);
        var content = string.Concat(doc.Descendants().Where(e => !e.HasElements).Select(e => e.Value));
        foreach (var text in texts)
        {
            Assert.Contains(text, content);
        }
    }

    /// <summary>Every font-family in the SVG is <paramref name="family"/> (title, ticks, labels and legend alike).</summary>
    public static void SvgUsesOnlyFont(string path, string family)
    {
        var families = XDocument.Load(path).Descendants()
            .Select(e => e.Attribute("font-family")?.Value)
            .OfType<string>()
            .Distinct()
            .ToList();
        Assert.Equal([family], families);
    }
}
