using TwampProbe.Protocol.Statistics;
using Xunit;

namespace TwampProbe.Protocol.Tests.Statistics;

public class SessionStatisticsTests
{
    /// <summary>A sample with T1 = seq·1 ms and given one-way delays (ns) and turnaround.</summary>
    static ReplySample S(uint seq, long forward = 100_000, long turnaround = 10_000, long backward = 50_000,
        bool senderSync = true, bool reflectorSync = true, int fwdTtl = 255, int backTtl = 64, int tc = 0xB8)
    {
        long t1 = 1_000_000_000 + seq * 1_000_000L;
        long t2 = t1 + forward, t3 = t2 + turnaround, t4 = t3 + backward;
        return new ReplySample(seq, seq, t1, t2, t3, t4, senderSync, reflectorSync, 1e-6, 1e-6, fwdTtl, backTtl, tc, 1);
    }

    static SessionStatistics Of(int sent, params ReplySample[] samples)
    {
        var s = new SessionStatistics { PacketsSent = sent };
        foreach (var x in samples) s.Add(x);
        return s;
    }

    [Fact]
    public void RoundTripSubtractsTheReflectorTurnaround()
    {
        var r = new ReplySample(0, 0, T1: 1_000, T2: 501_000, T3: 511_000, T4: 1_000_000, true, true, 0, 0, -1, -1, -1, 0);
        Assert.Equal((1_000_000 - 1_000) - (511_000 - 501_000), r.RoundTripNs);
        Assert.Equal((10_000, 500_000, 489_000), (r.TurnaroundNs, r.ForwardNs, r.BackwardNs));
    }

    [Fact]
    public void MissingSequenceNumbersCountAsLost()
    {
        var s = Of(5, S(0), S(1), S(3));
        Assert.Equal((3, 2), (s.PacketsReceived, s.Lost));
        Assert.Equal(40.0, s.LossPercent);
    }

    [Fact]
    public void NoPacketsSentMeansZeroLoss() => Assert.Equal(0.0, Of(0).LossPercent);

    [Fact]
    public void DuplicateIsCountedOnceAndNotAsReceived()
    {
        var s = new SessionStatistics { PacketsSent = 2 };
        Assert.True(s.Add(S(0)));
        Assert.True(s.Add(S(1)));
        Assert.False(s.Add(S(1, forward: 999_999)));
        Assert.Equal((2, 1, 0), (s.PacketsReceived, s.Duplicates, s.Lost));
        Assert.Equal(2, s.Samples.Count);
        Assert.Equal(100.0, s.Forward.Delay.Max);
    }

    [Fact]
    public void SequenceWithOneLateArrivalHasOneReorderedPacket()
    {
        // RFC 4737 §3.3: 0,1,3,2,4 → only 2 arrives below NextExp (4).
        Assert.Equal(1, Of(5, S(0), S(1), S(3), S(2), S(4)).Reordered);
    }

    [Fact]
    public void EarlyArrivalAfterALossIsNotReordering() => Assert.Equal(0, Of(5, S(0), S(2), S(4)).Reordered);

    [Fact]
    public void OnePacketOvertakingManyCountsEachLaterArrival() =>
        Assert.Equal(3, Of(5, S(4), S(0), S(1), S(2)).Reordered);

    [Fact]
    public void RoundTripSummaryIsInMicroseconds()
    {
        var s = Of(3, S(0, forward: 100_000, turnaround: 5_000, backward: 100_000), S(1, forward: 200_000, backward: 100_000), S(2, forward: 300_000, backward: 100_000));
        Assert.Equal((200.0, 300.0, 400.0), (s.RoundTrip.Delay.Min, s.RoundTrip.Delay.Median, s.RoundTrip.Delay.Max));
    }

    [Fact]
    public void IpdvComparesOnlyConsecutiveSequenceNumbers()
    {
        // 0 → 1 differ by +30 µs; 3 follows a loss of 2, so 1 → 3 (500 µs apart) is no IPDV pair; 3 → 4 differ by −10 µs.
        var s = Of(5, S(0, forward: 100_000), S(1, forward: 130_000), S(3, forward: 630_000), S(4, forward: 620_000));
        var ipdv = s.Forward.Ipdv;
        Assert.Equal(2, ipdv.Count);
        Assert.Equal((-10.0, 30.0), (ipdv.Min, ipdv.Max));
        Assert.Equal((10.0, 20.0), (s.Forward.IpdvAbsolute.Min, s.Forward.IpdvAbsolute.Mean));
    }

    [Fact]
    public void IpdvUsesSequenceOrderNotArrivalOrder()
    {
        var s = Of(3, S(1, forward: 150_000), S(0, forward: 100_000), S(2, forward: 150_000));
        Assert.Equal((2, 0.0, 50.0), (s.Forward.Ipdv.Count, s.Forward.Ipdv.Min, s.Forward.Ipdv.Max));
    }

