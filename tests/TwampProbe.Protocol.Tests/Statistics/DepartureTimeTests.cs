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
}
