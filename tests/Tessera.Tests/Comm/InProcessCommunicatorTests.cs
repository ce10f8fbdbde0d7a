using Tessera.Comm;

namespace Tessera.Tests.Comm;

public sealed class InProcessCommunicatorTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void ConformanceCheck_AnySize_PassesOnEveryRank(int size)
    {
        IReadOnlyList<string>[] problems = InProcessCommunicator.Run(size, CommunicatorCheck.Run);

        Assert.All(problems, Assert.Empty);
    }

    [Fact]
    public void AllReduceSum_FourRanks_UsesPairsFirstOrderOnEveryRank()
    {
        // Given: values whose float sum depends on the grouping: ((a+b)+(c+d)) differs from (((a+b)+c)+d)
        float[] v = [1e8f, 1f, -1e8f, 1f];
        float expected = (v[0] + v[1]) + (v[2] + v[3]);
        float sequential = ((v[0] + v[1]) + v[2]) + v[3];
        Assert.NotEqual(expected, sequential);

        // When
        float[] results = InProcessCommunicator.Run(4, comm =>
        {
            Span<float> x = [v[comm.Rank]];
            comm.AllReduceSum(x);
            return x[0];
        });

        // Then
        Assert.All(results, r => Assert.Equal(expected, r));
    }

    [Fact]
    public void Run_OneRankThrows_OthersStopAndTheErrorNamesTheRank()
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();

        var e = Assert.Throws<RankFailedException>(() => InProcessCommunicator.Run(3, comm =>
        {
            if (comm.Rank == 1)
            {
                throw new InvalidOperationException("boom");
            }
            comm.Barrier();   // would wait forever without the abort
            comm.Barrier();
        }));

        Assert.Equal(1, e.Rank);
        Assert.Contains("rank 1 of 3", e.Message);
        Assert.Contains("boom", e.Message);
        Assert.True(watch.Elapsed.TotalSeconds < 5);
    }

    [Fact]
    public void Run_RankThrowsInputException_RethrowsItUnchanged()
    {
        Assert.Throws<InputException>(() => InProcessCommunicator.Run(2, comm =>
        {
            if (comm.Rank == 0)
            {
                throw new InputException("bad key");
            }
            comm.Barrier();
        }));
    }
}
