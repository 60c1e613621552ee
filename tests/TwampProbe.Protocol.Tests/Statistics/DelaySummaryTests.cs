using TwampProbe.Protocol.Statistics;
using Xunit;

namespace TwampProbe.Protocol.Tests.Statistics;

public class DelaySummaryTests
{
    [Fact]
    public void PercentilesOfOneToHundredAreTheirRanks()
    {
        var s = DelaySummary.Of(Enumerable.Range(1, 100).Select(i => (double)i));
        Assert.Equal((100, 1.0, 50.0, 90.0, 95.0, 99.0, 100.0, 50.5), (s.Count, s.Min, s.P50, s.P90, s.P95, s.P99, s.Max, s.Mean));
        Assert.Equal(50.0, s.Median);
    }

    [Fact]
    public void NinetiethPercentileOfTenValuesIsTheNinthNotTheTenth()
    {
        // 0.9 · 10 in floating point is 9.000000000000002; rank must still be 9.
        var s = DelaySummary.Of([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
        Assert.Equal((90.0, 100.0, 100.0), (s.P90, s.P95, s.P99));
    }

    [Fact]
    public void NearestRankOfFewValuesTakesTheNextHigherValue()
    {
        // 5 values: p50 rank ceil(2.5) = 3, p90 rank ceil(4.5) = 5, p95 rank ceil(4.75) = 5.
        var s = DelaySummary.Of([50, 10, 40, 20, 30]);
        Assert.Equal((30.0, 50.0, 50.0, 30.0), (s.P50, s.P90, s.P95, s.Mean));
    }

    [Fact]
    public void OneValueIsEveryStatistic()
    {
        var s = DelaySummary.Of([7.5]);
        Assert.Equal((1, 7.5, 7.5, 7.5, 7.5, 7.5, 7.5, 7.5), (s.Count, s.Min, s.P50, s.P90, s.P95, s.P99, s.Max, s.Mean));
        Assert.Equal(0.0, s.P95MinusP50);
    }

    [Fact]
    public void EmptySummaryIsNaNEverywhere()
    {
        var s = DelaySummary.Of([]);
        Assert.Equal(0, s.Count);
        Assert.All(new[] { s.Min, s.P50, s.P90, s.P95, s.P99, s.Max, s.Mean, s.P95MinusP50 }, v => Assert.True(double.IsNaN(v)));
    }

    [Fact]
    public void TwpingJitterIsP95MinusP50OfTheDelays()
    {
        // twping (owamp stats.c CalculateJitter): P95 − P50 = 95 − 50 for 1..100.
        Assert.Equal(45.0, DelaySummary.Of(Enumerable.Range(1, 100).Select(i => (double)i)).P95MinusP50);
    }

    [Fact]
    public void NegativeValuesSortBelowZero()
    {
        var s = DelaySummary.Of([3, -5, 0, 2, -1]);
        Assert.Equal((-5.0, 0.0, 3.0, -0.2), (s.Min, s.P50, s.Max, Math.Round(s.Mean, 10)));
    }
}
