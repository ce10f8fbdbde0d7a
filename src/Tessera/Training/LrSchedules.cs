namespace Tessera.Training;

/// <summary>Learning-rate schedules as functions of the step (0-based update index).</summary>
public static class LrSchedules
{
    public static Func<long, double> Constant(double lr) => _ => lr;

    /// <summary>Linear warmup from 0 to <paramref name="peak"/> over <paramref name="warmup"/> steps, then cosine decay
    /// that reaches <paramref name="min"/> exactly at <paramref name="maxSteps"/> (nanoGPT's get_lr).</summary>
    public static Func<long, double> WarmupCosine(double peak, long warmup, long maxSteps, double min) => step =>
    {
        if (step < warmup)
        {
            return peak * step / warmup;
        }
        if (step >= maxSteps)
        {
            return min;
        }
        double ratio = (double)(step - warmup) / Math.Max(1, maxSteps - warmup);
        return min + 0.5 * (1 + Math.Cos(Math.PI * ratio)) * (peak - min);
    };
}
