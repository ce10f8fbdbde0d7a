using ScottPlot;
using SkiaSharp;

namespace Tessera.Plots;

/// <summary>
/// Picks an installed sans-serif font. ScottPlot's default is whatever family Skia reports as its default
/// typeface: on Debian with only DejaVu installed that is "DejaVu Serif", and on a minimal image it can be a
/// name that no installed font answers to, so labels render as nothing. Order tried: well-known sans families,
/// the family fontconfig maps "sans-serif" to, a sans font file at a well-known path, ScottPlot's default if
/// it is installed. If all fail, ScottPlot's choice is left alone.
/// </summary>
internal static class PlotFont
{
    /// <summary>The family used for all text, or null when nothing better than ScottPlot's default was found.
    /// Resolved once, when the class is first used.</summary>
    public static string? Name { get; } = Resolve();

    /// <summary>
    /// Sets title, axis labels, tick labels and legend of <paramref name="plot"/> to the resolved font (no-op if
    /// none). Call it right after creating the plot: ScottPlot's <c>Font.Set</c> covers only the elements that
    /// exist (and makes the font its global default); the legend font is set explicitly.
    /// </summary>
    public static void Apply(Plot plot)
    {
        if (Name is { } name)
        {
            plot.Font.Set(name);
            plot.Legend.FontName = name;
        }
    }

    private static string? Resolve()
    {
        const string FileFontName = "Tessera Sans";
        string[] preferredFamilies = ["DejaVu Sans", "Liberation Sans", "Noto Sans", "FreeSans", "Arial", "Helvetica"];
        string[] fontFiles =
        [
            "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
            "/usr/share/fonts/TTF/DejaVuSans.ttf",
            "/usr/share/fonts/dejavu/DejaVuSans.ttf",
            "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
            "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
        ];
        var installed = new HashSet<string>(SKFontManager.Default.FontFamilies, StringComparer.OrdinalIgnoreCase);
        foreach (var family in preferredFamilies)
        {
            if (installed.Contains(family))
            {
                return family;
            }
        }

        using (var generic = SKFontManager.Default.MatchFamily("sans-serif"))
        {
            if (generic is not null && installed.Contains(generic.FamilyName))
            {
                return generic.FamilyName;
            }
        }

        foreach (var file in fontFiles)
        {
            if (File.Exists(file))
            {
                Fonts.AddFontFile(FileFontName, file);
                return FileFontName;
            }
        }

        return !string.IsNullOrWhiteSpace(Fonts.Default) && installed.Contains(Fonts.Default) ? Fonts.Default : null;
    }
}
