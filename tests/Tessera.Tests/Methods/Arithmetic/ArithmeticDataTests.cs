using Tessera.Methods.Arithmetic;

namespace Tessera.Tests.Methods.Arithmetic;

public sealed class ArithmeticDataTests
{
    private static readonly Lazy<Problem[]> Balanced10K = new(() => ArithmeticData.Balanced(Operation.Add, 10000, 3, seed: 1337));

    private static HashSet<(long, long)> Pairs(IEnumerable<Problem> ps) => ps.Select(p => (p.A, p.B)).ToHashSet();

    [Fact]
    public void Balanced_10K3Digit_CarriesExactlyBalancedAndOneDigitPairsFirst()
    {
        var set = Balanced10K.Value;

        Assert.Equal(10000, set.Length);
        Assert.Equal([2500, 2500, 2500, 2500], Enumerable.Range(0, 4).Select(c => set.Count(p => p.Carries == c)));
        Assert.Equal(Enumerable.Range(0, 100).Select(i => ((long)(i / 10), (long)(i % 10))), set[..100].Select(p => (p.A, p.B)));
        Assert.All(set[100..1000], p => Assert.True(p.A < 100 && p.B < 100));
        Assert.All(set[1000..], p => Assert.True(p.A < 1000 && p.B < 1000));
        Assert.InRange(Pairs(set).Count, 9700, 9999);                      // duplicates are kept (reference: 9,891 unique)
    }

    [Fact]
    public void Balanced_IsSeeded()
    {
        var a = ArithmeticData.Balanced(Operation.Add, 1000, 3, seed: 1);

        Assert.Equal(a, ArithmeticData.Balanced(Operation.Add, 1000, 3, seed: 1));
        Assert.NotEqual(a, ArithmeticData.Balanced(Operation.Add, 1000, 3, seed: 2));
        Assert.Equal(Operation.Subtract, ArithmeticData.Balanced(Operation.Subtract, 1000, 3, seed: 1)[500].Op);
        Assert.Equal(Pairs(a), Pairs(ArithmeticData.Balanced(Operation.Subtract, 1000, 3, seed: 1)));
    }

    [Fact]
    public void Balanced_TwoDigits_Balances3Ways()
    {
        var set = ArithmeticData.Balanced(Operation.Add, 3000, 2, seed: 3);

        Assert.Equal(3000, set.Length);
        Assert.All(Enumerable.Range(0, 3), c => Assert.Equal(1000, set.Count(p => p.Carries == c)));
    }

    [Fact]
    public void Balanced_TooSmall_Throws()
    {
        Assert.Throws<InputException>(() => ArithmeticData.Balanced(Operation.Add, 50, 3, 0));
        Assert.Throws<InputException>(() => ArithmeticData.Balanced(Operation.Add, 1000, 4, 0));
        Assert.Throws<InputException>(() => ArithmeticData.Balanced(Operation.Multiply, 1000, 3, 0));
    }

    [Theory]
    [InlineData(500, 45)]
    [InlineData(1000, 90)]
    [InlineData(5000, 450)]
    public void BalancedSubset_TakesFirst100ThenBucketShares(int n, int twoDigit)
    {
        var full = Balanced10K.Value;

        var subset = ArithmeticData.BalancedSubset(full, n, seed: 5);

        Assert.Equal(n, subset.Length);
        Assert.Equal(full[..100], subset[..100]);
        var middle = Pairs(full[100..1000]);
        var rest = Pairs(full[1000..]);
        Assert.All(subset[100..(100 + twoDigit)], p => Assert.Contains((p.A, p.B), middle));
        Assert.All(subset[(100 + twoDigit)..], p => Assert.Contains((p.A, p.B), rest));
        Assert.Equal(n - 100 - twoDigit, subset[(100 + twoDigit)..].Length);
        Assert.Equal(subset, ArithmeticData.BalancedSubset(full, n, seed: 5));
    }

