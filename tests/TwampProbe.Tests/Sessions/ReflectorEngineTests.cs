using TwampProbe.Config;
using TwampProbe.Control;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Wire.Test;
using TwampProbe.Sessions;
using static TwampProbe.Tests.Support.TestTime;

namespace TwampProbe.Tests.Sessions;

/// <summary>The reflector data path on real loopback UDP (RFC 5357 §4.2, App. I). Test ports: TestPorts.ReflectorEngine.</summary>
public sealed class ReflectorEngineTests : IDisposable
{
    // The class's range (Support/TestPorts.cs): test ports in the first 50, two Light ports above them.
    static readonly int Low = TestPorts.ReflectorEngine.Low, High = Low + 49, LightPort = Low + 55;
    readonly TestServer _server = new(Low, High);

    public void Dispose() => _server.Dispose();

    long Dropped(DropReason reason) => Volatile.Read(ref _server.Engine.Dropped[(int)reason]);

    /// <summary><paramref name="packet"/> from <paramref name="from"/> gets no reply and raises the <paramref name="reason"/> counter.</summary>
    void AssertDropped(DropReason reason, TestSender from, byte[] packet, int port)
    {
        long before = Dropped(reason);
        from.SendTo(packet, port);
        Assert.Null(from.Receive(300));
        long deadline = Environment.TickCount64 + 2000;
        while (Dropped(reason) <= before && Environment.TickCount64 < deadline) Thread.Sleep(10);
        Assert.True(Dropped(reason) > before, $"{reason} counter did not increase");
    }

    async Task<(ControlClient Client, int Port, byte[] Sid)> SessionAsync(TwampModes mode, TestSender sender, uint padding,
        int dscp = 0, bool start = true, bool zeroAddresses = false, bool dscpEcnMonitoring = false)
    {
        var (client, _, _) = await _server.SetUpAsync(mode, dscpEcnMonitoring: dscpEcnMonitoring);
        var request = TestServer.Request(sender.Port, padding: padding, dscp: dscp);
        if (zeroAddresses) request = request with { SenderAddress = null, ReceiverAddress = null };
        var answer = await client.RequestSessionAsync(request, TestServer.Timeout());
        Assert.Equal(AcceptCode.Ok, answer.Accept);
        if (start) Assert.Equal(AcceptCode.Ok, await client.StartSessionsAsync(TestServer.Timeout()));
        return (client, answer.Port, answer.Sid);
    }

    /// <summary>
    /// A session in <paramref name="mode"/> (64 octets of padding): a packet protected with its keys is
    /// reflected, the reply verifies under them and carries the sender's fields. Returns the reply.
    /// </summary>
    async Task<byte[]> AssertProtectedPacketIsReflected(TwampModes mode, uint sequence)
    {
        using var sender = new TestSender(ttl: 64);
        var (client, port, sid) = await SessionAsync(mode, sender, 64);
        using var crypto = new TestPacketCrypto(client.Keys!, sid, mode.TestSecurity());
        var layout = TestPacketLayout.For(mode.TestSecurity());
        var t1 = Now();

        sender.SendTo(TestSender.Packet(layout, 64, sequence, t1, crypto), port);
        var reply = sender.Receive() ?? throw new Xunit.Sdk.XunitException("no reply");

        Assert.True(crypto.UnprotectReflector(reply.Data), "reply HMAC does not verify");
        var r = new ReflectorPacket(reply.Data, layout);
        Assert.Equal(sequence, r.SenderSequenceNumber);
        Assert.Equal(t1, r.SenderTimestamp);
        Assert.Equal(64, r.SenderTtl);
        return reply.Data;
    }

    [Theory]
    [InlineData(27)]
    [InlineData(100)]
    public async Task UnauthenticatedPacketIsReflectedWithCopiedFieldsAndSameLength(int padding)
    {
        using var sender = new TestSender(ttl: 64);
        var (_, port, _) = await SessionAsync(TwampModes.Unauthenticated, sender, (uint)padding);
        var layout = TestPacketLayout.Unauthenticated;
        var t1 = Now();
        var before = Now();

        sender.SendTo(TestSender.Packet(layout, padding, 4242, t1), port);
        var reply = sender.Receive() ?? throw new Xunit.Sdk.XunitException("no reply");

        Assert.Equal(layout.SenderHeader + padding, reply.Data.Length);
        var r = new ReflectorPacket(reply.Data, layout);
        Assert.Equal(0u, r.SequenceNumber); // the reflector's own counter starts at 0
        Assert.Equal(4242u, r.SenderSequenceNumber);
        Assert.Equal(t1, r.SenderTimestamp);
        Assert.Equal(0x8001, r.SenderErrorEstimate.Value);
        Assert.Equal(64, r.SenderTtl);
        Assert.InRange(r.ReceiveTimestamp.Value, before.Value, Now().Value);
        Assert.True(r.Timestamp.Value >= r.ReceiveTimestamp.Value);
        Assert.Equal(255, reply.Meta.Ttl); // the reflector sends with TTL 255
        Assert.Equal(port, reply.Meta.Peer.Port);
    }

