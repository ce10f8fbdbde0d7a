using Tessera.Data;

namespace Tessera.Tests.Data;

public sealed class FortunesReaderTests : TempDirTest
{
    [Fact]
    public void Load_GeneratedDir_OneClientPerCategoryWithoutSeparators()
    {
        // Given: two categories, their index files and .u8 links, a file of separators only, a sub-folder
        string zen = WriteText("zen", "Be here now.\n%\nTwo lines,\n\tindented.\n%\n");
        WriteText("art", "A critic creates nothing.\n%\nA celebrity is well known.\n");
        Write("art.dat", [0, 0, 0, 2, 0x80, 0x01]);
        WriteText("empty", "%\n%\n");
        File.CreateSymbolicLink(Path.Combine(Dir, "zen.u8"), zen);
        File.CreateSymbolicLink(Path.Combine(Dir, "zen-link"), zen);
        WriteText("off/rude", "Not read.\n");

        // When
        IReadOnlyList<TextClient> clients = FortunesReader.Load(Dir);

        // Then
        Assert.Equal(["art", "zen"], clients.Select(c => c.Name));
        Assert.Equal("A critic creates nothing.\nA celebrity is well known.", clients[0].Text);
        Assert.Equal("Be here now.\nTwo lines,\n\tindented.", clients[1].Text);
    }

    [Fact]
    public void Parse_PercentInsideALine_IsKept()
    {
        Assert.Equal("100% sure\n50 %", FortunesReader.Parse("100% sure\r\n%\r\n50 %\r\n"));
    }

    [Fact]
    public void Load_MissingDir_NamesPathAndPackage()
    {
        string dir = Path.Combine(Dir, "fortunes");

        var e = Assert.Throws<InputException>(() => FortunesReader.Load(dir));

        Assert.Contains(dir, e.Message);
        Assert.Contains("apt-get install fortunes", e.Message);
    }

    [Fact]
    public void Load_DirWithoutFortunes_NamesPath()
    {
        Write("cookie.dat", [1, 2, 3]);

        var e = Assert.Throws<InputException>(() => FortunesReader.Load(Dir));

        Assert.Contains(Dir, e.Message);
    }
}

public sealed class BibleReaderTests : TempDirTest
{
    // Real output of `bible -f 'Gen1:1-2' 'Exo1:1' '1Sam1:1' 'Song1:1' 'Rev22:21'` (bible-kjv 4.40).
    internal const string Sample =
        "Ge1:1 In the beginning God created the heaven and the earth.\n" +
        "Ge1:2 And the earth was without form, and void; and darkness was upon the face of the deep. And the Spirit of God moved upon the face of the waters.\n" +
        "Exo1:1 Now these are the names of the children of Israel, which came into Egypt; every man and his household came with Jacob.\n" +
        "1Sm1:1 Now there was a certain man of Ramathaimzophim, of mount Ephraim, and his name was Elkanah, the son of Jeroham, the son of Elihu, the son of Tohu, the son of Zuph, an Ephrathite:\n" +
        "SSol1:1 The song of songs, which is Solomon's.\n" +
        "Rev22:21 The grace of our Lord Jesus Christ be with you all. Amen.\n";

    [Fact]
    public void Parse_CannedOutput_OneClientPerBookWithFullNames()
    {
        IReadOnlyList<TextClient> books = BibleReader.Parse(new StringReader(Sample), "sample");

        Assert.Equal(["Genesis", "Exodus", "1 Samuel", "Song of Solomon", "Revelation"], books.Select(b => b.Name));
        Assert.Equal(
            "In the beginning God created the heaven and the earth.\nAnd the earth was without form, and void; and " +
            "darkness was upon the face of the deep. And the Spirit of God moved upon the face of the waters.",
            books[0].Text);
        Assert.Equal("The song of songs, which is Solomon's.", books[3].Text);
    }

    [Fact]
    public void Parse_MalformedLine_NamesSourceAndLine()
    {
        string text = Sample + "\nGenesis 1\n";

        var e = Assert.Throws<InputException>(() => BibleReader.Parse(new StringReader(text), "/cache/kjv.txt"));

        Assert.Contains("/cache/kjv.txt, line 8", e.Message);
    }

    [Fact]
    public void Parse_BookAppearsTwice_Throws()
    {
        string text = "Ge1:1 a\nExo1:1 b\nGe1:2 c\n";

        Assert.Throws<InputException>(() => BibleReader.Parse(new StringReader(text), "x"));
    }

    [Fact]
    public void Load_CacheFilePresent_ReadsItWithoutTheCommand()
    {
        WriteText(BibleReader.CacheFileName, Sample);

        IReadOnlyList<TextClient> books = BibleReader.Load(Dir);

        Assert.Equal(5, books.Count);
        Assert.Equal("The grace of our Lord Jesus Christ be with you all. Amen.", books[4].Text);
    }

    [Fact]
    public void Load_EmptyCacheFile_NamesItsPath()
    {
        string cache = WriteText(BibleReader.CacheFileName, "");

        var e = Assert.Throws<InputException>(() => BibleReader.Load(Dir));

        Assert.Contains(cache, e.Message);
    }
}
