using Tessera.Benchmarks;

// Benchmarks report ratios measured in one process, so a busy machine shifts both sides alike.
// Usage: dotnet run -c Release --project bench/Tessera.Benchmarks -- [mfu|overhead|assignment|all] [--threads N]
string which = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
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
