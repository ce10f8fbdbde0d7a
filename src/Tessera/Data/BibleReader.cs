using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Tessera.Data;

/// <summary>
/// The King James Bible as 66 clients, one per book, read through the <c>bible</c> command of Debian's
/// <c>bible-kjv</c> package. The first load runs <c>bible -f Gen1:1-Rev22:21</c> (pretty-printing off: one
/// verse per line, e.g. "Ge1:1 In the beginning God created the heaven and the earth.") and caches that output
/// as <see cref="CacheFileName"/> in the cache folder; later loads read the cache only.
/// </summary>
public static partial class BibleReader
{
    public const string CacheFileName = "kjv-verses.txt";
    public const string HowToGet = "Install it with 'apt-get install bible-kjv'.";
    public const string AllVerses = "Gen1:1-Rev22:21";

    /// <summary>The 66 books in canonical order: the abbreviation that <c>bible</c> prints, and the full name.</summary>
    public static IReadOnlyList<(string Abbreviation, string Name)> Books { get; } =
    [
        ("Ge", "Genesis"),
        ("Exo", "Exodus"),
        ("Lev", "Leviticus"),
        ("Num", "Numbers"),
        ("Deu", "Deuteronomy"),
        ("Josh", "Joshua"),
        ("Jdgs", "Judges"),
        ("Ruth", "Ruth"),
        ("1Sm", "1 Samuel"),
        ("2Sm", "2 Samuel"),
        ("1Ki", "1 Kings"),
        ("2Ki", "2 Kings"),
        ("1Chr", "1 Chronicles"),
        ("2Chr", "2 Chronicles"),
        ("Ezra", "Ezra"),
        ("Neh", "Nehemiah"),
        ("Est", "Esther"),
        ("Job", "Job"),
        ("Psa", "Psalms"),
        ("Prv", "Proverbs"),
        ("Eccl", "Ecclesiastes"),
        ("SSol", "Song of Solomon"),
        ("Isa", "Isaiah"),
        ("Jer", "Jeremiah"),
        ("Lam", "Lamentations"),
        ("Eze", "Ezekiel"),
        ("Dan", "Daniel"),
        ("Hos", "Hosea"),
        ("Joel", "Joel"),
        ("Amos", "Amos"),
        ("Obad", "Obadiah"),
        ("Jonah", "Jonah"),
        ("Mic", "Micah"),
        ("Nahum", "Nahum"),
        ("Hab", "Habakkuk"),
        ("Zep", "Zephaniah"),
        ("Hag", "Haggai"),
        ("Zec", "Zechariah"),
        ("Mal", "Malachi"),
        ("Mat", "Matthew"),
        ("Mark", "Mark"),
        ("Luke", "Luke"),
        ("John", "John"),
        ("Acts", "Acts"),
        ("Rom", "Romans"),
        ("1Cor", "1 Corinthians"),
        ("2Cor", "2 Corinthians"),
        ("Gal", "Galatians"),
        ("Eph", "Ephesians"),
        ("Phi", "Philippians"),
        ("Col", "Colossians"),
        ("1Th", "1 Thessalonians"),
        ("2Th", "2 Thessalonians"),
        ("1Tim", "1 Timothy"),
        ("2Tim", "2 Timothy"),
        ("Titus", "Titus"),
        ("Phmn", "Philemon"),
        ("Heb", "Hebrews"),
        ("Jas", "James"),
        ("1Pet", "1 Peter"),
        ("2Pet", "2 Peter"),
        ("1Jn", "1 John"),
        ("2Jn", "2 John"),
        ("3Jn", "3 John"),
        ("Jude", "Jude"),
        ("Rev", "Revelation"),
    ];

    /// <summary>The full names of the 66 books, in canonical order.</summary>
    public static IReadOnlyList<string> BookNames { get; } = Books.Select(b => b.Name).ToArray();

    private static Dictionary<string, string> NameOf { get; } = Books.ToDictionary(b => b.Abbreviation, b => b.Name);

