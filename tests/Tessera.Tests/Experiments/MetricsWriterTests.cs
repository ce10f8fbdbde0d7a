using Tessera.Experiments;

namespace Tessera.Tests.Experiments;

public sealed class MetricsWriterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tessera-metrics-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Write_ThenRead_RoundTripsWithExtras()
    {
        string path = Path.Combine(_dir, "metrics.jsonl");
        using (var w = MetricsWriter.Create(path))
        {
            w.Write(new MetricRecord(1200, "val", "acc", 0.973, 84.2));
            w.Write(new MetricRecord(5, "test", "acc", 0.5, 1, new Dictionary<string, string> { ["format"] = "reverse" }));
        }

        IReadOnlyList<MetricRecord> back = MetricsWriter.Read(path);

        Assert.Equal("""{"step":1200,"split":"val","metric":"acc","value":0.973,"wall_s":84.2}""", File.ReadLines(path).First());
        Assert.Equal(2, back.Count);
        Assert.Equal(0.973, back[0].Value);
        Assert.Equal("reverse", back[1].Get("format"));
    }

    [Fact]
    public void Write_IsFlushedPerLine_VisibleBeforeDispose()
    {
        string path = Path.Combine(_dir, "metrics.jsonl");
        using var w = MetricsWriter.Create(path);
        w.Write(new MetricRecord(1, "train", "loss", 2.5, 0));

        using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        Assert.Contains("\"loss\"", reader.ReadToEnd());
    }

    [Fact]
    public void Resume_DropsLaterStepsAndTornLine()
    {
        // Given: a run killed after step 30 while writing a line, with its checkpoint at step 20
        string path = Path.Combine(_dir, "metrics.jsonl");
        using (var w = MetricsWriter.Create(path))
        {
            foreach (long step in new long[] { 10, 20, 30 })
            {
                w.Write(new MetricRecord(step, "train", "loss", step, 0));
            }
        }
        File.AppendAllText(path, "{\"step\":40,\"spl");

        // When
        using (MetricsWriter.Resume(path, lastStep: 20))
        {
        }

        // Then
        Assert.Equal(new long[] { 10, 20 }, MetricsWriter.Read(path).Select(r => r.Step));
        Assert.Equal(2, File.ReadAllLines(path).Length);
    }

    [Fact]
    public void Read_MissingFile_IsInputError()
    {
        var e = Assert.Throws<InputException>(() => MetricsWriter.Read(Path.Combine(_dir, "none.jsonl")));
        Assert.Contains("none.jsonl", e.Message);
    }
}
