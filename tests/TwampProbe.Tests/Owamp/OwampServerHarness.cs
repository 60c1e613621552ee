using System.Net.Sockets;
using System.Security.Cryptography;
using TwampProbe.Config;
using TwampProbe.Control;
using TwampProbe.Owamp.Test;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Owamp;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Protocol.Wire.Owamp.Control;
using TwampProbe.Sessions;
using TwampProbe.Tests.Support;
using TwampProbe.Time;

namespace TwampProbe.Tests.Owamp;

/// <summary>
/// A real <see cref="TwampServer"/> with OWAMP-Control on an ephemeral loopback port (TWAMP beside it),
/// and a minimal OWAMP-Control client written from RFC 4656 §3 for the server tests: it speaks the
/// wire protocol with the library's codecs and checks every HMAC the server sends.
/// </summary>
public sealed class OwampServerHarness : IAsyncDisposable
{
    public TwampServer Server { get; }
    public ClockState Clock { get; } = new(TimeSpan.Zero);
    readonly ReflectorEngine _engine;
    public IPEndPoint Owamp => Server.OwampListenEndPoints[0];

    /// <summary>Each test class takes its own test-port range (Support/TestPorts.cs) so parallel classes do not compete.</summary>
    public OwampServerHarness(int portLow, Func<ServerLimits, ServerLimits>? limits = null, Func<ServerSettings, ServerSettings>? tweak = null)
    {
        var settings = new ServerSettings
        {
            Listen = [new IPEndPoint(IPAddress.Loopback, 0)],
            Owamp = true,
            OwampListen = [new IPEndPoint(IPAddress.Loopback, 0)],
            Keys = TestServer.Keys(TestServer.Identity, TestServer.Secret),
            Count = 1024,
            TestPortLow = portLow,
            TestPortHigh = portLow + 49,
            WellKnownTestPort = 0,
            OwampWellKnownTestPort = 0,
        };
        // The tests use schedules of mean 0 freely (many packets at once): owamp-max-bandwidth is unlimited
        // here unless a test sets it (OwampCapacityTests).
        settings = settings with { Limits = settings.Limits with { OwampMaxBandwidth = 0 } };
        if (limits is not null) settings = settings with { Limits = limits(settings.Limits) };
        if (tweak is not null) settings = tweak(settings);
        _engine = new ReflectorEngine(Clock, new ReflectorOptions { SocketBufferBytes = 1 << 16 });
        Server = new TwampServer(new ServerContext(settings, _engine, Clock), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        Server.Start();
    }

    /// <param name="from">The client's own address (another loopback address is another client prefix).</param>
    /// <param name="receiveBuffer">SO_RCVBUF set before the connect (a small window: a peer that reads slowly).</param>
    public async Task<OwampTestClient> ConnectAsync(TwampModes mode = TwampModes.Unauthenticated, IPAddress? from = null, int? receiveBuffer = null)
    {
        var c = await OwampTestClient.ConnectAsync(Owamp, from, receiveBuffer);
        await c.SetupAsync(mode);
        return c;
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _engine.Dispose();
        Clock.Dispose();
    }

    /// <summary>A Request-Session on loopback: one fixed slot, starting shortly.</summary>
    public static RequestSession Request(bool serverReceives, uint packets, TimeSpan interval, ushort port = 0, double timeoutSeconds = 0.3,
        TimeSpan? startIn = null, byte[]? sid = null) => new()
    {
        ConfSender = serverReceives ? (byte)0 : (byte)1,
        ConfReceiver = serverReceives ? (byte)1 : (byte)0,
        Packets = packets,
        SenderPort = serverReceives ? port : (ushort)0,
        ReceiverPort = serverReceives ? (ushort)0 : port,
        SenderAddress = IPAddress.Loopback,
        ReceiverAddress = IPAddress.Loopback,
        Sid = serverReceives ? new byte[16] : sid ?? SessionId.Create(IPAddress.Loopback, NtpTimestamp.FromUnixNanoseconds(SystemClock.Instance.UnixNanoseconds)),
        StartTime = NtpTimestamp.FromUnixNanoseconds(SystemClock.Instance.UnixNanoseconds + (long)(startIn ?? TimeSpan.FromMilliseconds(300)).TotalNanoseconds),
        Timeout = NtpTimestamp.FromInterval((long)(timeoutSeconds * 1e9)),
        Slots = [ScheduleSlot.Fixed(interval)],
    };

    /// <summary>The test spec both ends derive from a request and its Accept-Session.</summary>
    public static OwampTestSpec Spec(RequestSession r, byte[] sid, TwampModes mode, SessionKeys? keys) => new()
    {
        Sid = sid,
        Slots = r.Slots,
        Packets = r.Packets,
        StartTime = r.StartTime,
        Timeout = r.Timeout,
        PaddingLength = r.PaddingLength,
        Security = mode.TestSecurity(),
        Keys = keys,
    };
}

/// <summary>The client end of an OWAMP-Control connection (RFC 4656 §3), for the server tests.</summary>
public sealed class OwampTestClient : IDisposable
{
    readonly Socket _socket;
    public ControlChannel Channel { get; }
    public SessionKeys? Keys { get; private set; }
    public TwampModes Mode { get; private set; }
    public TwampModes GreetingModes { get; private set; }

