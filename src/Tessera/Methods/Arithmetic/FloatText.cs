using System.Globalization;

namespace Tessera.Methods.Arithmetic;

/// <summary>
/// The two number conventions of the sin/sqrt data (spec §2.2, §8.10), in one place so every producer uses the same
/// helper: "floor to 4 decimals" is the double expression <c>floor(v·10⁴)/10⁴</c> (not idempotent: re-flooring a
/// printed value can move it down by 1e-4, so it is applied once, when a value is created), and numbers print like
/// Python's <c>repr</c>: shortest round-trip digits, integral values keep ".0".
/// </summary>
public static class FloatText
{
    /// <summary>floor(v·10000)/10000, exactly the expression of the reference code.</summary>
    public static double Floor4(double v) => Math.Floor(v * 10000) / 10000;

    /// <summary>Python <c>repr(float)</c>: shortest round-trip digits; fixed notation for decimal exponents in
    /// [-4, 16) with at least one digit after the point ("2.0", "0.0001", "-0.0"), otherwise "1e-05" / "1e+16".</summary>
    public static string Repr(double v)
    {
        if (double.IsNaN(v))
        {
            return "nan";
        }
        if (double.IsInfinity(v))
        {
            return v > 0 ? "inf" : "-inf";
        }
        // .NET's "R" is the shortest round-trip text too, only the layout differs ("1E-05", "2").
        string r = v.ToString("R", CultureInfo.InvariantCulture);
        bool negative = r.StartsWith('-');
        if (negative)
        {
            r = r[1..];
        }
        int exponent = 0;
        int e = r.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(r[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            r = r[..e];
        }
        int dot = r.IndexOf('.');
        string intPart = dot < 0 ? r : r[..dot];
        string digits = intPart + (dot < 0 ? "" : r[(dot + 1)..]);
        int point = intPart.Length + exponent;          // the decimal point sits after this many digits
        int lead = 0;
        while (lead < digits.Length && digits[lead] == '0')
        {
            lead++;
        }
        digits = digits[lead..].TrimEnd('0');
        point -= lead;
        string sign = negative ? "-" : "";
        if (digits.Length == 0)
        {
            return sign + "0.0";
        }
        int sci = point - 1;                            // exponent in d.ddd·10^sci
        if (sci < -4 || sci >= 16)
        {
            string mantissa = digits.Length == 1 ? digits : digits[0] + "." + digits[1..];
            return sign + mantissa + "e" + (sci < 0 ? "-" : "+") + Math.Abs(sci).ToString("00", CultureInfo.InvariantCulture);
        }
        if (point <= 0)
        {
            return sign + "0." + new string('0', -point) + digits;
        }
        if (point >= digits.Length)
        {
            return sign + digits + new string('0', point - digits.Length) + ".0";
        }
        return sign + digits[..point] + "." + digits[point..];
    }
}
