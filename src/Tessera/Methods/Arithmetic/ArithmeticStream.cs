using System.Text;

namespace Tessera.Methods.Arithmetic;

/// <summary>The training text (spec §2.3): formatted examples concatenated into one stream, no separators beyond the
/// examples' own final '\n'.</summary>
public static class ArithmeticStream
{
    private const string ScratchpadStart = "Input:\n";

    /// <summary>Shuffles the examples once with <paramref name="shuffleSeed"/> and concatenates their texts.</summary>
    public static string Build(IArithmeticFormat format, IReadOnlyList<Problem> train, long shuffleSeed)
    {
        var order = train.ToArray();
        Rngs.PartialShuffle(Rngs.Create(shuffleSeed, 0, "stream"), order, order.Length);
        var sb = new StringBuilder();
        foreach (var p in order)
        {
            sb.Append(format.Example(p));
        }
        return sb.ToString();
    }

    /// <summary>
    /// Interleaves text with an arithmetic stream (spec §4, R6) so that about <paramref name="textFraction"/> of all
    /// characters are text. The arithmetic stream is cut into whole examples (at each "Input:\n" for scratchpad
    /// streams, else at every line end) and all of it is kept; the text is cut into chunks of at least
    /// <paramref name="textChunkChars"/> characters that end at a line end (a '\n' is added to the text's last chunk
    /// if it lacks one), taken in order from the start of the text — cycling through it again if it is shorter than
    /// the A·f/(1−f) characters needed. Chunks and examples are then merged uniformly at random (seeded; each step takes
    /// the next piece of a sequence with probability proportional to the pieces it has left), so the text is spread
    /// evenly along the stream, both keep their order, and every example still starts on a new line.
    /// </summary>
    public static string MixWithText(string arithmetic, string text, double textFraction, long seed, int textChunkChars = 256)
    {
        if (!(textFraction >= 0 && textFraction < 1))
        {
            throw new InputException($"The text fraction must be in [0, 1), got {textFraction}.");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(textChunkChars, 1);
        var examples = SplitExamples(arithmetic);
        long needed = (long)Math.Round(arithmetic.Length * textFraction / (1 - textFraction));
        if (needed > 0 && text.Length == 0)
        {
            throw new InputException("The text to mix with the arithmetic data is empty; give a text file with content or set the text fraction to 0.");
        }
        var chunks = new List<string>();
        long taken = 0;
        for (int pos = 0; taken < needed; pos %= text.Length)
        {
            int end = Math.Min(pos + textChunkChars, text.Length);
            int newline = end >= text.Length ? -1 : text.IndexOf('\n', end - 1);
            end = newline < 0 ? text.Length : newline + 1;
            string chunk = text[pos..end];
            chunk = chunk.EndsWith('\n') ? chunk : chunk + "\n";
            chunks.Add(chunk);
            taken += chunk.Length;
            pos = end;
        }
        // A uniform random merge of the two sequences (every interleaving equally likely): pick the next piece from
        // a sequence with probability proportional to the pieces it has left.
        var rng = Rngs.Create(seed, 0, "mix");
        var sb = new StringBuilder(arithmetic.Length + (int)taken);
        int t = 0, a = 0;
        while (t < chunks.Count || a < examples.Count)
        {
            int textLeft = chunks.Count - t, arithLeft = examples.Count - a;
            sb.Append(rng.Next(textLeft + arithLeft) < textLeft ? chunks[t++] : examples[a++]);
        }
        return sb.ToString();
    }

    /// <summary>A few-shot prompt (spec §3.6): each shot's full example on its own line(s), the test prompt last.</summary>
    public static string FewShotPrompt(IArithmeticFormat format, IReadOnlyList<Problem> shots, Problem test)
    {
        var sb = new StringBuilder();
        foreach (var shot in shots)
        {
            sb.Append(format.Example(shot));
        }
        return sb.Append(format.Prompt(test)).ToString();
    }

    private static List<string> SplitExamples(string arithmetic)
    {
        var pieces = new List<string>();
        bool scratchpad = arithmetic.StartsWith(ScratchpadStart, StringComparison.Ordinal);
        int start = 0;
        while (start < arithmetic.Length)
        {
            int next = scratchpad
                ? arithmetic.IndexOf("\n" + ScratchpadStart, start, StringComparison.Ordinal)
                : arithmetic.IndexOf('\n', start);
            int end = next < 0 ? arithmetic.Length : next + 1;
            pieces.Add(arithmetic[start..end]);
            start = end;
        }
        return pieces;
    }
}
