using Tessera.Methods.Arithmetic;

namespace Tessera.Tests.Methods.Arithmetic;

public sealed class ProblemTests
{
    [Theory]
    [InlineData(128, 367, 1)]      // 8+7 carries; 2+6+1, 1+3 do not
    [InlineData(999, 999, 3)]
    [InlineData(999, 1, 3)]
    [InlineData(0, 0, 0)]
    [InlineData(5, 7, 1)]
    [InlineData(55, 45, 2)]
    [InlineData(123, 456, 0)]
    public void Carries_Addition_DigitSumIdentity(long a, long b, int carries) =>
        Assert.Equal(carries, new Problem(Operation.Add, a, b).Carries);

    [Fact]
    public void Carries_Addition_AgreesWithColumnAddition()
    {
        for (int a = 0; a < 1000; a += 7)
        {
            for (int b = 0; b < 1000; b += 11)
            {
                int carry = 0, count = 0;
                for (int x = a, y = b; x > 0 || y > 0; x /= 10, y /= 10)
                {
                    carry = (x % 10) + (y % 10) + carry >= 10 ? 1 : 0;
                    count += carry;
                }
                Assert.Equal(count, new Problem(Operation.Add, a, b).Carries);
            }
        }
    }

    [Theory]
    [InlineData(128, 367, 2)]      // the tens position borrows, the top position goes negative
    [InlineData(367, 128, 1)]
    [InlineData(100, 1, 2)]
    [InlineData(5, 7, 1)]
    [InlineData(7, 5, 0)]
    public void Carries_Subtraction_CountsBorrows(long a, long b, int borrows) =>
        Assert.Equal(borrows, new Problem(Operation.Subtract, a, b).Carries);

    [Theory]
    [InlineData(Operation.Add, 128, 367, "495", 3, "128+367")]
    [InlineData(Operation.Subtract, 128, 367, "-239", 3, "128-367")]
    [InlineData(Operation.Multiply, 12, 5, "60", 2, "12*5")]
    [InlineData(Operation.Add, 5, 0, "5", 1, "5+0")]
    public void Answer_IntegerOperations(Operation op, long a, long b, string answer, int digits, string text)
    {
        var p = new Problem(op, a, b);

        Assert.Equal(answer, p.Answer);
        Assert.Equal(digits, p.Digits);
        Assert.Equal(text, p.ToString());
    }

    [Fact]
    public void With_RecomputesDerivedValues()
    {
        var p = new Problem(Operation.Add, 128, 367);

        var q = p with { A = 999 };

        Assert.Equal("1366", q.Answer);
        Assert.Equal(3, q.Carries);                                 // 9+8, 9+2+1, 9+1+1 all carry
        Assert.Equal(p, new Problem(Operation.Add, 128, 367));
    }

    [Fact]
    public void Answer_Sin_FloorsTowardMinusInfinity()
    {
        Assert.Equal("-0.9429", new Problem(Operation.Sin, 0, 0, -1.2311).Answer);   // sin = -0.94283…
        Assert.Equal("0.9999", new Problem(Operation.Sin, 0, 0, 1.5707).Answer);
        Assert.Equal("sin(-1.2311)", new Problem(Operation.Sin, 0, 0, -1.2311).ToString());
    }
}
