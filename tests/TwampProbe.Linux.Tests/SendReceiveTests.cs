using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using TwampProbe.Linux.Net;
using TwampProbe.Linux.Time;
using Xunit;

namespace TwampProbe.Linux.Tests;

public sealed class SendReceiveTests
{
    private const int Count = 32;

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void BatchOf32IsReceivedWithLengthsPayloadsAndPeers(bool ipv6, bool useBatchSend)
    {
        using var rx = Loopback.Bind(ipv6);
        using var tx = Loopback.Bind(ipv6);
        using var sendBatch = new PacketBatch(Count, 1500);
        using var recvBatch = new PacketBatch(16, 1500); // smaller than the burst: needs several Receive calls
        UdpPeer dest = Loopback.PeerOf(rx);

        for (int i = 0; i < Count; i++)
        {
            int len = 20 + i * 13;
            Loopback.FillPayload(sendBatch.Buffer(i), i, len);
            if (useBatchSend)
            {
                ref PacketMeta m = ref sendBatch.Meta(i);
                m.Length = len;
                m.Peer = dest;
                m.TrafficClass = -1;
            }
            else
            {
                tx.SendTo(sendBatch.Buffer(i)[..len], dest, -1);
            }
        }

        if (useBatchSend)
        {
            Assert.Equal(Count, tx.Send(sendBatch, Count));
        }

        var seen = new bool[Count];
        UdpPeer expectedPeer = Loopback.PeerOf(tx);
        int got = Loopback.ReceiveAll(rx, recvBatch, Count, slot =>
        {
            ref PacketMeta m = ref recvBatch.Meta(slot);
            int index = BitConverter.ToInt32(recvBatch.Buffer(slot));
            Assert.InRange(index, 0, Count - 1);
            Assert.False(seen[index]);
            seen[index] = true;
            int len = 20 + index * 13;
            Assert.Equal(len, m.Length);
            Assert.False(m.Truncated);
            Assert.True(recvBatch.Buffer(slot)[..len].SequenceEqual(sendBatch.Buffer(index)[..len]));
            Assert.Equal(expectedPeer, m.Peer);
            Assert.Equal(ipv6, m.Peer.IsIPv6);
            Assert.Equal((ushort)rx.LocalEndPoint.Port, m.LocalPort);
        });
        Assert.Equal(Count, got);
        Assert.All(seen, Assert.True);
    }

    [Theory]
    [InlineData(false, 255)]
    [InlineData(false, 64)]
    [InlineData(true, 255)]
    [InlineData(true, 64)]
    public void ReceivedTtlIsSendersTtl(bool ipv6, int ttl)
    {
        using var rx = Loopback.Bind(ipv6);
        using var tx = Loopback.Bind(ipv6, new UdpSocketOptions { SendTtl = ttl });
        using var batch = new PacketBatch(4, 256);
        tx.SendTo(new byte[40], Loopback.PeerOf(rx), -1);
        Assert.Equal(1, rx.Receive(batch, 2000));
        Assert.Equal(ttl, batch.Meta(0).Ttl);
    }

