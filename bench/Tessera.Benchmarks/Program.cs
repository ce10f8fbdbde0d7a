using Tessera.Benchmarks;

// Benchmarks report ratios measured in one process, so a busy machine shifts both sides alike.
// Usage: dotnet run -c Release --project bench/Tessera.Benchmarks -- [mfu|overhead|assignment|eval-batch|all|pruning|allreduce|time-to-accuracy] [--threads N]
// pruning: [--train N] [--epochs E] [--rewind S] [--full] (gem-miner vs IMP wall time to a ticket; not part of 'all')
// allreduce: [--ranks N] (communicator vs raw MPI_Allreduce); time-to-accuracy <netns-run-dir>
string which = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
if (which == "allreduce-rank")
{
    return AllReduceBench.Rank();
}
if (which == "time-to-accuracy")
{
    return TimeToAccuracy.Report(args.SkipWhile(a => a != "time-to-accuracy").Skip(1).FirstOrDefault() ?? "runs/accordion-netns");
}
if (which == "allreduce")
{
    return AllReduceBench.Launch(args.SkipWhile(a => a != "--ranks").Skip(1).Select(int.Parse).FirstOrDefault(2));
}
int threads = args.SkipWhile(a => a != "--threads").Skip(1).Select(int.Parse).FirstOrDefault(2);
torch.set_num_threads(threads);
Console.WriteLine($"Tessera benchmarks: {threads} libtorch thread(s), {Environment.ProcessorCount} cores, TorchSharp {typeof(torch).Assembly.GetName().Version}");
if (which is "mfu" or "all")
{
    ArithmeticBench.Mfu();
}
if (which is "overhead" or "all")
{
    ArithmeticBench.TrainerOverhead();
}
if (which is "assignment" or "all")
{
    AssignmentBench.Run();
}
if (which is "eval-batch" or "all")
{
    EvalBatchBench.Run();
}
if (which == "pruning")
{
    PruningBench.Run(args);
}
return 0;
