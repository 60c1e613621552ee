using System.Net;
using System.Net.Sockets;
using TwampProbe.Control;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Keys;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Protocol.Wire.Test;
using Xunit;

namespace TwampProbe.EndToEnd.Tests;

/// <summary>Bad test packets against the published binary: dropped, counted, never reflected.</summary>
public sealed class BadInputTests : IDisposable
{
    readonly TempDir _dir = new();
    readonly ServerProcess _server;
    readonly KeyFile _keys;

    public BadInputTests()
    {
        var path = Binary.WriteKeyFile(_dir.Path, "alice", "s3cret");
        _keys = KeyFile.Parse(File.ReadAllText(path), path);
        var (lo, hi) = Binary.PortRange(10);
        _server = new ServerProcess($"--keyfile {path} --test-ports {lo}-{hi}");
    }

    public void Dispose()
    {
        _server.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task AuthenticatedPacketWithBadHmacIsDroppedAndCountedNotReflected()
    {
        var server = new IPEndPoint(IPAddress.Loopback, _server.ControlPort);
        using var client = await ControlClient.ConnectAsync(server, TimeSpan.FromSeconds(5), CancellationToken.None);
        await client.SetupAsync([TwampModes.Authenticated], "alice", _keys, 32768, CancellationToken.None);
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        udp.Client.ReceiveTimeout = 500;
        int senderPort = ((IPEndPoint)udp.Client.LocalEndPoint!).Port;
        var accept = await client.RequestSessionAsync(new RequestTwSession
        {
            SenderPort = (ushort)senderPort, ReceiverPort = 0, PaddingLength = 64,
            Timeout = NtpTimestamp.FromInterval(1_000_000_000),
        }, CancellationToken.None);
        Assert.Equal(AcceptCode.Ok, accept.Accept);
        Assert.Equal(AcceptCode.Ok, await client.StartSessionsAsync(CancellationToken.None));
        using var crypto = new TestPacketCrypto(client.Keys!, accept.Sid, TestSecurity.Authenticated);
        var reflector = new IPEndPoint(IPAddress.Loopback, accept.Port);

        byte[] Packet(uint seq)
        {
            var p = new byte[48 + 64];
            var v = new SenderPacket(p, TestPacketLayout.Authenticated) { SequenceNumber = seq, ErrorEstimate = new ErrorEstimate(0x0001) };
            v.Timestamp = NtpTimestamp.FromUnixNanoseconds((DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100);
            crypto.ProtectSender(p);
            return p;
        }

        var good = Packet(0);
        udp.Send(good, reflector);
        var reply = udp.Receive(ref reflector);
        Assert.Equal(112, reply.Length);

        var bad = Packet(1);
        bad[40] ^= 0x01; // one bit of the HMAC
        udp.Send(bad, reflector);
        Assert.Throws<SocketException>(() => udp.Receive(ref reflector));

        var runt = new byte[20];
        udp.Send(runt, reflector);
        Assert.Throws<SocketException>(() => udp.Receive(ref reflector));

        udp.Send(Packet(2), reflector);
        var after = udp.Receive(ref reflector);
        Assert.Equal(112, after.Length);

        await client.StopSessionsAsync(AcceptCode.Ok, 1, CancellationToken.None);
        client.Dispose();
        Assert.True(_server.WaitForLog(l => l.Contains("reflected=2 dropped=2 (runt=1 bad-hmac=1)"), TimeSpan.FromSeconds(5)), _server.LogText);
    }

    [Fact]
    public async Task PacketsFromAnotherSourceAreNotReflected()
    {
        var server = new IPEndPoint(IPAddress.Loopback, _server.ControlPort);
        using var client = await ControlClient.ConnectAsync(server, TimeSpan.FromSeconds(5), CancellationToken.None);
        await client.SetupAsync([TwampModes.Unauthenticated], null, KeyFile.Empty, 32768, CancellationToken.None);
        using var sender = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var intruder = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        intruder.Client.ReceiveTimeout = 400;
        var accept = await client.RequestSessionAsync(new RequestTwSession
        {
            SenderPort = (ushort)((IPEndPoint)sender.Client.LocalEndPoint!).Port, PaddingLength = 27,
        }, CancellationToken.None);
        await client.StartSessionsAsync(CancellationToken.None);
        var reflector = new IPEndPoint(IPAddress.Loopback, accept.Port);
        intruder.Send(new byte[41], reflector);
        Assert.Throws<SocketException>(() => intruder.Receive(ref reflector));
    }
}
