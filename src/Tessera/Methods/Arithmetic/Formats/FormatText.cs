using System.Globalization;
using System.Text;

namespace Tessera.Methods.Arithmetic.Formats;

/// <summary>Small text helpers shared by the formats: digit lists, answer extraction, generation budgets.</summary>
internal static class FormatText
{
    public static string Num(long n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>Decimal digits of a non-negative number, most significant first (0 → [0]).</summary>
    public static int[] DigitsOf(long n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        return Num(n).Select(c => c - '0').ToArray();
    }

    /// <summary>Python's <c>str(list).replace(' ', '')</c>: "[1,2,8]", "[-3,6,1]", "[]".</summary>
    public static string List(IEnumerable<int> digits) => "[" + string.Join(",", digits.Select(d => Num(d))) + "]";

    /// <summary>The digit list of a non-negative number: 896 → "[8,9,6]".</summary>
    public static string List(long n) => List(DigitsOf(n));

    /// <summary>The answer with its digits separated by single spaces, a minus sign stuck to the first digit:
    /// "495" → "4 9 5", "-239" → "-2 3 9".</summary>
    public static string Spaced(string answer)
    {
        string sign = answer.StartsWith('-') ? "-" : "";
        return sign + string.Join(" ", answer.TrimStart('-').ToCharArray());
    }

    /// <summary>"Input:\n128+367\nTarget:\n" — the prompt of every scratchpad format.</summary>
    public static string ScratchPrompt(Problem p) => $"Input:\n{p}\nTarget:\n";

    /// <summary>The text before the first <paramref name="marker"/>, or all of it.</summary>
    public static string Before(string s, string marker)
    {
        int i = s.IndexOf(marker, StringComparison.Ordinal);
        return i < 0 ? s : s[..i];
    }

    /// <summary>The text after the first <paramref name="marker"/>, or null when it is absent.</summary>
    public static string? After(string s, string marker)
    {
        int i = s.IndexOf(marker, StringComparison.Ordinal);
        return i < 0 ? null : s[(i + marker.Length)..];
    }

    public static string Reverse(string s)
    {
        var chars = s.ToCharArray();
        Array.Reverse(chars);
        return new string(chars);
    }

    /// <summary>The canonical plain form of an extracted answer, or null if it is not a number of the operation's
    /// kind: integers are an optional '-' and digits ("0495" → "495", like Python's int()), sin/sqrt values an
    /// optional '-', digits and an optional fraction, printed back like Python's repr ("0.8270" → "0.827").</summary>
    public static string? Canonical(Operation op, string? s)
    {
        if (string.IsNullOrEmpty(s))
        {
            return null;
        }
        int i = s[0] == '-' ? 1 : 0;
        int digitsBefore = CountDigits(s, i);
        if (digitsBefore == 0)
        {
            return null;
        }
        i += digitsBefore;
        if (op.IsInteger())
        {
            return i == s.Length && long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v)
                ? Num(v)
                : null;
        }
        if (i < s.Length)
        {
            if (s[i] != '.' || CountDigits(s, i + 1) == 0 || i + 1 + CountDigits(s, i + 1) != s.Length)
            {
                return null;
            }
        }
        return FloatText.Repr(double.Parse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture));
    }

    /// <summary>Longest answer text for operands of <paramref name="digits"/> digits (sign included).</summary>
    public static int MaxAnswerLength(Operation op, int digits) => op switch
    {
        Operation.Add => digits + 1,
        Operation.Subtract => digits + 1,
        Operation.Multiply => 2 * digits,
        _ => 7,                                         // "-0.9999", "3.1622"
    };

    /// <summary>Simplified scratchpad budget (spec §2.6): 80 for 3 digits, else the multi-digit rule 20+15d.</summary>
    public static int SimplifiedBudget(int digits) => digits == 3 ? 80 : 20 + (15 * Math.Max(digits, 1));

    /// <summary>Detailed scratchpad budget (spec §2.6): 320 for 3 digits, else the multi-digit table
    /// 160/220/–/370/450/540/630/800 for d=1..8 and 1000 beyond.</summary>
    public static int DetailedBudget(int digits) => digits switch
    {
        <= 1 => 160,
        2 => 220,
        3 => 320,
        4 => 370,
        5 => 450,
        6 => 540,
        7 => 630,
        8 => 800,
        _ => 1000,
    };

    public static StringBuilder Line(this StringBuilder sb, string text) => sb.Append(text).Append('\n');

    private static int CountDigits(string s, int from)
    {
        int n = 0;
        while (from + n < s.Length && char.IsAsciiDigit(s[from + n]))
        {
            n++;
        }
        return n;
    }
}
