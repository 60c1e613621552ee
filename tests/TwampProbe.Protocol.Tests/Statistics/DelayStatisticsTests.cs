using TwampProbe.Protocol.Statistics;
using Xunit;

namespace TwampProbe.Protocol.Tests.Statistics;

public class DelayStatisticsTests
{
    static DelayStatistics Of(params (long Index, double Delay)[] samples) =>
        DelayStatistics.Of(samples.Select(s => new SequencedDelay(s.Index, s.Delay)).ToArray());

    [Fact]
    public void BurstOfLossGivesTheIpdvAndPdvOfRfc5481Figure4()
    {
        // RFC 5481 §6.1 figure 4: packets 1..10, 3..7 lost, delays 3 4 U U U U U 5 4 3 ms.
        // IPDV: U 1 U U U U U U -1 -1; PDV: 0 1 U U U U U 2 1 0.
        var d = Of((1, 3), (2, 4), (8, 5), (9, 4), (10, 3));
        Assert.Equal((3, -1.0, -1.0, 1.0, -1.0 / 3), (d.Ipdv.Count, d.Ipdv.Min, d.Ipdv.P50, d.Ipdv.Max, d.Ipdv.Mean));
        Assert.Equal((5, 0.0, 1.0, 2.0, 2.0, 0.8), (d.Pdv.Count, d.Pdv.Min, d.Pdv.P50, d.Pdv.P90, d.Pdv.P99, d.Pdv.Mean));
        Assert.Equal((1.0, 1.0), (d.IpdvAbsolute.Min, d.IpdvAbsolute.Mean));
    }

    [Fact]
    public void EveryOtherPacketLostGivesNoIpdvButFullPdv()
    {
        // RFC 5481 §6.1 figure 3: delays 3 U 5 U 4 U 3 U 4 U.
        var d = Of((1, 3), (3, 5), (5, 4), (7, 3), (9, 4));
        Assert.Equal(0, d.Ipdv.Count);
        Assert.True(double.IsNaN(d.Ipdv.Mean));
        Assert.Equal((5, 0.0, 2.0), (d.Pdv.Count, d.Pdv.Min, d.Pdv.Max));
    }

    [Fact]
    public void IpdvIsSignedAndPairsBySendingOrderNotArrivalOrder()
    {
        // Arrival order 1, 0, 2 (1 overtook 0); sending order pairs (0,1) and (1,2).
        var d = Of((1, 150), (0, 100), (2, 120));
        Assert.Equal((2, -30.0, 50.0, 10.0), (d.Ipdv.Count, d.Ipdv.Min, d.Ipdv.Max, d.Ipdv.Mean));
        Assert.Equal((30.0, 50.0, 40.0), (d.IpdvAbsolute.Min, d.IpdvAbsolute.Max, d.IpdvAbsolute.Mean));
    }

    [Fact]
    public void PdvIsDelayMinusTheMinimumDelay()
    {
        var d = Of((0, 10), (1, 12), (2, 11), (3, 19), (4, 10));
        Assert.Equal((0.0, 1.0, 9.0, 9.0, 2.4), (d.Pdv.Min, d.Pdv.P50, d.Pdv.P90, d.Pdv.Max, Math.Round(d.Pdv.Mean, 10)));
        Assert.Equal((10.0, 11.0, 19.0), (d.Delay.Min, d.Delay.P50, d.Delay.Max));
    }

    [Fact]
    public void OneReplyHasADelayAndZeroPdvButNoIpdv()
    {
        var d = Of((0, 42));
        Assert.Equal((1, 42.0, 42.0), (d.Delay.Count, d.Delay.Min, d.Delay.Max));
        Assert.Equal((1, 0.0, 0.0), (d.Pdv.Count, d.Pdv.P99, d.Pdv.Max));
        Assert.Equal(0, d.Ipdv.Count);
        Assert.Equal(0.0, d.TwpingJitter);
    }

    [Fact]
    public void NoRepliesAreEmptyEverywhere()
    {
        var d = DelayStatistics.Of([]);
        Assert.Equal((0, 0, 0, 0), (d.Delay.Count, d.Ipdv.Count, d.IpdvAbsolute.Count, d.Pdv.Count));
        Assert.True(double.IsNaN(d.TwpingJitter));
    }

    [Fact]
    public void TwpingJitterIsP95MinusP50OfTheDelaysNotOfTheIpdv()
    {
        // Delays 1..100 in sending order: every IPDV is 1, but P95 − P50 of the delays is 45.
        var d = DelayStatistics.Of(Enumerable.Range(0, 100).Select(i => new SequencedDelay(i, i + 1)).ToArray());
        Assert.Equal(45.0, d.TwpingJitter);
        Assert.Equal((1.0, 1.0), (d.Ipdv.Min, d.Ipdv.Max));
    }
}