    OwampTestClient(Socket socket)
    {
        _socket = socket;
        Channel = new ControlChannel(new NetworkStream(socket, ownsSocket: true));
    }

    public static CancellationToken Timeout(int seconds = 15) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    public static async Task<OwampTestClient> ConnectAsync(IPEndPoint server, IPAddress? from = null, int? receiveBuffer = null)
    {
        var s = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (receiveBuffer is { } bytes) s.ReceiveBufferSize = bytes;
        if (from is not null) s.Bind(new IPEndPoint(from, 0));
        await s.ConnectAsync(server);
        return new OwampTestClient(s);
    }

    /// <summary>Server-Greeting, Set-Up-Response, Server-Start (RFC 4656 §3.1).</summary>
    public async Task SetupAsync(TwampModes mode)
    {
        var greeting = new byte[ServerGreeting.Size];
        await Channel.ReadExactAsync(greeting, Timeout());
        var g = ServerGreeting.Parse(greeting);
        GreetingModes = g.Modes;
        Mode = mode;
        var setup = new byte[SetupResponse.Size];
        byte[] clientIv = RandomNumberGenerator.GetBytes(16);
        if (mode.HasSecureControl())
        {
            var key = SharedSecret.DeriveKey(System.Text.Encoding.UTF8.GetBytes(TestServer.Secret), g.Salt, g.Count);
            Keys = SessionKeys.CreateRandom();
            new SetupResponse(mode, TestServer.Identity, Token.Create(key, g.Challenge, Keys), clientIv).Write(setup);
        }
        else SetupResponse.Unauthenticated(mode).Write(setup);
        await Channel.WriteClearAsync(setup, Timeout());
        var start = new byte[ServerStart.Size];
        await Channel.ReadExactAsync(start.AsMemory(0, ServerStart.ClearPrefix), Timeout());
        var head = ServerStart.Parse([.. start.AsSpan(0, ServerStart.ClearPrefix), .. new byte[16]]);
        if (head.Accept != AcceptCode.Ok) throw new InvalidOperationException($"Server-Start Accept={(int)head.Accept}");
        if (Keys is not null)
        {
            Channel.Secure(Keys, clientIv, head.ServerIv);
            await Channel.ReadBlocksAsync(new byte[16], Timeout());
        }
        else await Channel.ReadExactAsync(new byte[16], Timeout());
    }

    public async Task<AcceptSession> RequestAsync(RequestSession request)
    {
        var bytes = new byte[request.Length];
        request.Write(bytes);
        RequestSession.Seal(Channel.Send, bytes);
        await Channel.WriteClearAsync(bytes, Timeout());
        return await ReadAcceptAsync();
    }

    public async Task<AcceptSession> ReadAcceptAsync()
    {
        var body = new byte[AcceptSession.BodySize];
        await Channel.ReadBlocksAsync(body, Timeout());
        await Channel.ReadAndVerifyHmacAsync("Accept-Session", Timeout());
        return AcceptSession.Parse(body);
    }

    public async Task<AcceptCode> StartAsync()
    {
        var bytes = new byte[ShortControlMessage.Size];
        ShortControlMessage.WriteStartSessions(bytes);
        await Channel.WriteWithHmacAsync(bytes, Timeout());
        var ack = new byte[ShortControlMessage.BodySize];
        await Channel.ReadBlocksAsync(ack, Timeout());
        await Channel.ReadAndVerifyHmacAsync("Start-Ack", Timeout());
        return ShortControlMessage.ParseStartAck(ack);
    }

