using System.Globalization;

namespace Tessera.Methods.Arithmetic;

/// <summary>
/// One arithmetic question. Integer operations use <see cref="A"/> and <see cref="B"/> (non-negative); sin and sqrt use
/// <see cref="X"/>, already floored to 4 decimals with <see cref="FloatText.Floor4"/> (spec §2.2, §8.10).
/// The derived properties are computed on access, so a <c>with</c> copy never carries stale values.
/// </summary>
public sealed record Problem(Operation Op, long A, long B, double X = 0)
{
    /// <summary>The exact answer text of the plain format: "495", "-239", "0.6315", "2.0". For sin/sqrt it is the
    /// floored true value floor(f(x)·10⁴)/10⁴ printed like Python's repr.</summary>
    public string Answer => Op switch
    {
        Operation.Add => (A + B).ToString(CultureInfo.InvariantCulture),
        Operation.Subtract => (A - B).ToString(CultureInfo.InvariantCulture),
        Operation.Multiply => (A * B).ToString(CultureInfo.InvariantCulture),
        Operation.Sin => FloatText.Repr(FloatText.Floor4(Math.Sin(X))),
        Operation.Sqrt => FloatText.Repr(FloatText.Floor4(Math.Sqrt(X))),
        _ => throw new ArgumentOutOfRangeException(nameof(Op), Op, null),
    };

    /// <summary>Addition: the number of carry events by the digit-sum identity
    /// (digitsum(a)+digitsum(b)−digitsum(a+b))/9 (spec §2.1). Subtraction: the number of positions whose column
    /// a_i−b_i−borrow is negative, i.e. the positions that write <c>C->-1</c> in the scratchpad (the most significant
    /// one included, which makes the result negative). Other operations: 0.</summary>
    public int Carries => Op switch
    {
        Operation.Add => CarryCount(A, B),
        Operation.Subtract => BorrowCount(A, B),
        _ => 0,
    };

    /// <summary>Decimal length of the longer operand (integer operations); 0 for sin and sqrt.</summary>
    public int Digits => Op.IsInteger() ? Math.Max(Length(A), Length(B)) : 0;

    /// <summary>The question without any format: "128+367", "sin(0.6836)".</summary>
    public override string ToString() => Op.IsInteger()
        ? $"{A.ToString(CultureInfo.InvariantCulture)}{Op.Symbol()}{B.ToString(CultureInfo.InvariantCulture)}"
        : $"{Op.FunctionName()}({FloatText.Repr(X)})";

    /// <summary>Number of carries of a+b (a, b ≥ 0) by the digit-sum identity.</summary>
    public static int CarryCount(long a, long b) => (DigitSum(a) + DigitSum(b) - DigitSum(a + b)) / 9;

    /// <summary>Decimal length of a non-negative number (0 has length 1).</summary>
    public static int Length(long n) => n.ToString(CultureInfo.InvariantCulture).TrimStart('-').Length;

    private static int DigitSum(long n)
    {
        int s = 0;
        for (n = Math.Abs(n); n > 0; n /= 10)
        {
            s += (int)(n % 10);
        }
        return s;
    }

    private static int BorrowCount(long a, long b)
    {
        int n = Math.Max(Length(a), Length(b)), count = 0, borrow = 0;
        for (int i = 0; i < n; i++, a /= 10, b /= 10)
        {
            long v = a % 10 - b % 10 - borrow;
            borrow = v < 0 ? 1 : 0;
            count += borrow;
        }
        return count;
    }
}
