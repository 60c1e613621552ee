using TwampProbe.Linux.Net;
using TwampProbe.Linux.Time;
using Xunit;

namespace TwampProbe.Linux.Tests;

public sealed class TxTimestampTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void IdsCountSendsFromZeroWithSaneTimes(bool ipv6)
    {
        const int n = 40;
        using var rx = Loopback.Bind(ipv6, new UdpSocketOptions { ReceiveBufferBytes = 1 << 20 });
        using var tx = Loopback.Bind(ipv6, new UdpSocketOptions { TransmitTimestamps = true });
        using var batch = new PacketBatch(n / 2, 128);
        UdpPeer dest = Loopback.PeerOf(rx);

        long before = RealtimeClock.UnixNanoseconds();
        for (int i = 0; i < n / 2; i++)
        {
            tx.SendTo(new byte[32], dest, -1);
            batch.Meta(i) = new PacketMeta { Length = 32, Peer = dest, TrafficClass = 0xB8 };
        }

        Assert.Equal(n / 2, tx.Send(batch, n / 2));
        long after = RealtimeClock.UnixNanoseconds();

        var stamps = new List<TxTimestamp>();
        Span<TxTimestamp> buf = stackalloc TxTimestamp[7]; // smaller than n: exercises partial reads
        long deadline = Environment.TickCount64 + 3000;
        while (stamps.Count < n && Environment.TickCount64 < deadline)
        {
            int got = tx.ReadTransmitTimestamps(buf);
            for (int i = 0; i < got; i++)
            {
                stamps.Add(buf[i]);
            }

            if (got == 0)
            {
                Thread.Sleep(5);
            }
        }

        Assert.Equal(Enumerable.Range(0, n).Select(i => (uint)i), stamps.Select(s => s.Id).Order());
        Assert.All(stamps, s =>
        {
            Assert.Equal(TimestampSource.Kernel, s.Source);
            Assert.InRange(s.UnixNanoseconds, before, after + 1_000_000);
        });
        Assert.Equal(0, tx.ReadTransmitTimestamps(buf));
        Assert.Equal(0, tx.DroppedTransmitTimestamps);
    }

    [Fact]
    public void ReceiveOnTxTimestampingSocketKeepsTimestampsAndData()
    {
        // A socket that both sends (with TX timestamps) and receives: queued TX timestamps make poll()
        // report POLLERR; Receive must still wait for data and must not lose the timestamps.
        using var a = Loopback.Bind(false, new UdpSocketOptions { TransmitTimestamps = true });
        using var b = Loopback.Bind(false);
        using var batch = new PacketBatch(4, 128);
        a.SendTo(new byte[16], Loopback.PeerOf(b), -1);
        Assert.Equal(1, b.Receive(batch, 2000));
        Thread.Sleep(20);

        var sw = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(0, a.Receive(batch, 150)); // nothing to receive: must time out, not spin out early
        Assert.True(sw.ElapsedMilliseconds >= 120, $"returned after {sw.ElapsedMilliseconds} ms");

        b.SendTo(new byte[9], Loopback.PeerOf(a), -1);
        Assert.Equal(1, a.Receive(batch, 2000));
        Assert.Equal(9, batch.Meta(0).Length);

        Span<TxTimestamp> buf = stackalloc TxTimestamp[4];
        Assert.Equal(1, a.ReadTransmitTimestamps(buf));
        Assert.Equal(0u, buf[0].Id);
    }

    [Fact]
    public void WithoutTransmitTimestampsNothingIsReported()
    {
        using var rx = Loopback.Bind(false);
        using var tx = Loopback.Bind(false);
        tx.SendTo(new byte[16], Loopback.PeerOf(rx), -1);
        Span<TxTimestamp> buf = stackalloc TxTimestamp[4];
        Assert.Equal(0, tx.ReadTransmitTimestamps(buf));
    }
}
