using Tessera.Methods.Arithmetic;

namespace Tessera.Tests.Methods.Arithmetic;

public sealed class NoisyScratchpadTests
{
    private static readonly Problem[] Sample = ArithmeticData.PerLengthTest(Operation.Add, [1, 2, 3], 100, seed: 2);

    private static string[] StepLines(string example) =>
        example.Split('\n').Where(l => l.StartsWith("A->", StringComparison.Ordinal)).Select(l => l.TrimEnd('.')).ToArray();

    [Theory]
    [InlineData("noisy-simplified")]
    [InlineData("noisy-simplified-a")]
    [InlineData("noisy-simplified-c")]
    public void Example_IsDeterministicPerSeedAndProblem(string name)
    {
        var f = ArithmeticFormats.Create(name, Operation.Add, noiseSeed: 7);
        var again = ArithmeticFormats.Create(name, Operation.Add, noiseSeed: 7);
        var other = ArithmeticFormats.Create(name, Operation.Add, noiseSeed: 8);

        Assert.All(Sample, p => Assert.Equal(f.Example(p), again.Example(p)));
        Assert.Contains(Sample, p => f.Example(p) != other.Example(p));
    }

    [Fact]
    public void RandomA_ReplacesDigitsKeepsCarriesAndAnswer()
    {
        // Given the clean and the A-noised scratchpads of the same problems
        var clean = ArithmeticFormats.Create("simplified", Operation.Add);
        var noisy = ArithmeticFormats.Create("noisy-simplified-a", Operation.Add, noiseSeed: 3);
        int steps = 0, changed = 0;
        foreach (var p in Sample)
        {
            string[] c = StepLines(clean.Example(p)), n = StepLines(noisy.Example(p));

            // Then the layout, the carries and the answer line are unchanged, the digits are random
            Assert.Equal(c.Length, n.Length);
            Assert.Equal(c.Select(l => l[l.IndexOf(", C->", StringComparison.Ordinal)..]), n.Select(l => l[l.IndexOf(", C->", StringComparison.Ordinal)..]));
            Assert.EndsWith($".\n{p.Answer}\n", noisy.Example(p), StringComparison.Ordinal);
            steps += c.Length;
            changed += c.Zip(n).Count(t => t.First != t.Second);
        }
        Assert.InRange((double)changed / steps, 0.8, 0.97);        // a uniform digit equals the true one 10% of the time
    }

    [Fact]
    public void RandomC_ReplacesCarriesWithBits()
    {
        var clean = ArithmeticFormats.Create("simplified", Operation.Add);
        var noisy = ArithmeticFormats.Create("noisy-simplified-c", Operation.Add, noiseSeed: 3);
        var carries = Sample.SelectMany(p => StepLines(noisy.Example(p))).Select(l => l[^1]).ToArray();

        Assert.All(carries, c => Assert.True(c is '0' or '1'));
        Assert.InRange(carries.Count(c => c == '1') / (double)carries.Length, 0.35, 0.65);
        Assert.All(Sample, p => Assert.Equal(
            StepLines(clean.Example(p)).Select(l => l[..4]), StepLines(noisy.Example(p)).Select(l => l[..4])));
    }

    [Fact]
    public void NoisySubtraction_KeepsBorrowsInRange()
    {
        var noisy = ArithmeticFormats.Create("noisy-simplified", Operation.Subtract, noiseSeed: 1);
        var p = new Problem(Operation.Subtract, 128, 367);

        string[] lines = StepLines(noisy.Example(p));

        Assert.Equal(3, lines.Length);
        Assert.All(lines, l => Assert.True(l.EndsWith("C->0", StringComparison.Ordinal) || l.EndsWith("C->-1", StringComparison.Ordinal), l));
        Assert.EndsWith("-300+61=-239.\n-239\n", noisy.Example(p), StringComparison.Ordinal);
    }
}
