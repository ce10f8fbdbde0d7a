using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Tessera.Experiments;
using Tessera.Training;

namespace Tessera.Methods.FedMA;

/// <summary>
/// The server's checkpoint after every completed round, in the layout of <see cref="Checkpoint"/> (so a run directory
/// resumes the usual way): <c>checkpoints/step-&lt;round&gt;/arrays.bin</c> (global parameters and strategy arrays such
/// as FedMA's assignments) and <c>state.json</c> (round, wall time, history, byte counters), written to a temporary
/// folder and renamed; <c>latest.json</c> is replaced atomically.
/// </summary>
public static class ServerCheckpoint
{
    private const int Magic = 0x52415354;   // "TSAR"

    public sealed record Saved(long Round, ArrayRecord Arrays, JsonObject State);

    public static void Save(string checkpointsDir, long round, double wallSeconds, ArrayRecord arrays, JsonObject state, int keep = 2)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        ArgumentNullException.ThrowIfNull(state);
        Directory.CreateDirectory(checkpointsDir);
        string name = $"step-{round.ToString("D9", CultureInfo.InvariantCulture)}";
        string final = Path.Combine(checkpointsDir, name);
        string tmp = final + ".tmp";
        if (Directory.Exists(tmp))
        {
            Directory.Delete(tmp, recursive: true);
        }
        Directory.CreateDirectory(tmp);
        using (var stream = File.Create(Path.Combine(tmp, "arrays.bin")))
        {
            Write(stream, arrays);
        }
        var meta = new JsonObject { ["step"] = round, ["wall_s"] = wallSeconds, ["state"] = state.DeepClone() };
        File.WriteAllText(Path.Combine(tmp, "state.json"), meta.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        if (Directory.Exists(final))
        {
            Directory.Delete(final, recursive: true);
        }
        Directory.Move(tmp, final);
        RunDirectory.WriteAtomically(Path.Combine(checkpointsDir, "latest.json"), new JsonObject { ["dir"] = name, ["step"] = round }.ToJsonString());
        string[] done = Directory.GetDirectories(checkpointsDir, "step-*")
            .Where(d => !d.EndsWith(".tmp", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();
        foreach (string old in done.SkipLast(keep))
        {
            Directory.Delete(old, recursive: true);
        }
    }

    /// <summary>The latest completed round's checkpoint, or null.</summary>
    public static Saved? Latest(string checkpointsDir)
    {
        Checkpoint.Info? info = Checkpoint.Latest(checkpointsDir);
        if (info is null)
        {
            return null;
        }
        string file = Path.Combine(info.Dir, "arrays.bin");
        if (!File.Exists(file))
        {
            throw new InputException($"The checkpoint '{info.Dir}' has no arrays.bin: it is not a federated server checkpoint.");
        }
        using var stream = File.OpenRead(file);
        return new Saved(info.Step, Read(stream, file), info.State);
    }

    public static void Write(Stream stream, ArrayRecord arrays)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        using var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        w.Write(Magic);
        w.Write(arrays.Count);
        foreach (NamedArray a in arrays)
        {
            w.Write(a.Name);
            w.Write((byte)a.Type);
            w.Write(a.Shape.Length);
            foreach (long s in a.Shape)
            {
                w.Write(s);
            }
            if (a.Floats is { } f)
            {
                w.Write(MemoryMarshal.AsBytes(f.AsSpan()));
            }
            else
            {
                w.Write(MemoryMarshal.AsBytes(a.I.AsSpan()));
            }
        }
    }

    public static ArrayRecord Read(Stream stream, string source)
    {
        using var r = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        try
        {
            if (r.ReadInt32() != Magic)
            {
                throw new InputException($"{source} is not a Tessera array file (bad magic number).");
            }
            int count = r.ReadInt32();
            var record = new ArrayRecord();
            for (int i = 0; i < count; i++)
            {
                string name = r.ReadString();
                var type = (ArrayType)r.ReadByte();
                long[] shape = new long[r.ReadInt32()];
                for (int k = 0; k < shape.Length; k++)
                {
                    shape[k] = r.ReadInt64();
                }
                long n = shape.Aggregate(1L, (a, b) => a * b);
                if (type == ArrayType.Float32)
                {
                    var f = new float[n];
                    r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(f.AsSpan()));
                    record.Add(NamedArray.Of(name, shape, f));
                }
                else
                {
                    var v = new int[n];
                    r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(v.AsSpan()));
                    record.Add(NamedArray.OfInts(name, shape, v));
                }
            }
            return record;
        }
        catch (EndOfStreamException e)
        {
            throw new InputException($"{source} is truncated.", e);
        }
    }
}