    [Fact]
    public async Task ReflectorSequenceNumberCountsUpPerSession()
    {
        using var sender = new TestSender();
        var (_, port, _) = await SessionAsync(TwampModes.Unauthenticated, sender, 27);
        var layout = TestPacketLayout.Unauthenticated;

        var sequences = new List<uint>();
        for (uint i = 0; i < 3; i++)
        {
            sender.SendTo(TestSender.Packet(layout, 27, 100 + i, Now()), port);
            var reply = sender.Receive() ?? throw new Xunit.Sdk.XunitException("no reply");
            sequences.Add(new ReflectorPacket(reply.Data, layout).SequenceNumber);
        }

        Assert.Equal([0u, 1u, 2u], sequences);
    }

    [Fact]
    public async Task ShortPaddingGivesAReplyOfTheReflectorMinimumSize()
    {
        using var sender = new TestSender();
        var (_, port, _) = await SessionAsync(TwampModes.Unauthenticated, sender, 0);

        sender.SendTo(TestSender.Packet(TestPacketLayout.Unauthenticated, 0, 1, Now()), port);
        var reply = sender.Receive() ?? throw new Xunit.Sdk.XunitException("no reply");

        Assert.Equal(TestPacketLayout.Unauthenticated.ReflectorHeader, reply.Data.Length);
    }

    [Fact]
    public async Task AuthenticatedPacketIsReflectedWithAValidHmac() =>
        Assert.Equal(112, (await AssertProtectedPacketIsReflected(TwampModes.Authenticated, 7)).Length);

    [Fact]
    public async Task EncryptedPacketIsReflectedAndDecryptsWithTheSessionKeys() =>
        await AssertProtectedPacketIsReflected(TwampModes.Encrypted, 9);

    [Fact]
    public async Task AuthenticatedPacketWithCorruptedHmacIsDroppedAndCounted()
    {
        using var sender = new TestSender();
        var (client, port, sid) = await SessionAsync(TwampModes.Authenticated, sender, 64);
        using var crypto = new TestPacketCrypto(client.Keys!, sid, TestSecurity.Authenticated);
        var packet = TestSender.Packet(TestPacketLayout.Authenticated, 64, 1, Now(), crypto);
        packet[TestPacketLayout.Authenticated.SenderHmac + 3] ^= 0x10;

        AssertDropped(DropReason.BadHmac, sender, packet, port);
        // A good packet right after is still reflected: the session lives on.
        sender.SendTo(TestSender.Packet(TestPacketLayout.Authenticated, 64, 2, Now(), crypto), port);
        Assert.NotNull(sender.Receive());
    }

    [Fact]
    public async Task RuntIsDroppedAndCounted()
    {
        using var sender = new TestSender();
        var (_, port, _) = await SessionAsync(TwampModes.Unauthenticated, sender, 27);

        AssertDropped(DropReason.Runt, sender, [0, 0, 0, 1, 0], port);
    }

    [Fact]
    public async Task PacketFromAnotherSourcePortIsDroppedAsUnknownSender()
    {
        using var sender = new TestSender();
        using var stranger = new TestSender();
        var (_, port, _) = await SessionAsync(TwampModes.Unauthenticated, sender, 27);

        AssertDropped(DropReason.UnknownSender, stranger, TestSender.Packet(TestPacketLayout.Unauthenticated, 27, 1, Now()), port);
    }

    [Fact]
    public async Task PacketBeforeStartSessionsIsDroppedAsNotStarted()
    {
        using var sender = new TestSender();
        var (client, port, _) = await SessionAsync(TwampModes.Unauthenticated, sender, 27, start: false);

        AssertDropped(DropReason.NotStarted, sender, TestSender.Packet(TestPacketLayout.Unauthenticated, 27, 1, Now()), port);
        Assert.Equal(AcceptCode.Ok, await client.StartSessionsAsync(TestServer.Timeout()));
        sender.SendTo(TestSender.Packet(TestPacketLayout.Unauthenticated, 27, 2, Now()), port);
        Assert.NotNull(sender.Receive());
    }

