using System.Globalization;
using System.Text.Json.Nodes;
using Tessera.Experiments;

namespace Tessera.Training;

/// <summary>
/// Checkpoints under <c>checkpoints/step-000001200/</c>: <c>model.dat</c> (TorchSharp format), <c>optimizer.dat</c>,
/// <c>state.json</c> (step, wall time, the experiment's own state). A checkpoint is written into a temporary folder
/// and renamed into place, and <c>latest.json</c> is replaced atomically, so a kill at any moment leaves the
/// previous checkpoint intact. Data order and dropout are functions of (seed, step) (<see cref="StepSeeds"/>),
/// so the step restores them exactly.
/// </summary>
public static class Checkpoint
{
    public sealed record Info(long Step, double WallSeconds, string Dir, JsonObject State)
    {
        public string ModelFile => Path.Combine(Dir, "model.dat");

        public string OptimizerFile => Path.Combine(Dir, "optimizer.dat");
    }

    /// <param name="extraFiles">Writes more files into the checkpoint's folder before it is renamed into place (e.g. the
    /// per-worker state of a data-parallel run), so they are part of the same atomic checkpoint.</param>
    public static Info Save(string checkpointsDir, long step, double wallSeconds, nn.Module model, OptimizerHelper? optimizer,
        JsonObject? state = null, int keep = 2, Action<string>? extraFiles = null)
    {
        Directory.CreateDirectory(checkpointsDir);
        string name = $"step-{step.ToString("D9", CultureInfo.InvariantCulture)}";
        string final = Path.Combine(checkpointsDir, name);
        string tmp = final + ".tmp";
        if (Directory.Exists(tmp))
        {
            Directory.Delete(tmp, recursive: true);
        }
        Directory.CreateDirectory(tmp);
        model.save(Path.Combine(tmp, "model.dat"));
        optimizer?.save_state_dict(Path.Combine(tmp, "optimizer.dat"));
        var meta = new JsonObject { ["step"] = step, ["wall_s"] = wallSeconds, ["state"] = state?.DeepClone() ?? new JsonObject() };
        File.WriteAllText(Path.Combine(tmp, "state.json"), meta.ToJsonString(RunDirectory.Indented));
        extraFiles?.Invoke(tmp);
        if (Directory.Exists(final))
        {
            Directory.Delete(final, recursive: true);
        }
        Directory.Move(tmp, final);
        RunDirectory.WriteAtomically(Path.Combine(checkpointsDir, "latest.json"), new JsonObject { ["dir"] = name, ["step"] = step }.ToJsonString());

        foreach (string old in Completed(checkpointsDir).SkipLast(keep))
        {
            Directory.Delete(old, recursive: true);
        }
        return new Info(step, wallSeconds, final, state ?? []);
    }

    /// <summary>The newest complete checkpoint, or null when there is none.</summary>
    public static Info? Latest(string checkpointsDir)
    {
        string latest = Path.Combine(checkpointsDir, "latest.json");
        string? dir = File.Exists(latest) && JsonNode.Parse(File.ReadAllText(latest)) is JsonObject o
            ? Path.Combine(checkpointsDir, o["dir"]!.GetValue<string>())
            : Completed(checkpointsDir).LastOrDefault();
        if (dir is null || !File.Exists(Path.Combine(dir, "state.json")))
        {
            return null;
        }
        var meta = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "state.json")))!;
        return new Info(meta["step"]!.GetValue<long>(), meta["wall_s"]!.GetValue<double>(), dir,
            meta["state"] as JsonObject ?? []);
    }

    public static void Restore(Info checkpoint, nn.Module model, OptimizerHelper? optimizer)
    {
        model.load(checkpoint.ModelFile, strict: true);
        if (optimizer is not null)
        {
            optimizer.load_state_dict(checkpoint.OptimizerFile);
        }
    }

    private static IEnumerable<string> Completed(string checkpointsDir) =>
        Directory.Exists(checkpointsDir)
            ? Directory.GetDirectories(checkpointsDir, "step-*").Where(d => !d.EndsWith(".tmp", StringComparison.Ordinal)).Order(StringComparer.Ordinal)
            : [];
}
