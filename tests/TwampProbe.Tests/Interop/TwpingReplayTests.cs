using System.Buffers.Binary;
using System.Net.Sockets;
using TwampProbe.Control;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Keys;
using TwampProbe.Protocol.Tests.Golden;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Tests.Support;

namespace TwampProbe.Tests.Interop;

/// <summary>
/// Interoperability replays of the perfSONAR captures (tests/fixtures/captures): twping's recorded
/// bytes against our server, and our client against twampd's recorded bytes, octet for octet.
/// Test ports: TestPorts.TwpingReplay; twping's own sender port (9599, TestPorts.TwpingSenderPort) is bound on 127.0.0.1 in mode 1.
/// </summary>
public sealed class TwpingReplayTests : IDisposable
{
    static readonly int Low = TestPorts.TwpingReplay.Low, High = TestPorts.TwpingReplay.High; // the class's range: Support/TestPorts.cs
    const string Identity = "testuser";

    // Control-stream layout (PROTOCOL.md §2): client Set-Up-Response 164, Request-TW-Session 112,
    // Start-Sessions 32, Stop-Sessions 32; server greeting 64, Server-Start 48, Accept-Session 48, Start-Ack 32.
    const int SetupEnd = SetupResponse.Size, RequestEnd = SetupEnd + RequestTwSession.Size,
        StartEnd = RequestEnd + ShortControlMessage.Size, StopEnd = StartEnd + ShortControlMessage.Size;
    const int GreetingEnd = ServerGreeting.Size, ServerStartEnd = GreetingEnd + ServerStart.Size,
        AcceptEnd = ServerStartEnd + AcceptSession.Size, StartAckEnd = AcceptEnd + ShortControlMessage.Size;

    readonly TestServer _server = new(Low, High);

    public void Dispose() => _server.Dispose();

    static KeyFile GoldenKeys() =>
        KeyFile.Parse(File.ReadAllText(TwampCapture.FixturePath("golden.pfs")), "golden.pfs");

    static CancellationToken Timeout() => TestServer.Timeout(10);

    [Fact]
    public async Task OurServerAcceptsTwpingsExactBytesInMode1()
    {
        var capture = TwampCapture.Load("twamp_O.pcapng");
        byte[] c2s = capture.ClientToServer;
        Assert.Equal(StopEnd, c2s.Length);
        var request = RequestTwSession.Parse(c2s.AsSpan(SetupEnd, RequestTwSession.BodySize));
        Assert.Equal(9599, request.SenderPort);
        Assert.Equal(IPAddress.Loopback, request.SenderAddress);
        Assert.Equal(IPAddress.Loopback, request.ReceiverAddress);
        Assert.Equal(5, capture.SenderPackets.Count);

        var (stream, run) = _server.Connect();
        var greeting = new byte[ServerGreeting.Size];
        await stream.ReadExactlyAsync(greeting, Timeout());
        Assert.True((ServerGreeting.Parse(greeting).Modes & TwampModes.Unauthenticated) != 0, "our greeting does not offer mode 1");

        // Set-Up-Response (mode 1, zeros) → Server-Start.
        await stream.WriteAsync(c2s.AsMemory(0, SetupEnd), Timeout());
        var serverStart = new byte[ServerStart.Size];
        await stream.ReadExactlyAsync(serverStart, Timeout());
        Assert.Equal(AcceptCode.Ok, ServerStart.Parse(serverStart).Accept);

        // Request-TW-Session → Accept-Session with a port of ours.
        await stream.WriteAsync(c2s.AsMemory(SetupEnd, RequestTwSession.Size), Timeout());
        var acceptBytes = new byte[AcceptSession.Size];
        await stream.ReadExactlyAsync(acceptBytes, Timeout());
        var accept = AcceptSession.Parse(acceptBytes);
        Assert.Equal(AcceptCode.Ok, accept.Accept);
        Assert.InRange(accept.Port, Low, High);
        Assert.True(acceptBytes.AsSpan(AcceptSession.BodySize).IndexOfAnyExcept((byte)0) < 0, "mode-1 HMAC field must be zero");

        // Start-Sessions → Start-Ack.
        await stream.WriteAsync(c2s.AsMemory(RequestEnd, ShortControlMessage.Size), Timeout());
        var startAck = new byte[ShortControlMessage.Size];
        await stream.ReadExactlyAsync(startAck, Timeout());
        Assert.Equal(AcceptCode.Ok, ShortControlMessage.ParseStartAck(startAck));

        // twping's five test packets, from twping's own sender port.
        using var udp = new UdpClient(AddressFamily.InterNetwork);
        try
        {
            udp.Client.Bind(new IPEndPoint(IPAddress.Loopback, request.SenderPort));
        }
        catch (SocketException e)
        {
            Assert.Fail($"cannot bind twping's sender port 127.0.0.1:{request.SenderPort} ({e.SocketErrorCode}): " +
                        "another process holds it; the replay needs that exact port because the request names it");
        }
        const byte ttl = 64;
        udp.Ttl = ttl;
        var reflector = new IPEndPoint(IPAddress.Loopback, accept.Port);
        for (int i = 0; i < capture.SenderPackets.Count; i++)
        {
            byte[] sent = capture.SenderPackets[i].Payload;
            await udp.SendAsync(sent, reflector, Timeout());
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            UdpReceiveResult reply;
            try
            {
                reply = await udp.ReceiveAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                throw new Xunit.Sdk.XunitException($"no reflection of twping's packet #{i} within 2 s");
            }
            byte[] r = reply.Buffer;
            Assert.Equal(reflector, reply.RemoteEndPoint);
            Assert.Equal(41, r.Length);
            Assert.Equal((uint)i, BinaryPrimitives.ReadUInt32BigEndian(r)); // reflector sequence
            Assert.Equal(Convert.ToHexString(sent, 0, 4), Convert.ToHexString(r, 24, 4));   // Sender Sequence
            Assert.Equal(Convert.ToHexString(sent, 4, 8), Convert.ToHexString(r, 28, 8));   // Sender Timestamp
            Assert.Equal(Convert.ToHexString(sent, 12, 2), Convert.ToHexString(r, 36, 2)); // Sender Error Estimate
            Assert.Equal(ttl, r[40]);                                                       // Sender TTL
        }

        // Stop-Sessions: no reply, and the server keeps reading (twping closes the connection itself).
        await stream.WriteAsync(c2s.AsMemory(StartEnd, ShortControlMessage.Size), Timeout());
        using (var quiet = new CancellationTokenSource(TimeSpan.FromMilliseconds(500)))
        {
            var extra = new byte[1];
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await stream.ReadExactlyAsync(extra, quiet.Token));
        }
        Assert.False(run.IsCompleted, "the server ended the connection after twping's Stop-Sessions");

