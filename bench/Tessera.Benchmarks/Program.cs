using Tessera.Benchmarks;

// Benchmarks report ratios measured in one process, so a busy machine shifts both sides alike.
// Usage: dotnet run -c Release --project bench/Tessera.Benchmarks -- [mfu|overhead|all|allreduce] [--threads N] [--ranks N]
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
return 0;
