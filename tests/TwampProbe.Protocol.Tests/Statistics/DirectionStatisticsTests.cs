using TwampProbe.Protocol.Statistics;
using Xunit;

namespace TwampProbe.Protocol.Tests.Statistics;

public class DirectionStatisticsTests
{
    const long Ms = 1_000_000;

    [Fact]
    public void OneWayStreamSummarizesLossReorderingDuplicatesAndDelay()
    {
        // OWAMP-like: 6 sent each 10 ms; 2 lost; 4 overtakes 3; 1 duplicated. Delays 1, 2, -, 4, 3, -  ms.
        var d = new DirectionStatistics(lossThresholdNs: 2_000 * Ms);
        Assert.Equal(Arrival.First, d.Add(0, 0, 1 * Ms));
        Assert.Equal(Arrival.First, d.Add(1, 10 * Ms, 12 * Ms));
        Assert.Equal(Arrival.Duplicate, d.Add(1, 10 * Ms, 13 * Ms));
        Assert.Equal(Arrival.First, d.Add(4, 40 * Ms, 43 * Ms));
        Assert.Equal(Arrival.First, d.Add(3, 30 * Ms, 34 * Ms));
        var s = d.Summarize(6);
        Assert.Equal(new LossSummary(6, 2, 0, 2, 1), s.Loss);
        Assert.Equal((4L, 1L, 1L, 0.25), (s.Received, s.Duplicates, s.Reordered, s.ReorderedRatio));
        Assert.Equal((1000.0, 2000.0, 4000.0), (s.DelayUs.Delay.Min, s.DelayUs.Delay.P50, s.DelayUs.Delay.Max));
        // Pairs (0,1) = +1 ms and (3,4) = −1 ms; 1→3 spans the loss of 2.
        Assert.Equal((2, -1000.0, 1000.0), (s.DelayUs.Ipdv.Count, s.DelayUs.Ipdv.Min, s.DelayUs.Ipdv.Max));
        Assert.Equal((0.0, 1000.0, 3000.0), (s.DelayUs.Pdv.Min, s.DelayUs.Pdv.P50, s.DelayUs.Pdv.Max));
    }

    [Fact]
    public void DelayAboveTheThresholdIsLostAndNotMeasured()
    {
        var d = new DirectionStatistics(lossThresholdNs: 100 * Ms);
        d.Add(0, 0, 5 * Ms);
        Assert.Equal(Arrival.Late, d.Add(1, 10 * Ms, 10 * Ms + 100 * Ms + 1));
        Assert.Equal(Arrival.First, d.Add(2, 20 * Ms, 20 * Ms + 100 * Ms)); // exactly Tmax is still in time
        var s = d.Summarize(3);
        Assert.Equal(new LossSummary(3, 1, 1, 1, 1), s.Loss);
        Assert.Equal((2, 100_000.0), (s.DelayUs.Delay.Count, s.DelayUs.Delay.Max));
        Assert.Equal(0, s.DelayUs.Ipdv.Count);
    }

    [Fact]
    public void CallerJudgedLatenessIsUsedAsGiven()
    {
        var d = new DirectionStatistics();
        Assert.Equal(Arrival.Late, d.Add(0, 5 * Ms, late: true));
        Assert.Equal(Arrival.First, d.Add(1, 5 * Ms, late: false));
        Assert.Equal((1L, 1L), (d.Sequence.Received, d.Sequence.Late));
        Assert.Single(d.DelaysNs);
    }

    [Fact]
    public void IpdvPairsAcrossTheSequenceWrap()
    {
        // First sequence number 0xFFFFFFFF: 0xFFFFFFFF and 0 are consecutive.
        var d = new DirectionStatistics(firstSequence: 0xFFFF_FFFF);
        d.Add(0, 10 * Ms, 13 * Ms);
        d.Add(0xFFFF_FFFF, 0, 1 * Ms);
        var s = d.Summarize(2);
        Assert.Equal((0L, 1L), (s.Loss.Lost, s.Reordered));
        Assert.Equal((1, 2000.0), (s.DelayUs.Ipdv.Count, s.DelayUs.Ipdv.Max));
    }

    [Fact]
    public void EmptyDirectionHasNoDelaysAndAllLost()
    {
        var s = new DirectionStatistics().Summarize(4);
        Assert.Equal(new LossSummary(4, 4, 0, 1, 4), s.Loss);
        Assert.Equal(0, s.DelayUs.Delay.Count);
        Assert.Equal(0.0, s.ReorderedRatio);
    }
}
