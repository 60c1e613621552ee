using TwampProbe.Protocol.Statistics;
using Xunit;

namespace TwampProbe.Protocol.Tests.Statistics;

/// <summary>One departure time per sample: the round trip and the forward delay use the same one.</summary>
public sealed class DepartureTimeTests
{
    [Fact]
    public void ForwardDelayAndRoundTripUseTheKernelTxTimestampWhenThereIsOne()
    {
        // T1 in the packet is read 7 µs before the kernel stamped the departure.
        var r = new ReplySample(0, 0, T1: 1_000, T2: 501_000, T3: 511_000, T4: 1_000_000, true, true, 0, 0, -1, -1, -1, 1)
        {
            T1Transmit = 8_000, T1Source = 1,
        };
        Assert.Equal(8_000, r.Departure);
        Assert.Equal(501_000 - 8_000, r.ForwardNs);
        Assert.Equal((1_000_000 - 8_000) - (511_000 - 501_000), r.RoundTripNs);
        Assert.Equal(r.RoundTripNs, r.ForwardNs + r.BackwardNs);
    }

    [Fact]
    public void WithoutTxTimestampBothUseT1()
    {
        var r = new ReplySample(0, 0, T1: 1_000, T2: 501_000, T3: 511_000, T4: 1_000_000, true, true, 0, 0, -1, -1, -1, 1);
        Assert.Equal(500_000, r.ForwardNs);
        Assert.Equal(r.RoundTripNs, r.ForwardNs + r.BackwardNs);
    }

    static ReplySample Reply(uint seq, long t1, long tx) =>
        // 100 µs forward, 10 µs turnaround, 100 µs back: every round trip is exactly 200 µs.
        new(seq, seq, T1: t1, T2: t1 + 100_000, T3: t1 + 110_000, T4: t1 + 210_000, true, true, 0, 0, -1, -1, -1, 1)
        {
            T1Transmit = tx, T1Source = (byte)(tx != 0 ? 1 : 0),
        };

    [Fact]
    public void ASessionWithSomeRepliesWithoutATxTimestampUsesT1ForAll()
    {
        // The kernel stamped packets 1 and 3 leaving 7 µs after T1; packets 0 and 2 have no stamp.
        var stats = new SessionStatistics { PacketsSent = 4 };
        stats.Add(Reply(0, 1_000_000, 0));
        stats.Add(Reply(1, 2_000_000, 2_007_000));
        stats.Add(Reply(2, 3_000_000, 0));
        stats.Add(Reply(3, 4_000_000, 4_007_000));
        Assert.False(stats.DeparturesFromTransmitTimestamps);
        // One source: no 7 µs steps between consecutive packets, so IPDV is 0 throughout.
        Assert.Equal(200.0, stats.RoundTrip.Delay.Min);
        Assert.Equal(200.0, stats.RoundTrip.Delay.Max);
        Assert.Equal(0.0, stats.RoundTrip.Ipdv.Max);
        Assert.Equal(0.0, stats.Forward.Ipdv.Min);
        Assert.Equal(100.0, stats.Forward.Delay.Max);
    }

    [Fact]
    public void ASessionWithATxTimestampOnEveryReplyUsesThem()
    {
        var stats = new SessionStatistics { PacketsSent = 2 };
        stats.Add(Reply(0, 1_000_000, 1_007_000));
        stats.Add(Reply(1, 2_000_000, 2_007_000));
        Assert.True(stats.DeparturesFromTransmitTimestamps);
        Assert.Equal(193.0, stats.RoundTrip.Delay.Min);
        Assert.Equal(93.0, stats.Forward.Delay.Max);
    }
    [Fact]
    public void StampsThatCameAfterTheirRepliesAreFilledInAtTheEnd()
    {
        // Reply 1 was in before its TX timestamp (a NIC's completion lagging its reply): filled in once the session is over.
        var stats = new SessionStatistics { PacketsSent = 3 };
        stats.Add(Reply(0, 1_000_000, 1_007_000));
        stats.Add(Reply(1, 2_000_000, 0));
        stats.Add(Reply(2, 3_000_000, 3_007_000));
        Assert.False(stats.DeparturesFromTransmitTimestamps);
        Assert.Equal(1, stats.WithoutTransmitTimestamp);
        Assert.Equal(200.0, stats.RoundTrip.Delay.Min); // T1 for all

        var late = new Dictionary<uint, long> { [1] = 2_007_000 };
        Assert.Equal(1, stats.FillTransmitTimes(r => (late.GetValueOrDefault(r.SenderSequence), (byte)2)));
        Assert.True(stats.DeparturesFromTransmitTimestamps);
        Assert.Equal(0, stats.WithoutTransmitTimestamp);
        Assert.Equal(193.0, stats.RoundTrip.Delay.Max);
        Assert.Equal(2_007_000, stats.Samples[1].T1Transmit);
        Assert.Equal(2, stats.Samples[1].T1Source); // the filled stamp's own source
        // Nothing more to fill, and a lookup without a stamp changes nothing.
        Assert.Equal(0, stats.FillTransmitTimes(_ => (0, 0)));
    }

    [Fact]
    public void PerReplyRecordsUseTheSummarysDepartureTime()
    {
        var stats = new SessionStatistics { PacketsSent = 2 };
        stats.Add(Reply(0, 1_000_000, 1_007_000));
        stats.Add(Reply(1, 2_000_000, 0));
        // T1 for the whole session: the stamped reply's record says 200 µs, as the summary does, not 193.
        var measured = stats.AsMeasured(stats.Samples[0]);
        Assert.Equal(1_000_000, measured.Departure);
        Assert.Equal(200_000, measured.RoundTripNs);
        Assert.Equal(stats.RoundTrip.Delay.Max, measured.RoundTripNs / 1e3);

        var all = new SessionStatistics { PacketsSent = 1 };
        all.Add(Reply(0, 1_000_000, 1_007_000));
        Assert.Equal(1_007_000, all.AsMeasured(all.Samples[0]).Departure);
    }
    [Fact]
    public void AOneWayDelaysErrorIsTheSumOfItsTwoTimestampsTheLargestOverTheReplies()
    {
        // RFC 4656 §4.1.2: each timestamp has its own error estimate; a one-way delay's is the sum of the two.
        static ReplySample Errors(uint seq, double sender, double reflector) =>
            new(seq, seq, 1_000, 2_000, 3_000, 4_000, true, true, sender, reflector, -1, -1, -1, 1);
        var stats = new SessionStatistics { PacketsSent = 3 };
        Assert.True(double.IsNaN(stats.OneWayErrorSeconds));
        stats.Add(Errors(0, 1e-6, 2e-6));
        stats.Add(Errors(1, 4e-6, 0.5e-6)); // the largest sum: 4.5 µs
        stats.Add(Errors(2, 1e-6, 1e-6));
        Assert.Equal(4.5e-6, stats.OneWayErrorSeconds, 12);
    }
}
