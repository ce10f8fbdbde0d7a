using Tessera.Methods.Arithmetic;

namespace Tessera.Tests.Methods.Arithmetic;

public sealed class CharTokenizerTests
{
    [Fact]
    public void AllAscii_Has96IdsInCodePointOrder()
    {
        var t = CharTokenizer.AllAscii;

        Assert.Equal(96, t.VocabSize);
        Assert.Equal([0L, 1, 2, 95], t.Encode("\n !~"));
        Assert.Equal(17, t.Encode("0")[0]);                          // code point 48 → 48 − 33 + 2
    }

    [Fact]
    public void FromText_PlainAddition_Has13Characters()
    {
        string stream = ArithmeticStream.Build(ArithmeticFormats.Create("plain", Operation.Add),
            ArithmeticData.TableSplit(Operation.Add, 2, 1000, 0, seed: 1).Train, 1337);

        var t = CharTokenizer.FromText(stream);

        Assert.Equal(13, t.VocabSize);
        Assert.Equal("\n+0123456789=", t.Alphabet);
    }

    [Fact]
    public void EncodeDecode_RoundTrips()
    {
        string text = ArithmeticFormats.Create("detailed", Operation.Subtract).Example(new Problem(Operation.Subtract, 128, 367));

        foreach (var t in new[] { CharTokenizer.AllAscii, CharTokenizer.FromText(text) })
        {
            Assert.Equal(text, t.Decode(t.Encode(text)));
        }
    }

    [Fact]
    public void Encode_UnknownCharacter_NamesIt()
    {
        var ex = Assert.Throws<InputException>(() => CharTokenizer.FromText("0123").Encode("12+3"));
        Assert.Contains("'+'", ex.Message);

        var tab = Assert.Throws<InputException>(() => CharTokenizer.AllAscii.Encode("a\tb"));
        Assert.Contains("U+0009", tab.Message);
    }
}
