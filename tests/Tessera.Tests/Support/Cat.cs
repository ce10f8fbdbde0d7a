namespace Tessera.Tests.Support;

/// <summary>Test categories. The unit suite excludes Slow, Smoke and Mpi (see README).</summary>
public static class Cat
{
    public const string Slow = "Slow";
    public const string Smoke = "Smoke";
    public const string Mpi = "Mpi";
}
