using System.Globalization;

namespace Tessera.Methods.Arithmetic.Formats;

/// <summary>"padded" (spec §3.3, addition): operands zero-padded to <paramref name="width"/> digits and the sum to
/// width+1, <c>007+123=0130\n</c>; prompt <c>007+123=</c>. Answer: the text before the first '\n', leading zeros
/// dropped.</summary>
public sealed class ZeroPaddedFormat : IArithmeticFormat
{
    private readonly int _width;
    private readonly long _limit;

    public ZeroPaddedFormat(int width)
    {
        if (width is < 1 or > 17)
        {
            throw new ArgumentOutOfRangeException(nameof(width), width, "The padding width must be 1..17 digits.");
        }
        _width = width;
        _limit = (long)Math.Pow(10, width);
    }

    public string Name => "padded";

    public Operation Operation => Operation.Add;

    public string Prompt(Problem p)
    {
        if (p.A >= _limit || p.B >= _limit || p.A < 0 || p.B < 0)
        {
            throw new ArgumentException($"{p} does not fit the zero-padded width of {_width} digits.", nameof(p));
        }
        return $"{Pad(p.A, _width)}+{Pad(p.B, _width)}=";
    }

    public string Example(Problem p) => $"{Prompt(p)}{Pad(p.A + p.B, _width + 1)}\n";

    public string? Answer(string generated) => FormatText.Canonical(Operation.Add, FormatText.Before(generated, "\n"));

    public string Target(Problem p) => p.Answer;

    public int MaxNewTokens(int digits) => Math.Max(digits, _width) + 2;

    private static string Pad(long n, int width) => n.ToString("D" + width.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}