    [Fact]
    public void TableSplit_IsDisjointNestedAndSeeded()
    {
        var (train, test) = ArithmeticData.TableSplit(Operation.Add, 2, 4000, 1000, seed: 0);
        var (smaller, _) = ArithmeticData.TableSplit(Operation.Add, 2, 500, 1000, seed: 0);

        Assert.Equal(4000, Pairs(train).Count);
        Assert.Equal(1000, Pairs(test).Count);
        Assert.Empty(Pairs(train).Intersect(Pairs(test)));
        Assert.Equal(train[..500], smaller);
        Assert.All(train.Concat(test), p => Assert.True(p.A is >= 0 and < 100 && p.B is >= 0 and < 100));
        Assert.NotEqual(train, ArithmeticData.TableSplit(Operation.Add, 2, 4000, 1000, seed: 1).Train);
        Assert.Throws<InputException>(() => ArithmeticData.TableSplit(Operation.Add, 2, 9500, 1000, 0));
    }

    [Fact]
    public void TableSplit_WholeTable_CoversEveryPair()
    {
        var (train, test) = ArithmeticData.TableSplit(Operation.Multiply, 1, 60, 40, seed: 3);

        Assert.Equal(100, Pairs(train.Concat(test)).Count);
        Assert.All(train, p => Assert.Equal(Operation.Multiply, p.Op));
    }

    [Fact]
    public void HeldOut_3Digit_HasZeroOverlapWithTraining()
    {
        var train = Balanced10K.Value;

        var test = ArithmeticData.HeldOut(Operation.Add, 3, train, 10000, seed: 1);

        Assert.Equal(10000, Pairs(test).Count);
        Assert.Empty(Pairs(test).Intersect(Pairs(train)));
        Assert.All(test, p => Assert.True(p.A < 1000 && p.B < 1000));
    }

    [Fact]
    public void HeldOut_Multiplication_IsTheRestOfTheTable()
    {
        var train = ArithmeticData.Multiplication(3000, seed: 2);

        var test = ArithmeticData.HeldOut(Operation.Multiply, 2, train, 10000 - Pairs(train).Count, seed: 2);

        Assert.Equal(10000, Pairs(train).Union(Pairs(test)).Count());
        Assert.Empty(Pairs(test).Intersect(Pairs(train)));
        Assert.Throws<InputException>(() => ArithmeticData.HeldOut(Operation.Multiply, 2, train, 10001 - Pairs(train).Count, 2));
    }

    [Fact]
    public void HeldOut_SinGrid_ExcludesTrainingInputs()
    {
        var train = ArithmeticData.SinSqrt(Operation.Sin, 5000, seed: 1);

        var test = ArithmeticData.HeldOut(Operation.Sin, 0, train, 2000, seed: 1);

        var trainX = train.Select(p => p.X).ToHashSet();
        Assert.Equal(2000, test.Select(p => p.X).Distinct().Count());
        Assert.DoesNotContain(test, p => trainX.Contains(p.X));
        Assert.All(test, p => Assert.Equal(FloatText.Repr(p.X), FloatText.Repr(Math.Round(p.X * 10000) / 10000)));
        Assert.All(test, p => Assert.InRange(p.X, -1.5708, 1.5707));
    }

    [Fact]
    public void Multiplication_StartsWithOneDigitPairsThenNotBothSmall()
    {
        var set = ArithmeticData.Multiplication(3000, seed: 4);

        Assert.Equal(3000, set.Length);
        Assert.Equal(100, Pairs(set[..100]).Count);
        Assert.All(set[..100], p => Assert.True(p.A < 10 && p.B < 10));
        Assert.All(set[100..], p => Assert.True((p.A >= 10 || p.B >= 10) && p.A < 100 && p.B < 100));
    }

    [Theory]
    [InlineData(Operation.Sin, -1.5708, 1.5707)]
    [InlineData(Operation.Sqrt, 1.0, 9.9999)]
    public void SinSqrt_InputsFlooredOnceToTheGrid(Operation op, double lo, double hi)
    {
        var set = ArithmeticData.SinSqrt(op, 2000, seed: 6);

        Assert.All(set, p => Assert.InRange(p.X, lo, hi));
        Assert.All(set, p => Assert.Equal(Math.Round(p.X * 10000) / 10000, p.X));
        Assert.True(set.Select(p => p.X).Distinct().Count() > 1900);
    }

