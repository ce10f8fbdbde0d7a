using System.Globalization;
using Tessera.Methods.Arithmetic.Formats;

namespace Tessera.Methods.Arithmetic;

/// <summary>Creates the formats of spec §2.2 by name and scores parsed answers.</summary>
public static class ArithmeticFormats
{
    private const string Add = "add", Sub = "sub", Mul = "mul", Fn = "sin/sqrt";

    // name → (operations it exists for, factory)
    private static readonly (string Name, string[] Ops, Func<Operation, long, int, IArithmeticFormat> Make)[] Registry =
    [
        ("plain", [Add, Sub, Mul, Fn], (op, _, _) => new PlainFormat(op)),
        ("reverse", [Add, Sub, Mul], (op, _, _) => new ReverseFormat(op)),
        ("plain2", [Add, Sub, Mul], (op, _, _) => new DollarFormat(op)),
        ("padded", [Add], (_, _, width) => new ZeroPaddedFormat(width)),
        ("simplified", [Add, Sub], (op, _, _) => Simplified(op, ScratchNoise.None, 0)),
        ("detailed", [Add, Sub, Mul, Fn], (op, _, _) => Detailed(op)),
        ("noisy-simplified", [Add, Sub], (op, seed, _) => Simplified(op, ScratchNoise.RandomBoth, seed)),
        ("noisy-simplified-a", [Add, Sub], (op, seed, _) => Simplified(op, ScratchNoise.RandomA, seed)),
        ("noisy-simplified-c", [Add, Sub], (op, seed, _) => Simplified(op, ScratchNoise.RandomC, seed)),
    ];

    /// <summary>The format <paramref name="name"/> for <paramref name="op"/>. <paramref name="noiseSeed"/> seeds the
    /// noisy scratchpads; <paramref name="padWidth"/> is the operand width of "padded" (the sum gets one more digit).
    /// An unknown name or a format the operation lacks throws an <see cref="InputException"/> listing the valid names.</summary>
    public static IArithmeticFormat Create(string name, Operation op, long noiseSeed = 0, int padWidth = 3)
    {
        foreach (var (n, ops, make) in Registry)
        {
            if (n == name && ops.Contains(Group(op)))
            {
                return make(op, noiseSeed, padWidth);
            }
        }
        throw new InputException(
            $"Unknown arithmetic format '{name}' for operation {op}. Valid formats for {op}: {string.Join(", ", Names(op))}.");
    }

    /// <summary>The format names that exist for <paramref name="op"/>, in a fixed order.</summary>
    public static IReadOnlyList<string> Names(Operation op) =>
        Registry.Where(r => r.Ops.Contains(Group(op))).Select(r => r.Name).ToArray();

    /// <summary>A format whose prompt is <paramref name="prefix"/> + the inner prompt (e.g. "\n", spec §7 issue #1);
    /// same examples and answer parsing.</summary>
    public static IArithmeticFormat WithPromptPrefix(IArithmeticFormat format, string prefix) => new PrefixedFormat(format, prefix);

    /// <summary>Scores a parsed answer against <see cref="Problem.Answer"/>: integer operations need the exact integer;
    /// sin/sqrt need |ŷ−y| ≤ <paramref name="tolerance"/> (plus 1e-9 for the binary representation of decimals).
    /// A null or non-numeric answer is wrong.</summary>
    public static bool IsCorrect(Problem p, string? answer, double tolerance = 0) => Matches(p.Op, p.Answer, answer, tolerance);

    /// <summary>As <see cref="IsCorrect(Problem, string?, double)"/> but against the format's own
    /// <see cref="IArithmeticFormat.Target"/> (differs only for the sin/sqrt scratchpads, whose target is x_4).</summary>
    public static bool IsCorrect(IArithmeticFormat format, Problem p, string? answer, double tolerance = 0) =>
        Matches(p.Op, format.Target(p), answer, tolerance);

    private static bool Matches(Operation op, string expected, string? answer, double tolerance)
    {
        string? canonical = FormatText.Canonical(op, answer);
        if (canonical is null)
        {
            return false;
        }
        if (op.IsInteger())
        {
            return canonical == FormatText.Canonical(op, expected);
        }
        double y = double.Parse(expected, CultureInfo.InvariantCulture), yHat = double.Parse(canonical, CultureInfo.InvariantCulture);
        return tolerance == 0 ? y == yHat : Math.Abs(y - yHat) <= tolerance + 1e-9;
    }

    private static string Group(Operation op) => op switch
    {
        Operation.Add => Add,
        Operation.Subtract => Sub,
        Operation.Multiply => Mul,
        _ => Fn,
    };

    private static IArithmeticFormat Simplified(Operation op, ScratchNoise noise, long seed) => op == Operation.Add
        ? new SimplifiedAdditionFormat(noise, seed)
        : new SimplifiedSubtractionFormat(noise, seed);

    private static IArithmeticFormat Detailed(Operation op) => op switch
    {
        Operation.Add => new DetailedAdditionFormat(),
        Operation.Subtract => new DetailedSubtractionFormat(),
        Operation.Multiply => new DetailedMultiplicationFormat(),
        Operation.Sin => new TaylorSinFormat(),
        _ => new NewtonSqrtFormat(),
    };
}
