namespace Tessera.Methods.Arithmetic.Formats;

/// <summary>Answer extraction of the detailed scratchpads (spec §2.2): the text after the first
/// "&lt;/scratch&gt;\n", up to the next '\n', with spaces removed; null when the marker is missing.</summary>
internal static class ScratchpadAnswer
{
    public static string? Detailed(Operation op, string generated)
    {
        string? rest = FormatText.After(generated, "</scratch>\n");
        return rest is null ? null : FormatText.Canonical(op, FormatText.Before(rest, "\n").Replace(" ", "", StringComparison.Ordinal));
    }
}