    [Fact]
    public async Task PacketAfterStopSessionsAndTimeoutIsDropped()
    {
        using var sender = new TestSender();
        var (client, port, _) = await SessionAsync(TwampModes.Unauthenticated, sender, 27);
        await client.StopSessionsAsync(AcceptCode.Ok, 1, TestServer.Timeout());
        await Task.Delay(100); // Timeout 0: nothing after Stop-Sessions is reflected

        sender.SendTo(TestSender.Packet(TestPacketLayout.Unauthenticated, 27, 1, Now()), port);

        Assert.Null(sender.Receive(300));
    }

    [Fact]
    public async Task ReplyCarriesTheRequestedDscp()
    {
        using var sender = new TestSender();
        var (_, port, _) = await SessionAsync(TwampModes.Unauthenticated, sender, 27, dscp: 46);

        sender.SendTo(TestSender.Packet(TestPacketLayout.Unauthenticated, 27, 1, Now()), port);
        var reply = sender.Receive() ?? throw new Xunit.Sdk.XunitException("no reply");

        Assert.Equal(46, reply.Meta.TrafficClass >> 2);
    }

    [Fact]
    public async Task DscpEcnMonitoringReplyCarriesTheReceivedTrafficClass()
    {
        using var sender = new TestSender();
        var (_, port, _) = await SessionAsync(TwampModes.Unauthenticated, sender, 30, dscp: 10, dscpEcnMonitoring: true);
        var layout = TestPacketLayout.UnauthenticatedDscpEcn;
        var packet = TestSender.Packet(layout, 30, 3, Now());

        sender.Socket.SendTo(packet, Linux.Net.UdpPeer.From(new IPEndPoint(IPAddress.Loopback, port)), (46 << 2) | 1);
        var reply = sender.Receive() ?? throw new Xunit.Sdk.XunitException("no reply");

        var r = new ReflectorPacket(reply.Data, layout);
        Assert.Equal((46 << 2) | 1, r.SenderDscpEcn); // RFC 7750: received DSCP and ECN copied
        Assert.Equal(3u, r.SenderSequenceNumber);
        Assert.Equal(10, reply.Meta.TrafficClass >> 2); // sent with the Type-P DSCP
        Assert.Equal(44, layout.ReflectorHeader);
        Assert.Equal(packet.Length, reply.Data.Length);
    }

    [Fact]
    public async Task ZeroAddressesInTheRequestReflectToTheControlConnectionsAddress()
    {
        using var sender = new TestSender();
        var (_, port, sid) = await SessionAsync(TwampModes.Unauthenticated, sender, 27, zeroAddresses: true);
        Assert.Equal(IPAddress.Loopback.GetAddressBytes(), sid[..4]); // SID starts with the receiver address

        sender.SendTo(TestSender.Packet(TestPacketLayout.Unauthenticated, 27, 5, Now()), port);
        var reply = sender.Receive() ?? throw new Xunit.Sdk.XunitException("no reply");

        Assert.Equal(5u, new ReflectorPacket(reply.Data, TestPacketLayout.Unauthenticated).SenderSequenceNumber);
        Assert.Equal(IPAddress.Loopback, reply.Meta.Peer.ToAddress());
    }

    [Fact]
    public void LightReflectorCopiesTheSendersSequenceNumber()
    {
        using var sender = new TestSender(ttl: 64);
        _server.Engine.Open(new IPEndPoint(IPAddress.Loopback, LightPort), new LightReflector([AddressPrefix.Parse("127.0.0.0/8")]));
        var layout = TestPacketLayout.Unauthenticated;
        var t1 = Now();

        sender.SendTo(TestSender.Packet(layout, 27, 123456, t1), LightPort);
        var reply = sender.Receive() ?? throw new Xunit.Sdk.XunitException("no reply");
        sender.SendTo(TestSender.Packet(layout, 27, 99, t1), LightPort);
        var second = sender.Receive() ?? throw new Xunit.Sdk.XunitException("no second reply");

        var r = new ReflectorPacket(reply.Data, layout);
        Assert.Equal(123456u, r.SequenceNumber);
        Assert.Equal(123456u, r.SenderSequenceNumber);
        Assert.Equal(t1, r.SenderTimestamp);
        Assert.Equal(64, r.SenderTtl);
        Assert.Equal(99u, new ReflectorPacket(second.Data, layout).SequenceNumber);
    }

    [Fact]
    public void LightReflectorDropsSourcesOutsideTheAllowList()
    {
        using var sender = new TestSender();
        _server.Engine.Open(new IPEndPoint(IPAddress.Loopback, LightPort + 1), new LightReflector([AddressPrefix.Parse("10.0.0.0/8")]));

        AssertDropped(DropReason.NotAllowed, sender, TestSender.Packet(TestPacketLayout.Unauthenticated, 27, 1, Now()), LightPort + 1);
    }
}
