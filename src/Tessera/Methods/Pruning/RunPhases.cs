using System.Text.Json.Nodes;
using Tessera.Experiments;
using Tessera.Training;

namespace Tessera.Methods.Pruning;

/// <summary>A stretch of the run's global step axis: steps (First, Last].</summary>
internal sealed record Phase(string Id, long First, long Last);

/// <summary>
/// A run made of phases in a fixed order (mining, fine-tuning, sanity checks, IMP rounds). Steps are numbered globally,
/// every phase ends with a checkpoint at its last step, and whatever a phase logs is logged at a step inside its range
/// before that checkpoint. A resumed run therefore skips every phase that ended at or before the resumed step (their
/// results come back with the checkpoint's state), continues the phase the step lies in, and starts the later ones
/// fresh. Results that later phases need (a ticket's weights, masks and BatchNorm statistics) are saved as artifacts
/// under checkpoints/artifacts/, which checkpoint rotation never deletes.
/// </summary>
internal sealed class RunPhases
{
    private readonly RunContext _ctx;
    private long _next;

    public RunPhases(RunContext ctx)
    {
        _ctx = ctx;
        State = ctx.ResumeStep > 0 && Checkpoint.Latest(ctx.Dir.CheckpointsDir) is { } latest
            ? (JsonObject)latest.State.DeepClone()
            : [];
        ArtifactsDir = Path.Combine(ctx.Dir.CheckpointsDir, "artifacts");
        Directory.CreateDirectory(ArtifactsDir);
    }

    /// <summary>Results of the phases so far, keyed by phase id; saved in every checkpoint.</summary>
    public JsonObject State { get; set; }

    public string ArtifactsDir { get; }

    public long ResumeStep => _ctx.ResumeStep;

    /// <summary>Reserves the next <paramref name="steps"/> steps for a phase.</summary>
    public Phase Reserve(string id, long steps)
    {
        var phase = new Phase(id, _next, _next + steps);
        _next += steps;
        return phase;
    }

    /// <summary>The phase ended at or before the step the run resumes from.</summary>
    public bool Finished(Phase phase) => ResumeStep >= phase.Last;

    /// <summary>The phase starts now (rather than continuing from a checkpoint inside it).</summary>
    public bool Fresh(Phase phase) => ResumeStep <= phase.First;

    /// <summary>The result object of a phase (created on first use).</summary>
    public JsonObject Result(string id)
    {
        if (State[id] is not JsonObject o)
        {
            o = [];
            State[id] = o;
        }
        return o;
    }

    public string Artifact(string name) => Path.Combine(ArtifactsDir, name.Replace('/', '_').Replace('@', '_') + ".dat");

    /// <summary>Saves a model's state as a named artifact (written to a temporary file, then renamed).</summary>
    public void SaveArtifact(string name, nn.Module model, IReadOnlyList<string>? skip = null)
    {
        string path = Artifact(name);
        string tmp = path + ".tmp";
        model.save(tmp, skip?.ToList());
        File.Move(tmp, path, overwrite: true);
    }

    public void LoadArtifact(string name, nn.Module model)
    {
        string path = Artifact(name);
        if (!File.Exists(path))
        {
            throw new InputException($"The run needs '{path}', which a finished phase should have written; the run directory is incomplete. Start the run again.");
        }
        model.load(path, strict: true);
    }

    /// <summary>The checkpoint that closes a phase run without the trainer.</summary>
    public void Close(Phase phase, nn.Module model) =>
        Checkpoint.Save(_ctx.Dir.CheckpointsDir, phase.Last, _ctx.WallSeconds, model, null, State);
}