    [Fact]
    public void EachDirectionHasItsOwnIpdvAndPdv()
    {
        // Forward grows by 10 µs per packet, backward shrinks by 5 µs, turnaround constant.
        var s = Of(3, S(0, forward: 100_000, backward: 50_000), S(1, forward: 110_000, backward: 45_000), S(2, forward: 120_000, backward: 40_000));
        Assert.Equal((10.0, 10.0), (s.Forward.Ipdv.Min, s.Forward.Ipdv.Max));
        Assert.Equal((-5.0, -5.0), (s.Backward.Ipdv.Min, s.Backward.Ipdv.Max));
        Assert.Equal((5.0, 5.0), (s.RoundTrip.Ipdv.Min, s.RoundTrip.Ipdv.Max));
        Assert.Equal((0.0, 20.0), (s.Forward.Pdv.Min, s.Forward.Pdv.Max));
        Assert.Equal((0.0, 0.0), (s.Turnaround.Pdv.Max, s.Turnaround.Ipdv.Max));
        Assert.Equal(10.0, s.Turnaround.Delay.P99);
    }

    [Fact]
    public void ReplyLaterThanTheLossThresholdIsLostAndCountedLate()
    {
        // Packet 1's reply came after -L (RFC 7680: lost, not a long delay): not measured, not received.
        var s = new SessionStatistics { PacketsSent = 3 };
        Assert.True(s.Add(S(0)));
        Assert.False(s.Add(S(1, forward: 600_000, backward: 590_000), late: true));
        Assert.True(s.Add(S(2)));
        Assert.Equal((2, 1, 1, 0), (s.PacketsReceived, s.Lost, s.Late, s.Duplicates));
        Assert.Equal(2, s.Samples.Count);
        Assert.Equal(150.0, s.RoundTrip.Delay.Max); // (T4 − T1) − turnaround of the timely ones
        Assert.Equal(new LossSummary(3, 1, 1, 1, 1), s.Loss());
        Assert.Equal(3, s.Arrivals.Count);
        Assert.True(s.Arrivals[1].Late);
    }

    [Fact]
    public void LateReplyIsNeitherADirectionalLossNorADuplicate()
    {
        var s = new SessionStatistics { PacketsSent = 2 };
        s.Add(S(0));
        s.Add(S(1), late: true);
        s.Add(S(1), late: true);
        var d = s.Directional(ReflectorNumbering.Counter);
        Assert.Equal((0L, 0L, 0L, 0L), (d.ForwardLost, d.BackwardLost, d.DirectionUnknown, d.BackwardDuplicates));
        Assert.Equal((1, 1, 0), (s.Lost, s.Late, s.Duplicates));
    }

    [Fact]
    public void OneReplyHasDelaysButNoIpdv()
    {
        var s = Of(1, S(0));
        Assert.Equal((1, 150.0, 0.0), (s.RoundTrip.Delay.Count, s.RoundTrip.Delay.P99, s.RoundTrip.Pdv.Max));
        Assert.Equal(0, s.RoundTrip.Ipdv.Count);
        Assert.Equal(0.0, s.RoundTrip.TwpingJitter);
    }

    [Fact]
    public void NoRepliesIsAllLostWithEmptyDelays()
    {
        var s = Of(4);
        Assert.Equal((0, 4, 100.0), (s.PacketsReceived, s.Lost, s.LossPercent));
        Assert.Equal(0, s.RoundTrip.Delay.Count);
        Assert.Equal(new LossSummary(4, 4, 0, 1, 4), s.Loss());
        var d = s.Directional(ReflectorNumbering.Counter);
        Assert.Equal((0L, 0L, 4L), (d.ForwardLost, d.BackwardLost, d.DirectionUnknown));
    }

    [Fact]
    public void DirectionsComeFromTheReflectorsSequenceNumbers()
    {
        // Packet 1 lost forward (the reflector numbers 2 as 1), the reply for 3 (number 2) lost backward.
        var s = Of(5, S(0), S(2) with { ReflectorSequence = 1 }, S(4) with { ReflectorSequence = 3 });
        var d = s.Directional(ReflectorNumbering.Counter);
        Assert.Equal((true, 1L, 1L, 0L), (d.Known, d.ForwardLost, d.BackwardLost, d.DirectionUnknown));
        Assert.Equal(2, s.Lost);
    }

    [Fact]
    public void ModeReportsTheMostFrequentValueAndConsistency()
    {
        Assert.Equal((64, false), SessionStatistics.Mode([64, 63, 64, -1]));
        Assert.Equal((255, true), SessionStatistics.Mode([255, -1, 255]));
        Assert.Null(SessionStatistics.Mode([-1, -1]));
    }

    [Fact]
    public void ModeTieGoesToTheSmallerValue() => Assert.Equal((3, false), SessionStatistics.Mode([5, 3, 5, 3]));

    [Fact]
    public void TtlAndDscpModesComeFromTheSamples()
    {
        var s = Of(3, S(0, backTtl: 64, tc: 0xB8), S(1, backTtl: 63, tc: 0xB8), S(2, backTtl: 64, tc: 0xB9));
        Assert.Equal((64, false), s.BackwardTtl);
        Assert.Equal((255, true), s.ForwardTtl);
        Assert.Equal((46, true), s.ReflectedDscp);
        Assert.Equal((0, false), s.ReflectedEcn);
    }

    [Fact]
    public void OneWayIsReliableOnlyWhenEverySampleIsSynchronized()
    {
        Assert.True(Of(2, S(0), S(1)).OneWayReliable);
        Assert.False(Of(2, S(0), S(1, reflectorSync: false)).OneWayReliable);
        Assert.False(Of(2, S(0, senderSync: false), S(1)).OneWayReliable);
        Assert.False(Of(2).OneWayReliable);
    }
}
