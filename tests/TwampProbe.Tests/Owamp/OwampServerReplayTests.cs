using System.Net.Sockets;
using TwampProbe.Protocol.Tests.Golden;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Protocol.Wire.Owamp.Control;

namespace TwampProbe.Tests.Owamp;

/// <summary>
/// Interoperability replay in the server role: perfSONAR owping's recorded client bytes (owamp_O.pcapng,
/// mode 1) against our OWAMP server over TCP, as TwpingReplayTests does for twping. Only the SID the
/// server chooses differs from owampd's, so the two client messages that quote it (Stop-Sessions,
/// Fetch-Session) carry ours. The captured sessions started nine days ago: our sender skips every
/// packet (more than Timeout late, RFC 4656 §4.1.1) and owping's packets are dropped as out of time
/// (§4.2), which makes the answers exact. Secure modes cannot be replayed against a server: the Token
/// is sealed with a key derived from owampd's Salt. Test ports: TestPorts.OwampServerReplay.
/// </summary>
public sealed class OwampServerReplayTests
{
    /// <summary>This class's test ports (Support/TestPorts.cs); each server takes 50 from Low + its offset.</summary>
    static readonly TestPorts.Range Ports = TestPorts.OwampServerReplay;

    // owping's stream (PROTOCOL-OWAMP.md): Set-Up-Response 164, two Request-Sessions of 144, Start-Sessions 32,
    // Stop-Sessions 64 (one record), Fetch-Session 48.
    const int SetupEnd = 164, Request1End = SetupEnd + 144, Request2End = Request1End + 144, StartEnd = Request2End + 32,
        StopEnd = StartEnd + 64, FetchEnd = StopEnd + 48;

    [Fact]
    public async Task OurServerAnswersOwpingsExactBytesInMode1()
    {
        var capture = TwampCapture.Load("owamp_O.pcapng", controlPort: 861);
        byte[] c2s = capture.ClientToServer.ToArray();
        Assert.Equal(FetchEnd, c2s.Length);
        var toServer = RequestSession.Parse(c2s.AsSpan(SetupEnd, 144));
        var fromServer = RequestSession.Parse(c2s.AsSpan(Request1End, 144));

        await using var h = new OwampServerHarness(Ports.Low);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(h.Owamp);
        var stream = tcp.GetStream();
        var ct = OwampTestClient.Timeout();
        async Task<byte[]> Read(int n) { var b = new byte[n]; await stream.ReadExactlyAsync(b, ct); return b; }

        Assert.True((ServerGreeting.Parse(await Read(ServerGreeting.Size)).Modes & TwampModes.Unauthenticated) != 0);
        await stream.WriteAsync(c2s.AsMemory(0, SetupEnd), ct);
        Assert.Equal(AcceptCode.Ok, ServerStart.Parse(await Read(ServerStart.Size)).Accept);

        await stream.WriteAsync(c2s.AsMemory(SetupEnd, 144), ct);
        var accept1Bytes = await Read(AcceptSession.Size);
        var accept1 = AcceptSession.Parse(accept1Bytes);
        Assert.Equal(AcceptCode.Ok, accept1.Accept);
        Assert.InRange(accept1.Port, Ports.Low, Ports.Low + 49);
        Assert.Equal("7f000001", Convert.ToHexString(accept1.Sid.AsSpan(0, 4)).ToLowerInvariant());
        Assert.True(accept1Bytes.AsSpan(AcceptSession.BodySize).IndexOfAnyExcept((byte)0) < 0, "mode-1 HMAC field must be zero");

        await stream.WriteAsync(c2s.AsMemory(Request1End, 144), ct);
        var accept2 = AcceptSession.Parse(await Read(AcceptSession.Size));
        Assert.Equal(AcceptCode.Ok, accept2.Accept);
        Assert.Equal(fromServer.Sid, accept2.Sid); // the client's SID echoed, as owampd does

        await stream.WriteAsync(c2s.AsMemory(Request2End, 32), ct);
        var ack = await Read(ShortControlMessage.Size);
        Assert.Equal(AcceptCode.Ok, ShortControlMessage.ParseStartAck(ack));

        // owping's 100 packets to our receive port: nine days old, so all dropped as out of time.
        using (var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
            foreach (var p in capture.TestPackets.Where(p => p.DestinationPort == 9070))
                await udp.SendAsync(p.Payload, new IPEndPoint(IPAddress.Loopback, accept1.Port), ct);

        // Our send session is complete at once (every slot lies in the past): our Stop-Sessions comes first.
        var stopHeader = await Read(16);
        Assert.Equal((AcceptCode.Ok, 1u), StopSessions.ParseHeader(stopHeader));
        var stop = StopSessions.Parse([.. stopHeader, .. await Read(32 + 16)]);
        var record = Assert.Single(stop.Sessions);
        Assert.Equal(fromServer.Sid, record.Sid);
        Assert.Equal(100u, record.NextSeqno);
        Assert.Equal([new SkipRange(0, 99)], record.SkipRanges);

        // owping's Stop-Sessions and Fetch-Session, quoting our SID.
        accept1.Sid.CopyTo(c2s, StartEnd + 16);
        accept1.Sid.CopyTo(c2s, StopEnd + 16);
        await stream.WriteAsync(c2s.AsMemory(StartEnd, FetchEnd - StartEnd), ct);
        var fetchAck = FetchAck.Parse(await Read(FetchAck.Size));
        Assert.Equal(new FetchAck(AcceptCode.Ok, true, 100, 0, 100), fetchAck);
        var data = SessionData.Parse(await Read(112 + 32 + 16 + 2512 + 16), 0, 100);
        // The reproduction is owping's request with our SID and port (RFC 4656 §3.9), byte for byte.
        var expected = new byte[144];
        (toServer with { Sid = accept1.Sid, ReceiverPort = accept1.Port }).Write(expected);
        var actual = new byte[144];
        data.Request.Write(actual);
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(actual));
        Assert.All(data.Records, r => Assert.True(r.IsLost));
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (uint)i), data.Records.Select(r => r.SequenceNumber));
    }
}