    public async Task StopAsync(AcceptCode accept, params StopSessionRecord[] records)
    {
        var stop = new StopSessions(accept, records);
        var bytes = new byte[stop.Length];
        stop.Write(bytes);
        await Channel.WriteWithHmacAsync(bytes, Timeout());
    }

    /// <summary>Reads the server's Stop-Sessions, HMAC checked.</summary>
    public async Task<StopSessions> ReadStopAsync(int seconds = 15)
    {
        var ct = Timeout(seconds);
        var header = new byte[StopSessions.HeaderSize];
        await Channel.ReadBlocksAsync(header, ct);
        var (accept, count) = StopSessions.ParseHeader(header);
        var records = new List<StopSessionRecord>();
        for (uint i = 0; i < count; i++)
        {
            var first = new byte[StopSessionRecord.MinimumSize];
            await Channel.ReadBlocksAsync(first, ct);
            var whole = new byte[StopSessionRecord.SizeFor(StopSessionRecord.ReadSkipCount(first))];
            first.CopyTo(whole, 0);
            if (whole.Length > first.Length) await Channel.ReadBlocksAsync(whole.AsMemory(first.Length), ct);
            records.Add(StopSessionRecord.Parse(whole));
        }
        await Channel.ReadAndVerifyHmacAsync("Stop-Sessions", ct);
        return new StopSessions(accept, records);
    }

    /// <summary>Fetch-Session; the Fetch-Ack, and with Accept = 0 the session data (its four HMACs checked).</summary>
    public async Task<(FetchAck Ack, SessionData? Data)> FetchAsync(FetchSession fetch)
    {
        var bytes = new byte[FetchSession.Size];
        fetch.Write(bytes);
        await Channel.WriteWithHmacAsync(bytes, Timeout());
        var body = new byte[FetchAck.BodySize];
        await Channel.ReadBlocksAsync(body, Timeout());
        await Channel.ReadAndVerifyHmacAsync("Fetch-Ack", Timeout());
        var ack = FetchAck.Parse(body);
        if (ack.Accept != AcceptCode.Ok) return (ack, null);
        var preamble = new byte[RequestSession.PreambleBodySize];
        await Channel.ReadBlocksAsync(preamble, Timeout());
        await Channel.ReadAndVerifyHmacAsync("reproduced Request-Session", Timeout());
        var request = RequestSession.ParsePreamble(preamble);
        var slots = new byte[request.NumberOfSlots * ScheduleSlot.Size];
        if (slots.Length > 0) await Channel.ReadBlocksAsync(slots, Timeout());
        await Channel.ReadAndVerifyHmacAsync("reproduced slots", Timeout());
        var skips = new byte[SkipRange.PaddedLength(ack.SkipRanges)];
        if (skips.Length > 0) await Channel.ReadBlocksAsync(skips, Timeout());
        await Channel.ReadAndVerifyHmacAsync("skip ranges", Timeout());
        var records = new byte[PacketRecord.PaddedLength(ack.Records)];
        if (records.Length > 0) await Channel.ReadBlocksAsync(records, Timeout());
        await Channel.ReadAndVerifyHmacAsync("packet records", Timeout());
        return (ack, new SessionData(request with { Slots = RequestSession.ReadSlots(slots, (int)request.NumberOfSlots) },
            Enumerable.Range(0, (int)ack.SkipRanges).Select(i => SkipRange.Read(skips.AsSpan(i * SkipRange.Size))).ToArray(),
            Enumerable.Range(0, (int)ack.Records).Select(i => PacketRecord.Read(records.AsSpan(i * PacketRecord.Size))).ToArray()));
    }

    /// <summary>True when the server closed the connection within <paramref name="seconds"/>.</summary>
    public async Task<bool> ClosedByServerAsync(int seconds = 5)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var buffer = new byte[64];
        try
        {
            while (true)
                if (await Channel.Stream.ReadAsync(buffer, cts.Token) == 0) return true;
        }
        catch (OperationCanceledException) { return false; }
        catch (IOException) { return true; }
    }

    public void Dispose()
    {
        Keys?.Dispose();
        Channel.Dispose();
    }
}
