using Tessera.Methods.Arithmetic;

namespace Tessera.Tests.Methods.Arithmetic;

public sealed class ArithmeticStreamTests
{
    private static readonly IArithmeticFormat Reverse = ArithmeticFormats.Create("reverse", Operation.Add);

    [Fact]
    public void Build_ConcatenatesEveryExampleOnceInSeededOrder()
    {
        var train = ArithmeticData.TableSplit(Operation.Add, 2, 300, 0, seed: 4).Train;

        string a = ArithmeticStream.Build(Reverse, train, 1337);

        Assert.Equal(a, ArithmeticStream.Build(Reverse, train, 1337));
        Assert.NotEqual(a, ArithmeticStream.Build(Reverse, train, 1338));
        Assert.Equal(train.Select(Reverse.Example).Order(), a.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l + "\n").Order());
        Assert.Equal(train.Sum(p => Reverse.Example(p).Length), a.Length);
    }

    [Fact]
    public void FewShotPrompt_ShotsOnTheirOwnLinesTestPromptLast()
    {
        var shots = new[] { new Problem(Operation.Add, 1, 2), new Problem(Operation.Add, 30, 4) };

        string prompt = ArithmeticStream.FewShotPrompt(Reverse, shots, new Problem(Operation.Add, 5, 6));

        Assert.Equal("$1+2=3$\n$30+4=43$\n$5+6=", prompt);
    }

    [Fact]
    public void MixWithText_KeepsAllArithmeticAndHitsTheFraction()
    {
        // Given a reverse-format stream and a text of short lines
        string arithmetic = ArithmeticStream.Build(Reverse, ArithmeticData.TableSplit(Operation.Add, 2, 2000, 0, seed: 1).Train, 1);
        string text = string.Concat(Enumerable.Range(0, 400).Select(i => $"Line {i} of the text, with words.\n"));

        // When half of the characters should be text (the text is shorter, so it is cycled)
        string mixed = ArithmeticStream.MixWithText(arithmetic, text, 0.5, seed: 9);

        // Then every arithmetic line survives in order and whole, and about half the characters are text
        var arithmeticLines = mixed.Split('\n').Where(l => l.StartsWith('$')).ToArray();
        Assert.Equal(arithmetic.Split('\n', StringSplitOptions.RemoveEmptyEntries), arithmeticLines);
        double textShare = 1 - ((double)arithmetic.Length / mixed.Length);
        Assert.InRange(textShare, 0.49, 0.52);
        Assert.Equal(mixed, ArithmeticStream.MixWithText(arithmetic, text, 0.5, seed: 9));
        // and the text is spread over the stream, not appended in one block
        int firstHalfText = mixed[..(mixed.Length / 2)].Split('\n').Count(l => l.StartsWith("Line", StringComparison.Ordinal));
        int allText = mixed.Split('\n').Count(l => l.StartsWith("Line", StringComparison.Ordinal));
        Assert.InRange((double)firstHalfText / allText, 0.35, 0.65);
    }

    [Fact]
    public void MixWithText_ScratchpadExamplesStayWhole()
    {
        var f = ArithmeticFormats.Create("detailed", Operation.Add);
        var train = ArithmeticData.TableSplit(Operation.Add, 2, 50, 0, seed: 2).Train;
        string arithmetic = ArithmeticStream.Build(f, train, 1);

        string mixed = ArithmeticStream.MixWithText(arithmetic, "Some text.\nMore text here.\n", 0.3, seed: 1, textChunkChars: 8);

        Assert.All(train, p => Assert.Contains(f.Example(p), mixed, StringComparison.Ordinal));
        Assert.DoesNotContain("Input:\nSome", mixed, StringComparison.Ordinal);
        Assert.Equal(50, mixed.Split("Input:\n").Length - 1);
    }

    [Fact]
    public void MixWithText_BadFraction_Throws()
    {
        Assert.Throws<InputException>(() => ArithmeticStream.MixWithText("1+1=2\n", "text\n", 1.0, 0));
        Assert.Throws<InputException>(() => ArithmeticStream.MixWithText("1+1=2\n", "", 0.5, 0));
        Assert.Equal("1+1=2\n", ArithmeticStream.MixWithText("1+1=2\n", "", 0, 0));
    }
}