    [Fact]
    public void TtlIsMinusOneWhenNotRequested()
    {
        using var rx = Loopback.Bind(false, new UdpSocketOptions { ReceiveTtl = false, ReceiveTrafficClass = false });
        using var tx = Loopback.Bind(false, new UdpSocketOptions { SendTtl = 77 });
        using var batch = new PacketBatch(4, 256);
        tx.SendTo(new byte[40], Loopback.PeerOf(rx), 0xB8);
        Assert.Equal(1, rx.Receive(batch, 2000));
        Assert.Equal(-1, batch.Meta(0).Ttl);
        Assert.Equal(-1, batch.Meta(0).TrafficClass);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void TrafficClassPerPacketIncludingEcn(bool ipv6, bool useBatchSend)
    {
        int[] classes = [0xB8, 0xB9, 0x00, 0x01, 0x2E << 2, 0xFF & ((0x0A << 2) | 0x02)];
        using var rx = Loopback.Bind(ipv6);
        using var tx = Loopback.Bind(ipv6);
        using var send = new PacketBatch(classes.Length, 256);
        using var recv = new PacketBatch(classes.Length, 256);
        UdpPeer dest = Loopback.PeerOf(rx);
        for (int i = 0; i < classes.Length; i++)
        {
            Loopback.FillPayload(send.Buffer(i), i, 64);
            if (useBatchSend)
            {
                send.Meta(i) = new PacketMeta { Length = 64, Peer = dest, TrafficClass = classes[i] };
            }
            else
            {
                tx.SendTo(send.Buffer(i)[..64], dest, classes[i]);
            }
        }

        if (useBatchSend)
        {
            Assert.Equal(classes.Length, tx.Send(send, classes.Length));
        }

        var received = new int[classes.Length];
        Array.Fill(received, -2);
        int got = Loopback.ReceiveAll(rx, recv, classes.Length, slot =>
            received[BitConverter.ToInt32(recv.Buffer(slot))] = recv.Meta(slot).TrafficClass);
        Assert.Equal(classes.Length, got);
        Assert.Equal(classes, received);
    }

    [Fact]
    public void DualStackSocketServesIPv4PeersAsIPv4()
    {
        using var rx = UdpTestSocket.Bind(new IPEndPoint(IPAddress.IPv6Any, 0), new UdpSocketOptions { DualStack = true });
        using var tx = Loopback.Bind(false, new UdpSocketOptions { SendTtl = 200 });
        using var batch = new PacketBatch(4, 256);
        var dest = UdpPeer.From(new IPEndPoint(IPAddress.Loopback, rx.LocalEndPoint.Port));
        tx.SendTo(new byte[10], dest, 0xB8);
        Assert.Equal(1, rx.Receive(batch, 2000));
        ref PacketMeta m = ref batch.Meta(0);
        Assert.False(m.Peer.IsIPv6);
        Assert.Equal(Loopback.PeerOf(tx), m.Peer);
        Assert.Equal(200, m.Ttl);
        Assert.Equal(0xB8, m.TrafficClass);

        // Reply from the IPv6 socket to the IPv4 peer (IPv4-mapped on the wire) with a TOS cmsg.
        using var reply = new PacketBatch(1, 64);
        reply.Meta(0) = new PacketMeta { Length = 12, Peer = m.Peer, TrafficClass = 0x28 };
        Assert.Equal(1, rx.Send(reply, 1));
        using var back = new PacketBatch(1, 64);
        Assert.Equal(1, tx.Receive(back, 2000));
        Assert.Equal(12, back.Meta(0).Length);
        Assert.Equal(0x28, back.Meta(0).TrafficClass);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void KernelRxTimestampAfterWarmUpIsCloseToRealtime(bool ipv6)
    {
        using var rx = Loopback.Bind(ipv6);
        using var tx = Loopback.Bind(ipv6);
        using var batch = new PacketBatch(4, 256);
        Assert.Equal(TimestampSource.Kernel, rx.RxTimestampSource);
        UdpPeer dest = Loopback.PeerOf(rx);
        // Warm-up: the kernel enables RX timestamping system-wide from a work queue, so the first packets
        // after the first timestamping socket opens (or after the last one closed) may come without one
        // (for up to 5 s here: 100 tries 1 ms apart can be too few on a busy host).
        Assert.True(Loopback.WarmUpRxTimestamps(tx, rx), "no datagram with a kernel RX timestamp in 5 s");

        long before = RealtimeClock.UnixNanoseconds();
        tx.SendTo(new byte[8], dest, -1);
        Assert.Equal(1, rx.Receive(batch, 2000));
        long after = RealtimeClock.UnixNanoseconds();
        ref PacketMeta m = ref batch.Meta(0);
        Assert.Equal(TimestampSource.Kernel, m.TimestampSource);
        Assert.InRange(m.UnixNanoseconds, before - 1_000_000, after);
        Assert.True(after - m.UnixNanoseconds < 5_000_000, $"timestamp {after - m.UnixNanoseconds} ns old");
    }

    [Fact]
    public void WithoutRxTimestampingTheSourceIsUser()
    {
        using var rx = Loopback.Bind(false, new UdpSocketOptions { ReceiveTimestamps = false });
        using var tx = Loopback.Bind(false);
        using var batch = new PacketBatch(1, 64);
        Assert.Equal(TimestampSource.User, rx.RxTimestampSource);
        long before = RealtimeClock.UnixNanoseconds();
        tx.SendTo(new byte[8], Loopback.PeerOf(rx), -1);
        Assert.Equal(1, rx.Receive(batch, 2000));
        Assert.Equal(TimestampSource.User, batch.Meta(0).TimestampSource);
        Assert.InRange(batch.Meta(0).UnixNanoseconds, before, RealtimeClock.UnixNanoseconds());
    }

    [Fact]
    public void OversizeDatagramIsFlaggedTruncatedAndExactFitIsNot()
    {
        using var rx = Loopback.Bind(false);
        using var tx = Loopback.Bind(false);
        using var batch = new PacketBatch(1, 64);
        var big = new byte[200];
        big.AsSpan().Fill(0x5A);
        tx.SendTo(big, Loopback.PeerOf(rx), -1);
        Assert.Equal(1, rx.Receive(batch, 2000));
        Assert.True(batch.Meta(0).Truncated);
        Assert.Equal(64, batch.Meta(0).Length);
        Assert.True(batch.Buffer(0).IndexOfAnyExcept((byte)0x5A) < 0);

        tx.SendTo(big.AsSpan(0, 64), Loopback.PeerOf(rx), -1);
        Assert.Equal(1, rx.Receive(batch, 2000));
        Assert.False(batch.Meta(0).Truncated);
        Assert.Equal(64, batch.Meta(0).Length);
    }

    [Fact]
    public void TimeoutReturnsZero()
    {
        using var rx = Loopback.Bind(true);
        using var batch = new PacketBatch(8, 256);
        Assert.Equal(0, rx.Receive(batch, 0));
        var sw = Stopwatch.StartNew();
        Assert.Equal(0, rx.Receive(batch, 100));
        Assert.InRange(sw.ElapsedMilliseconds, 80, 2000);
    }

    [Fact]
    public void BindToBusyPortThrowsAddressAlreadyInUse()
    {
        using var first = Loopback.Bind(false);
        var ex = Assert.Throws<SocketException>(() => UdpTestSocket.Bind(first.LocalEndPoint, new UdpSocketOptions()));
        Assert.Equal(SocketError.AddressAlreadyInUse, ex.SocketErrorCode);
    }

    [Fact]
    public void ConnectedSenderUsesDefaultPeer()
    {
        using var rx = Loopback.Bind(false);
        using var tx = Loopback.Bind(false);
        tx.Connect(Loopback.PeerOf(rx));
        using var batch = new PacketBatch(2, 64);
        batch.Meta(0) = new PacketMeta { Length = 5, TrafficClass = -1 }; // default peer: connected destination
        Assert.Equal(1, tx.Send(batch, 1));
        Assert.Equal(1, rx.Receive(batch, 2000));
        Assert.Equal(5, batch.Meta(0).Length);
        Assert.Equal(Loopback.PeerOf(tx), batch.Meta(0).Peer);
    }

    [Fact]
    public void DisposedSocketThrowsObjectDisposed()
    {
        var rx = Loopback.Bind(false);
        using var batch = new PacketBatch(1, 64);
        rx.Dispose();
        Assert.Throws<ObjectDisposedException>(() => rx.Receive(batch, 0));
    }

    /// <summary>
    /// A batch that receives, then sends short replies from its slots (as the reflector does), then
    /// receives again: every datagram of the second round arrives whole, with its peer and its
    /// timestamp and TTL. Receive sets up again only the headers the last call changed; forgetting the
    /// ones a send rewrote (iov length = the reply's length, no control buffer) truncates the next
    /// packets and loses their metadata.
    /// </summary>
    [Fact]
    public void ReceiveAfterSendingFromTheSameSlotsGetsWholeDatagramsWithMetadata()
    {
        var options = new UdpSocketOptions { ReceiveTimestamps = true, ReceiveTtl = true };
        using var rx = Loopback.Bind(false, options);
        using var tx = Loopback.Bind(false, options);
        // Round 2 asserts kernel timestamps: first the kernel must have turned RX timestamping on.
        Assert.True(Loopback.WarmUpRxTimestamps(tx, rx), "no datagram with a kernel RX timestamp in 5 s");
        using var batch = new PacketBatch(8, 1500);

        void SendFromTx(int count, int length) => SendDatagrams(tx, rx, count, length);

        // Round 1: 2 datagrams of 600 octets; then 6 10-octet datagrams sent from slots 0-5 (more slots
        // than the receive filled).
        SendFromTx(2, 600);
        Assert.Equal(2, Loopback.ReceiveAll(rx, batch, 2, _ => { }));
        SendShortFromSlots(rx, batch, 6, Loopback.PeerOf(tx));

        // Round 2: 8 datagrams of 1200 octets into the same batch.
        SendFromTx(8, 1200);
        var lengths = new List<int>();
        int got = Loopback.ReceiveAll(rx, batch, 8, slot =>
        {
            ref PacketMeta m = ref batch.Meta(slot);
            lengths.Add(m.Length);
            Assert.False(m.Truncated);
            Assert.Equal(Loopback.PeerOf(tx), m.Peer);
            Assert.Equal(TimestampSource.Kernel, m.TimestampSource);
            Assert.Equal(64, m.Ttl);
        });
        Assert.Equal(8, got);
        Assert.All(lengths, l => Assert.Equal(1200, l));
    }

    /// <summary>
    /// Receive with a maximum of one (busy polling asks an idle socket for one datagram) takes one of
    /// three queued datagrams and sets up only that header: slots a send rewrote stay to be set up by the
    /// next full receive, which then gets every datagram whole.
    /// </summary>
    [Fact]
    public void AReceiveOfOneTakesOneAndLeavesTheOtherHeadersToTheNextFullReceive()
    {
        var options = new UdpSocketOptions { ReceiveTimestamps = true, ReceiveTtl = true };
        using var rx = Loopback.Bind(false, options);
        using var tx = Loopback.Bind(false, options);
        using var batch = new PacketBatch(8, 1500);

        void SendFromTx(int count, int length) => SendDatagrams(tx, rx, count, length);

        // Slots 0-5 rewritten by a send of 10-octet datagrams (to tx, which never reads them).
        SendShortFromSlots(rx, batch, 6, Loopback.PeerOf(tx));

        SendFromTx(3, 1200);
        int first = 0;
        for (long deadline = Environment.TickCount64 + 3000; first == 0 && Environment.TickCount64 < deadline;)
        {
            first = rx.Receive(batch, 200, maxPackets: 1);
        }

        Assert.Equal(1, first);
        Assert.Equal(1200, batch.Meta(0).Length);
        Assert.False(batch.Meta(0).Truncated);

        var lengths = new List<int>();
        int rest = Loopback.ReceiveAll(rx, batch, 2, slot =>
        {
            ref PacketMeta m = ref batch.Meta(slot);
            lengths.Add(m.Length);
            Assert.False(m.Truncated);
            Assert.Equal(64, m.Ttl);
        });
        Assert.Equal(2, rest);
        Assert.All(lengths, l => Assert.Equal(1200, l));
        Assert.Throws<ArgumentOutOfRangeException>(() => rx.Receive(batch, 0, maxPackets: 0));
    }
    private static void SendDatagrams(UdpTestSocket from, UdpTestSocket to, int count, int length)
    {
        var buffer = new byte[length];
        for (int i = 0; i < count; i++)
        {
            Loopback.FillPayload(buffer, i, length);
            from.SendTo(buffer, Loopback.PeerOf(to), -1);
        }
    }

    /// <summary>Sends 10-octet datagrams from slots 0..count-1 of the batch: SendCore rewrites those headers.</summary>
    private static void SendShortFromSlots(UdpTestSocket socket, PacketBatch batch, int count, UdpPeer to)
    {
        for (int i = 0; i < count; i++)
        {
            ref PacketMeta m = ref batch.Meta(i);
            m.Length = 10;
            m.Peer = to;
            m.TrafficClass = -1;
        }

        Assert.Equal(count, socket.Send(batch, count));
    }
}