    [Fact]
    public void MultiDigit_SharesProportionalToLength()
    {
        // N=10100, n=4: d = floor(10000/9) = 1111; buckets 2,3,4 get 2222+1 (remainder), 3333, 4444.
        var set = ArithmeticData.MultiDigit(Operation.Add, 4, 10100, seed: 1);

        Assert.Equal(10100, set.Length);
        Assert.Equal(100, set.Count(p => p.Digits == 1));
        Assert.Equal(2223, set.Count(p => p.Digits == 2));
        Assert.Equal(3333, set.Count(p => p.Digits == 3));
        Assert.Equal(4444, set.Count(p => p.Digits == 4));
        // inside bucket 4 the shorter operand has 1, 2, 3 or 4 digits in equal parts
        var four = set.Where(p => p.Digits == 4).Select(p => Math.Min(Problem.Length(p.A), Problem.Length(p.B))).ToArray();
        Assert.All(Enumerable.Range(1, 4), k => Assert.Equal(1111, four.Count(l => l == k)));
        // operand order is swapped about half the time
        Assert.InRange(set.Count(p => p.Digits == 4 && Problem.Length(p.A) < 4) / 3333.0, 0.45, 0.55);
    }

    [Fact]
    public void OfLengths_1And3_NeverUsesTwoDigitOperands()
    {
        var set = ArithmeticData.OfLengths(Operation.Add, [1, 3], 5000, seed: 2);

        Assert.Equal(5000, set.Length);
        Assert.All(set, p => Assert.True(Problem.Length(p.A) != 2 && Problem.Length(p.B) != 2));
        Assert.Equal(100, Pairs(set.Where(p => p.Digits == 1)).Count);
        Assert.Equal(4900, set.Count(p => p.Digits == 3));
    }

    [Fact]
    public void PerLengthTest_GivesCountProblemsPerLength()
    {
        var set = ArithmeticData.PerLengthTest(Operation.Add, [1, 2, 3, 4], 100, seed: 3);

        Assert.All(Enumerable.Range(1, 4), l => Assert.Equal(100, set.Count(p => p.Digits == l)));
        Assert.Equal(100, Pairs(set.Where(p => p.Digits == 1)).Count);      // all one-digit pairs
        Assert.Equal(10, ArithmeticData.PerLengthTest(Operation.Add, [1], 10, seed: 3).Length);
    }

    [Fact]
    public void ExcludeNumbers_RemovesEveryExcludedOperandKeepingLengths()
    {
        // Given the balanced set and excluded numbers that occur in it
        var train = Balanced10K.Value;
        long[] excluded = [527, 5, 42, 100, 999];
        Assert.Contains(train, p => excluded.Contains(p.A) || excluded.Contains(p.B));

        // When they are excluded
        var result = ArithmeticData.ExcludeNumbers(train, excluded, 3, seed: 1);

        // Then no operand is excluded, untouched problems are unchanged and lengths never change
        Assert.DoesNotContain(result, p => excluded.Contains(p.A) || excluded.Contains(p.B));
        Assert.Equal(train.Length, result.Length);
        Assert.All(train.Zip(result), t =>
        {
            Assert.Equal(Problem.Length(t.First.A), Problem.Length(t.Second.A));
            Assert.Equal(Problem.Length(t.First.B), Problem.Length(t.Second.B));
            if (!excluded.Contains(t.First.A) && !excluded.Contains(t.First.B))
            {
                Assert.Equal(t.First, t.Second);
            }
        });
        Assert.Equal(result, ArithmeticData.ExcludeNumbers(train, excluded, 3, seed: 1));
    }

    [Fact]
    public void ExcludeNumbers_AllOneDigitNumbers_Throws() =>
        Assert.Throws<InputException>(() => ArithmeticData.ExcludeNumbers(
            [new Problem(Operation.Add, 5, 5)], Enumerable.Range(0, 10).Select(i => (long)i).ToArray(), 3, 0));

    [Fact]
    public void ContainingNumbers_EveryProblemHasAnExcludedOperand()
    {
        var test = ArithmeticData.ContainingNumbers(Operation.Add, [527], 3, 1999, seed: 1);

        Assert.Equal(1999, Pairs(test).Count);                                  // (527, 0..999) and (0..999 except 527, 527)
        Assert.All(test, p => Assert.True(p.A == 527 || p.B == 527));
        Assert.Throws<InputException>(() => ArithmeticData.ContainingNumbers(Operation.Add, [527], 3, 2000, 1));
    }
}
