using Tessera.Methods.Arithmetic;

namespace Tessera.Tests.Methods.Arithmetic;

public sealed class FloatTextTests
{
    [Theory]
    [InlineData(2.0, "2.0")]
    [InlineData(0.0, "0.0")]
    [InlineData(-0.0, "-0.0")]
    [InlineData(0.827, "0.827")]
    [InlineData(-0.9429, "-0.9429")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(1e-5, "1e-05")]
    [InlineData(1.5e-7, "1.5e-07")]
    [InlineData(123456.0, "123456.0")]
    [InlineData(1e15, "1000000000000000.0")]
    [InlineData(1e16, "1e+16")]
    [InlineData(0.1 + 0.2, "0.30000000000000004")]
    public void Repr_MatchesPythonRepr(double v, string expected) => Assert.Equal(expected, FloatText.Repr(v));

    [Fact]
    public void Floor4_FloorsTowardMinusInfinity()
    {
        Assert.Equal(0.6315, FloatText.Floor4(0.63157));
        Assert.Equal(-0.9429, FloatText.Floor4(-0.94283));
        Assert.Equal(-0.0001, FloatText.Floor4(-0.00001));
    }

    [Fact]
    public void Floor4_IsNotIdempotent()
    {
        // Spec §8.10: 0.0003·10000 = 2.9999…, so re-flooring a printed value can move it down by 1e-4.
        Assert.Equal(0.0002, FloatText.Floor4(0.0003));
        int moved = Enumerable.Range(0, 10000).Count(k => FloatText.Floor4(k / 10000.0) != k / 10000.0);
        Assert.InRange(moved, 300, 1500);                           // ≈7% (spec §8.10)
    }

    [Fact]
    public void Repr_OfFlooredGridValues_HasAtMostFourDecimals()
    {
        for (int k = -15708; k <= 15707; k += 37)
        {
            string text = FloatText.Repr(k / 10000.0);
            int dot = text.IndexOf('.');
            Assert.InRange(text.Length - dot - 1, 1, 4);
            Assert.Equal(k / 10000.0, double.Parse(text, System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