    /// <summary>One client per book, in the order of the text; each text is the book's verses, one per line,
    /// without their references.</summary>
    public static IReadOnlyList<TextClient> Load(string cacheDir)
    {
        ArgumentNullException.ThrowIfNull(cacheDir);
        string cache = Path.Combine(Path.GetFullPath(cacheDir), CacheFileName);
        if (!File.Exists(cache))
        {
            string text = RunBible(AllVerses);
            Directory.CreateDirectory(Path.GetDirectoryName(cache)!);
            string partial = $"{cache}.{Path.GetRandomFileName()}.partial";   // concurrent first loads don't collide
            File.WriteAllText(partial, text, new UTF8Encoding(false));
            File.Move(partial, cache, overwrite: true);
        }
        using var reader = new StreamReader(cache, Encoding.UTF8);
        return Parse(reader, cache);
    }

    /// <summary>True when the <c>bible</c> command is on the PATH.</summary>
    public static bool CommandAvailable() => FindCommand() is not null;

    /// <summary>
    /// Parses the unformatted output of <c>bible -f</c>: lines "&lt;book&gt;&lt;chapter&gt;:&lt;verse&gt; &lt;text&gt;",
    /// grouped into one client per run of lines with the same book abbreviation. Blank lines are ignored; any
    /// other line is an error naming <paramref name="source"/> and the line number.
    /// </summary>
    public static IReadOnlyList<TextClient> Parse(TextReader reader, string source)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var clients = new List<TextClient>();
        var seen = new HashSet<string>();
        string? book = null;
        var text = new StringBuilder();
        int lineNo = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNo++;
            if (line.Trim().Length == 0)
            {
                continue;
            }
            Match m = VerseLine().Match(line);
            if (!m.Success)
            {
                throw new InputException(
                    $"{source}, line {lineNo}: expected a verse such as 'Ge1:1 In the beginning ...', found " +
                    $"'{Shorten(line)}'. Delete the cache file to read the text again from the 'bible' command.");
            }
            string abbreviation = m.Groups["book"].Value;
            if (abbreviation != book)
            {
                Flush();
                if (!seen.Add(abbreviation))
                {
                    throw new InputException(
                        $"{source}, line {lineNo}: book '{abbreviation}' appears again after another book; the verses " +
                        "are out of order. Delete the cache file to read the text again.");
                }
                book = abbreviation;
            }
            if (text.Length > 0)
            {
                text.Append('\n');
            }
            text.Append(m.Groups["text"].Value.TrimEnd());
        }
        Flush();
        if (clients.Count == 0)
        {
            throw new InputException($"{source} holds no verses. Delete it to read the text again. {HowToGet}");
        }
        return clients;

        void Flush()
        {
            if (book is not null)
            {
                clients.Add(new TextClient(NameOf.TryGetValue(book, out string? full) ? full : book, text.ToString()));
                text.Clear();
            }
        }
    }

    private static string RunBible(string verses)
    {
        string command = FindCommand()
            ?? throw new InputException($"The 'bible' command was not found on the PATH, so the King James Bible cannot be read. {HowToGet}");
        var start = new ProcessStartInfo(command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add("-f");
        start.ArgumentList.Add(verses);
        using Process process = Process.Start(start)
            ?? throw new InputException($"Could not start {command}. {HowToGet}");
        process.StandardInput.Close();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill();
            throw new InputException($"{command} -f {verses} did not finish within 2 minutes.");
        }
        if (process.ExitCode != 0 || stdout.Length == 0)
        {
            throw new InputException(
                $"{command} -f {verses} failed (exit code {process.ExitCode}): {Shorten(stderr.Result.Trim())}. {HowToGet}");
        }
        return stdout;
    }

    private static string? FindCommand()
    {
        string path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "bible"))
            .FirstOrDefault(File.Exists);
    }

    private static string Shorten(string s) => s.Length <= 80 ? s : s[..80] + "...";

    [GeneratedRegex(@"^(?<book>[1-3]?[A-Za-z]+)(?<chapter>\d+):(?<verse>\d+) (?<text>.*)$")]
    private static partial Regex VerseLine();
}
