using TwampProbe.Linux.Net;
using TwampProbe.Linux.Time;
using Xunit;

namespace TwampProbe.Linux.Tests;

public sealed class ZeroAllocationTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReceiveSendRoundTripsAllocateNothing(bool ipv6)
    {
        using var reflector = Loopback.Bind(ipv6, new UdpSocketOptions { SendTtl = 255 });
        using var client = Loopback.Bind(ipv6, new UdpSocketOptions { TransmitTimestamps = true });
        using var clientBatch = new PacketBatch(8, 1500);
        using var reflectorBatch = new PacketBatch(8, 1500);
        using var poller = new Poller();
        poller.Add(reflector.Handle, 1);
        UdpPeer reflectorPeer = Loopback.PeerOf(reflector);

        int failures = RoundTrips(100, client, reflector, clientBatch, reflectorBatch, poller, reflectorPeer); // warm-up (JIT, tiering)
        Assert.Equal(0, failures);

        long before = GC.GetAllocatedBytesForCurrentThread();
        failures = RoundTrips(1000, client, reflector, clientBatch, reflectorBatch, poller, reflectorPeer);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, failures);
        Assert.Equal(0, allocated);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WildcardReflectorAnsweringFromTheArrivalAddressAllocatesNothing(bool dualStack)
    {
        // IP_PKTINFO in, IP_PKTINFO out: the reply to 127.0.0.2 leaves from 127.0.0.2 (checked per round trip).
        using var reflector = UdpTestSocket.Bind(new System.Net.IPEndPoint(dualStack ? System.Net.IPAddress.IPv6Any : System.Net.IPAddress.Any, 0),
            new UdpSocketOptions { SendTtl = 255 });
        using var client = Loopback.Bind(false, new UdpSocketOptions { TransmitTimestamps = true });
        using var clientBatch = new PacketBatch(8, 1500);
        using var reflectorBatch = new PacketBatch(8, 1500);
        using var poller = new Poller();
        poller.Add(reflector.Handle, 1);
        UdpPeer reflectorPeer = UdpPeer.From(new System.Net.IPEndPoint(System.Net.IPAddress.Parse("127.0.0.2"), reflector.LocalEndPoint.Port));

        int failures = RoundTrips(100, client, reflector, clientBatch, reflectorBatch, poller, reflectorPeer, viaLocalAddress: true);
        Assert.Equal(0, failures);

        long before = GC.GetAllocatedBytesForCurrentThread();
        failures = RoundTrips(1000, client, reflector, clientBatch, reflectorBatch, poller, reflectorPeer, viaLocalAddress: true);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, failures);
        Assert.Equal(0, allocated);
    }

    private static int RoundTrips(int count, UdpTestSocket client, UdpTestSocket reflector, PacketBatch clientBatch, PacketBatch reflectorBatch, Poller poller, UdpPeer reflectorPeer,
        bool viaLocalAddress = false)
    {
        int failures = 0;
        Span<ulong> ready = stackalloc ulong[4];
        Span<TxTimestamp> stamps = stackalloc TxTimestamp[16];
        for (int i = 0; i < count; i++)
        {
            ref PacketMeta m = ref clientBatch.Meta(0);
            m.Length = 64;
            m.Peer = reflectorPeer;
            m.TrafficClass = 0xB8;
            clientBatch.Buffer(0)[0] = (byte)i;
            if (client.Send(clientBatch, 1) != 1)
            {
                failures++;
            }

            if (poller.Wait(ready, 1000) != 1)
            {
                failures++;
            }

            int n = reflector.Receive(reflectorBatch, 0);
            if (n != 1 || reflectorBatch.Buffer(0)[0] != (byte)i)
            {
                failures++;
            }

            ref PacketMeta r = ref reflectorBatch.Meta(0);
            if (viaLocalAddress && !r.LocalAddress.SameAddress(reflectorPeer))
            {
                failures++;
            }

            r.Ttl = -1; // echo: Peer = source, Length = received length, TrafficClass = received TOS
            if (reflector.Send(reflectorBatch, n) != n)
            {
                failures++;
            }

            if (client.Receive(clientBatch, 1000) != 1 || clientBatch.Meta(0).Ttl != 255 || clientBatch.Meta(0).TrafficClass != 0xB8
                || clientBatch.Meta(0).Peer != reflectorPeer)
            {
                failures++;
            }

            client.ReadTransmitTimestamps(stamps);
            if (RealtimeClock.UnixNanoseconds() <= 0)
            {
                failures++;
            }
        }

        return failures;
    }
}