        stream.Dispose();
        await run.WaitAsync(TimeSpan.FromSeconds(5)); // RunAsync ends without throwing
        Assert.Equal(0L, _server.Context.Counters.ProtocolErrors);
    }

    [Theory]
    [InlineData("twamp_A.pcapng", TwampModes.Authenticated)]
    [InlineData("twamp_E.pcapng", TwampModes.Encrypted)]
    [InlineData("twamp_M.pcapng", TwampModes.Mixed)]
    public async Task OurClientSpeaksTwpingsBytesToTwampdInMode(string file, TwampModes mode)
    {
        var capture = TwampCapture.Load(file);
        byte[] c2s = capture.ClientToServer, s2c = capture.ServerToClient;
        Assert.Equal(StopEnd, c2s.Length);
        Assert.Equal(StartAckEnd, s2c.Length);

        // twping's secrets, recovered from its Token with the golden pass phrase.
        var keyFile = GoldenKeys();
        Assert.True(keyFile.TryGetPassphrase(Identity, out var passphrase));
        var greeting = ServerGreeting.Parse(s2c.AsSpan(0, GreetingEnd));
        var setup = SetupResponse.Parse(c2s.AsSpan(0, SetupEnd));
        Assert.Equal(mode, setup.Mode);
        byte[] k = SharedSecret.DeriveKey(passphrase, greeting.Salt, greeting.Count);
        using var twpingKeys = Token.Open(k, setup.Token, greeting.Challenge)
            ?? throw new Xunit.Sdk.XunitException("the golden secret does not open twping's Token");
        byte[] clientIv = c2s[148..SetupEnd];

        // twping's plaintext Request-TW-Session.
        byte[] requestPlain = c2s[SetupEnd..RequestEnd];
        using (var fromClient = ControlCipher.Create(twpingKeys, clientIv)) fromClient.Decrypt(requestPlain);
        var request = RequestTwSession.Parse(requestPlain.AsSpan(0, RequestTwSession.BodySize));

        var (written, accept, startAck, client) = await ReplayClientAsync(capture, mode, keyFile,
            [twpingKeys.AesKey.ToArray(), twpingKeys.HmacKey.ToArray(), clientIv], request);
        using (client)
        {
            AssertSameBytes(c2s, written);
            Assert.Equal(AcceptCode.Ok, accept.Accept);
            Assert.Equal(capture.ReflectorEndPoint!.Port, accept.Port);
            Assert.Equal(AcceptCode.Ok, startAck);
            Assert.Equal(mode, client.Mode);
        }
    }

    [Fact]
    public async Task OurClientSpeaksTwpingsBytesToTwampdInMode1()
    {
        var capture = TwampCapture.Load("twamp_O.pcapng");
        byte[] c2s = capture.ClientToServer;
        Assert.Equal(StopEnd, c2s.Length);
        Assert.Equal(StartAckEnd, capture.ServerToClient.Length);
        var request = RequestTwSession.Parse(c2s.AsSpan(SetupEnd, RequestTwSession.BodySize));

        // No randomness may be drawn in mode 1: the list is empty.
        var (written, accept, startAck, client) = await ReplayClientAsync(capture, TwampModes.Unauthenticated, GoldenKeys(), [], request);
        using (client)
        {
            AssertSameBytes(c2s, written);
            Assert.Equal(AcceptCode.Ok, accept.Accept);
            Assert.Equal(capture.ReflectorEndPoint!.Port, accept.Port);
            Assert.Equal(AcceptCode.Ok, startAck);
            Assert.Equal(TwampModes.Unauthenticated, client.Mode);
        }
    }

    /// <summary>Runs our ControlClient against twampd's recorded answers, with twping's randomness.</summary>
    static async Task<(byte[] Written, AcceptSession Accept, AcceptCode StartAck, ControlClient Client)> ReplayClientAsync(
        TwampCapture capture, TwampModes mode, KeyFile keyFile, byte[][] randomness, RequestTwSession request)
    {
        var stream = new ScriptedControlStream(capture.ServerToClient,
            (0, GreetingEnd), (SetupEnd, ServerStartEnd), (RequestEnd, AcceptEnd), (StartEnd, StartAckEnd));
        var client = new ControlClient(stream, capture.ClientEndPoint!, capture.ServerEndPoint!) { RequestDscpEcnMonitoring = false };
        var handOut = new Queue<byte[]>(randomness);
        client.RandomBytes = n =>
        {
            Assert.True(handOut.Count > 0, $"the client asked for {n} more random octets than twping drew");
            var next = handOut.Dequeue();
            Assert.Equal(next.Length, n);
            return next.ToArray();
        };

        AcceptSession accept;
        AcceptCode startAck;
        try
        {
            await client.SetupAsync([mode], Identity, keyFile, 32768, Timeout());
            Assert.Empty(handOut);
            accept = await client.RequestSessionAsync(request, Timeout());
            startAck = await client.StartSessionsAsync(Timeout());
            await client.StopSessionsAsync(AcceptCode.Ok, 1, Timeout());
        }
        catch (ControlProtocolException)
        {
            // twampd's answers did not verify: first say where our bytes left twping's, if they did.
            byte[] sofar = stream.Written;
            AssertSameBytes(capture.ClientToServer[..Math.Min(sofar.Length, capture.ClientToServer.Length)], sofar);
            throw;
        }
        Assert.Equal(StartAckEnd, stream.ServerOctetsRead);
        return (stream.Written, accept, startAck, client);
    }

    /// <summary>Equal streams, or a message naming the control message and octet where they part.</summary>
    static void AssertSameBytes(byte[] twping, byte[] ours)
    {
        int n = Math.Min(twping.Length, ours.Length);
        int at = twping.AsSpan(0, n).CommonPrefixLength(ours.AsSpan(0, n));
        if (at == n && twping.Length == ours.Length) return;
        if (at == n)
            throw new Xunit.Sdk.XunitException($"we wrote {ours.Length} octets, twping {twping.Length}; equal up to {n}");
        var (name, start) = at switch
        {
            < SetupEnd => ("Set-Up-Response", 0),
            < RequestEnd => ("Request-TW-Session", SetupEnd),
            < StartEnd => ("Start-Sessions", RequestEnd),
            _ => ("Stop-Sessions", StartEnd),
        };
        int end = Math.Min(n, at + 16);
        throw new Xunit.Sdk.XunitException(
            $"first difference at stream octet {at} = {name} octet {at - start}: " +
            $"twping {Convert.ToHexString(twping, at, end - at)}, ours {Convert.ToHexString(ours, at, end - at)}");
    }
}
