using TwampProbe.Linux.Net;
using Xunit;
using Xunit.Abstractions;

namespace TwampProbe.Linux.Tests;

public sealed class HardwareFallbackTests
{
    private readonly ITestOutputHelper _output;

    public HardwareFallbackTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData("lo")]
    [InlineData("nosuchif0")]
    public void FallsBackToSoftwareWithAReason(string iface)
    {
        using var rx = Loopback.Bind(false, new UdpSocketOptions { HardwareInterface = iface, TransmitTimestamps = true });
        _output.WriteLine(rx.TimestampFallbackReason ?? "(null)");
        Assert.Equal(TimestampSource.Kernel, rx.RxTimestampSource);
        Assert.NotNull(rx.TimestampFallbackReason);
        Assert.Contains(iface, rx.TimestampFallbackReason);

        // Software timestamping still works on the fallback socket: once the kernel has turned RX
        // timestamping on (Loopback.WarmUpRxTimestamps; two datagrams were not always enough under load),
        // every datagram carries a kernel timestamp.
        using var tx = Loopback.Bind(false);
        using var batch = new PacketBatch(1, 64);
        Assert.True(Loopback.WarmUpRxTimestamps(tx, rx), "no datagram with a kernel RX timestamp in 5 s");
        tx.SendTo(new byte[8], Loopback.PeerOf(rx), -1);
        Assert.Equal(1, rx.Receive(batch, 2000));
        Assert.Equal(TimestampSource.Kernel, batch.Meta(0).TimestampSource);
    }

    [Fact]
    public void InterfaceWithoutPhcIsLeftAloneWithThatReason()
    {
        // lo reports software timestamping only (ethtool phc index -1): hardware timestamps could not be put
        // on the system timescale, so the NIC setting is neither read nor changed.
        using var rx = Loopback.Bind(false, new UdpSocketOptions { HardwareInterface = "lo" });
        Assert.Contains("no PTP hardware clock", rx.TimestampFallbackReason);
    }

    [Fact]
    public void NoReasonWhenHardwareWasNotRequested()
    {
        using var rx = Loopback.Bind(false);
        Assert.Null(rx.TimestampFallbackReason);
    }
}
