using System.Net;
using TwampProbe.Linux.Net;
using Xunit;

namespace TwampProbe.Linux.Tests;

/// <summary>
/// A socket bound to a wildcard address learns the local address each datagram came to (IP_PKTINFO /
/// IPV6_PKTINFO) and sends each reply from it, so senders that connect their socket (or, like our
/// Session-Sender, match the reflector's address) accept the replies.
/// </summary>
public sealed class LocalAddressTests
{
    private static readonly IPAddress Secondary4 = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress Tertiary4 = IPAddress.Parse("127.0.0.3");

    [Theory]
    [InlineData(false)] // AF_INET bound to 0.0.0.0
    [InlineData(true)]  // dual-stack AF_INET6 bound to ::, IPv4 traffic arrives IPv4-mapped with IP_PKTINFO
    public void WildcardSocketRepliesFromTheSecondaryAddressTheRequestCameTo(bool dualStack)
    {
        using var rx = UdpTestSocket.Bind(new IPEndPoint(dualStack ? IPAddress.IPv6Any : IPAddress.Any, 0), new UdpSocketOptions());
        using var client = UdpTestSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0), new UdpSocketOptions());
        var target = UdpPeer.From(new IPEndPoint(Secondary4, rx.LocalEndPoint.Port));
        client.Connect(target); // a connected sender only accepts replies from the address it sent to

        AssertEchoedFrom(rx, client, target, expectedLocal: target);
    }

    [Fact]
    public void EverySlotOfOneSendBatchLeavesFromItsOwnAddress()
    {
        using var rx = UdpTestSocket.Bind(new IPEndPoint(IPAddress.Any, 0), new UdpSocketOptions());
        using var client = UdpTestSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0), new UdpSocketOptions());
        using var batch = new PacketBatch(8, 256);
        var to = new[] { Secondary4, Tertiary4, IPAddress.Loopback, Secondary4, Tertiary4, IPAddress.Loopback };
        for (int i = 0; i < to.Length; i++)
        {
            client.SendTo(new byte[] { (byte)i, 1, 2, 3 }, UdpPeer.From(new IPEndPoint(to[i], rx.LocalEndPoint.Port)), -1);
        }

        int got = rx.Receive(batch, 2000); // loopback: all six are queued already, one recvmmsg takes them
        Assert.Equal(to.Length, got);
        for (int i = 0; i < got; i++)
        {
            ref PacketMeta m = ref batch.Meta(i);
            Assert.True(m.HasLocalAddress);
            Assert.Equal(to[batch.Buffer(i)[0]], m.LocalAddress.ToAddress());
            Assert.Equal((ushort)rx.LocalEndPoint.Port, m.LocalAddress.Port);
            Assert.True(m.InterfaceIndex > 0);
        }

        Assert.Equal(got, rx.Send(batch, got)); // one sendmmsg, one source address per slot

        using var replies = new PacketBatch(8, 256);
        int back = Loopback.ReceiveAll(client, replies, got, slot =>
            Assert.Equal(to[replies.Buffer(slot)[0]], replies.Meta(slot).Peer.ToAddress()));
        Assert.Equal(got, back);
    }

    [Fact]
    public void IPv6WildcardSocketRepliesFromTheSecondaryAddressTheRequestCameTo()
    {
        using var ns = new NetNamespace("addr add fd7a:7e57::2/128 dev lo nodad");
        var (rx, client) = ns.Create(() => (
            UdpTestSocket.Bind(new IPEndPoint(IPAddress.IPv6Any, 0), new UdpSocketOptions()),
            UdpTestSocket.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0), new UdpSocketOptions())));
        using (rx)
        using (client)
        {
            var target = UdpPeer.From(new IPEndPoint(IPAddress.Parse("fd7a:7e57::2"), rx.LocalEndPoint.Port));
            client.Connect(target);
            AssertEchoedFrom(rx, client, target, expectedLocal: target);
        }
    }

    [Fact]
    public void IPv6LinkLocalDestinationCarriesTheInterfaceAsScopeAndTheReplyLeavesFromIt()
    {
        // Two link-local addresses on the reflector's interface, equally good for routing: it answers from
        // the newest (fe80::aa); the request goes to the other one.
        using var reflectorNs = new NetNamespace();
        using var clientNs = new NetNamespace();
        string id = $"{Environment.ProcessId % 10000}";
        NetNamespace.Ip($"link add tlr{id} netns {reflectorNs.Name} type veth peer name tlc{id} netns {clientNs.Name}");
        NetNamespace.Ip($"-n {reflectorNs.Name} addr add fe80::a/64 dev tlr{id} nodad");
        NetNamespace.Ip($"-n {reflectorNs.Name} addr add fe80::aa/64 dev tlr{id} nodad");
        NetNamespace.Ip($"-n {clientNs.Name} addr add fe80::b/64 dev tlc{id} nodad");
        NetNamespace.Ip($"-n {reflectorNs.Name} link set tlr{id} up");
        NetNamespace.Ip($"-n {clientNs.Name} link set tlc{id} up");
        uint reflectorIf = (uint)reflectorNs.IfIndex($"tlr{id}");
        uint clientIf = (uint)clientNs.IfIndex($"tlc{id}");

        using var rx = reflectorNs.Create(() => UdpTestSocket.Bind(new IPEndPoint(IPAddress.IPv6Any, 0), new UdpSocketOptions()));
        using var client = clientNs.Create(() => UdpTestSocket.Bind(new IPEndPoint(new IPAddress(IPAddress.Parse("fe80::b").GetAddressBytes(), clientIf), 0), new UdpSocketOptions()));
        var target = UdpPeer.From(new IPEndPoint(new IPAddress(IPAddress.Parse("fe80::a").GetAddressBytes(), clientIf), rx.LocalEndPoint.Port));
        var local = UdpPeer.From(new IPEndPoint(new IPAddress(IPAddress.Parse("fe80::a").GetAddressBytes(), reflectorIf), rx.LocalEndPoint.Port));
        client.Connect(target);
        AssertEchoedFrom(rx, client, target, expectedLocal: local);
    }

    [Fact]
    public void SocketBoundToOneAddressReportsNoLocalAddress()
    {
        using var rx = UdpTestSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0), new UdpSocketOptions());
        using var client = Loopback.Bind(false);
        using var batch = new PacketBatch(2, 64);
        client.SendTo(new byte[8], Loopback.PeerOf(rx), -1);
        Assert.Equal(1, rx.Receive(batch, 2000));
        Assert.False(batch.Meta(0).HasLocalAddress);
        Assert.Equal(0, batch.Meta(0).InterfaceIndex);
    }

    private static void AssertEchoedFrom(UdpTestSocket rx, UdpTestSocket client, UdpPeer target, UdpPeer expectedLocal)
    {
        using var batch = new PacketBatch(4, 256);
        // The request is sent again every 200 ms until one arrives (at most 5 s): once, under two busy loops,
        // the only datagram sent into a namespace set up a moment before never arrived (3 s). What is
        // asserted is where the one that arrives says it came to and where its echo leaves from.
        int got = 0, sent = 0;
        for (long end = Environment.TickCount64 + 5000; got == 0 && Environment.TickCount64 < end; sent++)
        {
            client.SendTo(new byte[] { 42, 0, 0, 0 }, default, -1);
            got = rx.Receive(batch, 200, maxPackets: 1);
        }
        Assert.True(got == 1, $"no request arrived ({sent} sent)");
        ref PacketMeta m = ref batch.Meta(0);
        Assert.True(m.HasLocalAddress);
        Assert.Equal(expectedLocal, m.LocalAddress);
        Assert.Equal(expectedLocal.ScopeId, m.LocalAddress.ScopeId);

        // Echo it, as the reflector does: Peer = source, LocalAddress = the address it came to.
        Assert.Equal(1, rx.Send(batch, 1));

        using var replies = new PacketBatch(4, 256);
        Assert.Equal(1, Loopback.ReceiveAll(client, replies, 1, _ => { }, timeoutMs: 2000));
        Assert.Equal(42, replies.Buffer(0)[0]);
        Assert.Equal(target, replies.Meta(0).Peer);
    }
}
