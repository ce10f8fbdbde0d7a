namespace Tessera.Data;

/// <summary>
/// Reads the fortune-cookie database of Debian's <c>fortunes</c> package: one client per category file, named
/// after the file. Index files (*.dat), the *.u8 links and every other symbolic link are skipped; the lines
/// holding only <c>%</c> that separate the records are removed, the other lines are kept as they are.
/// </summary>
public static class FortunesReader
{
    public const string DefaultDir = "/usr/share/games/fortunes";
    public const string HowToGet = "Install it with 'apt-get install fortunes'.";

    /// <summary>Clients in ordinal file-name order; files holding no text are left out.</summary>
    public static IReadOnlyList<TextClient> Load(string dir = DefaultDir)
    {
        ArgumentNullException.ThrowIfNull(dir);
        dir = Path.GetFullPath(dir);
        if (!Directory.Exists(dir))
        {
            throw new InputException($"The fortunes folder {dir} does not exist. {HowToGet}");
        }
        var clients = new List<TextClient>();
        foreach (string path in Directory.GetFiles(dir).Order(StringComparer.Ordinal))
        {
            string file = Path.GetFileName(path);
            if (file.StartsWith('.') || file.EndsWith(".dat", StringComparison.Ordinal)
                || file.EndsWith(".u8", StringComparison.Ordinal) || new FileInfo(path).LinkTarget is not null)
            {
                continue;
            }
            string text = Parse(DataFiles.ReadAllText(path));
            if (text.Trim().Length > 0)
            {
                clients.Add(new TextClient(file, text));
            }
        }
        if (clients.Count == 0)
        {
            throw new InputException($"The fortunes folder {dir} holds no fortune files. {HowToGet}");
        }
        return clients;
    }

    /// <summary>The text of one fortune file without its '%' separator lines (line ends become '\n').</summary>
    public static string Parse(string fileText)
    {
        ArgumentNullException.ThrowIfNull(fileText);
        var kept = fileText.ReplaceLineEndings("\n").Split('\n').Where(line => line.TrimEnd() != "%");
        return string.Join('\n', kept).Trim('\n');
    }
}
