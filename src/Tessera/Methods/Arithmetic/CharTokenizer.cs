namespace Tessera.Methods.Arithmetic;

/// <summary>
/// Character-level tokenizer (spec §2.3): one id per character, ids in code-point order.
/// <see cref="AllAscii"/> is the reference default (96 ids: '\n'=0, ' '=1, '!'=2, …, '~'=95);
/// <see cref="FromText"/> keeps only the characters present (13 for plain addition).
/// </summary>
public sealed class CharTokenizer
{
    private readonly char[] _chars;
    private readonly Dictionary<char, long> _ids;

    private CharTokenizer(IEnumerable<char> chars)
    {
        _chars = chars.Distinct().Order().ToArray();
        _ids = _chars.Select((c, i) => (c, i)).ToDictionary(t => t.c, t => (long)t.i);
    }

    /// <summary>'\n', ' ' and the printable ASCII characters 33..126: a–z, A–Z, 0–9 and the 32 punctuation marks.</summary>
    public static CharTokenizer AllAscii { get; } =
        new(new[] { '\n', ' ' }.Concat(Enumerable.Range(33, 126 - 33 + 1).Select(c => (char)c)));

    /// <summary>The characters of <paramref name="text"/>, sorted by code point.</summary>
    public static CharTokenizer FromText(string text) => new(text);

    public int VocabSize => _chars.Length;

    /// <summary>The characters in id order (FromText(Alphabet) rebuilds this tokenizer).</summary>
    public string Alphabet => new(_chars);

    public bool Contains(char c) => _ids.ContainsKey(c);

    /// <summary>Ids of the characters of <paramref name="s"/>; a character outside the vocabulary throws an
    /// <see cref="InputException"/> naming it.</summary>
    public long[] Encode(string s)
    {
        var ids = new long[s.Length];
        for (int i = 0; i < s.Length; i++)
        {
            if (!_ids.TryGetValue(s[i], out ids[i]))
            {
                throw new InputException(
                    $"Character {Describe(s[i])} at position {i} is not in the tokenizer's vocabulary of {VocabSize} characters. " +
                    "Use the all-ASCII vocabulary or build the vocabulary from text that contains it.");
            }
        }
        return ids;
    }

    public string Decode(ReadOnlySpan<long> ids)
    {
        var chars = new char[ids.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            long id = ids[i];
            if (id < 0 || id >= _chars.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id outside the vocabulary of {VocabSize}.");
            }
            chars[i] = _chars[id];
        }
        return new string(chars);
    }

    private static string Describe(char c) =>
        c is >= ' ' and <= '~' ? $"'{c}'" : $"U+{(int)c:X4}";
}
