using TwampProbe.Sessions;

namespace TwampProbe.Tests.Sessions;

public sealed class SendScheduleTests
{
    const long Ms = 1_000_000;

    static long[] Offsets(SendSchedule s, int n) => Enumerable.Range(0, n).Select(_ => s.Next()).ToArray();

    [Fact]
    public void FixedScheduleIsExactMultiplesOfTheInterval()
    {
        var o = Offsets(new SendSchedule(TimeSpan.FromMilliseconds(10), exponential: false), 5);
        Assert.Equal([0, 10 * Ms, 20 * Ms, 30 * Ms, 40 * Ms], o);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(42)]
    [InlineData(20260101)]
    public void ExponentialGapsHaveTheMeanAndSpreadOfAnExponentialDistribution(int seed)
    {
        const int n = 20_000;
        var o = Offsets(new SendSchedule(TimeSpan.FromMilliseconds(10), exponential: true, seed), n + 1);
        var gaps = o.Zip(o.Skip(1), (a, b) => (double)(b - a)).ToArray();
        Assert.Equal(0, o[0]);
        Assert.All(gaps, g => Assert.True(g >= 0)); // monotonic
        double mean = gaps.Average();
        double sd = Math.Sqrt(gaps.Sum(g => (g - mean) * (g - mean)) / (n - 1));
        // Mean 10 ms (standard error 10/√20000 ≈ 0.07 ms); exponential: sd = mean, median = mean·ln 2.
        Assert.InRange(mean, 9.7 * Ms, 10.3 * Ms);
        Assert.InRange(sd / mean, 0.95, 1.05);
        double median = gaps.Order().ElementAt(n / 2);
        Assert.InRange(median / mean, 0.66, 0.73);
        // Memoryless: P(gap > mean) = 1/e ≈ 0.368.
        Assert.InRange(gaps.Count(g => g > 10 * Ms) / (double)n, 0.35, 0.385);
    }

    [Fact]
    public void SameSeedSameScheduleOtherSeedOtherSchedule()
    {
        var a = Offsets(new SendSchedule(TimeSpan.FromMilliseconds(10), true, 7), 50);
        var b = Offsets(new SendSchedule(TimeSpan.FromMilliseconds(10), true, 7), 50);
        var c = Offsets(new SendSchedule(TimeSpan.FromMilliseconds(10), true, 8), 50);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void UnseededRunsDiffer()
    {
        var a = Offsets(new SendSchedule(TimeSpan.FromMilliseconds(10), true), 20);
        var b = Offsets(new SendSchedule(TimeSpan.FromMilliseconds(10), true), 20);
        Assert.NotEqual(a, b);
    }
}
