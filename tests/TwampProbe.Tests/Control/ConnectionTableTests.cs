using System.Net.Sockets;
using TwampProbe.Config;
using TwampProbe.Control;
using TwampProbe.Diagnostics;
using TwampProbe.Protocol.Keys;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Sessions;
using TwampProbe.Tests.Support;
using TwampProbe.Time;

namespace TwampProbe.Tests.Control;

/// <summary>
/// The connection table of a real <see cref="TwampServer"/> on loopback TCP: connections that say
/// nothing cannot lock a legitimate client out, refusals are a Modes = 0 greeting, set-up has a
/// deadline. Clients come from distinct 127.0.x.y source addresses. The server listens on TCP port 0 (and its
/// Light reflector on UDP port 0), read back; its test ports are TestPorts.ConnectionTable.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LogCollection
{
    public const string Name = "log (runs alone: Log.Writer is process-wide)";
}

[Collection(LogCollection.Name)]
public sealed class ConnectionTableTests
{
    /// <summary>A started server, its engine and clock, and what a test opened against it: all disposed with it.</summary>
    sealed class Harness(TwampServer server, ReflectorEngine engine, ClockState clock, IPEndPoint control) : IAsyncDisposable
    {
        readonly List<IDisposable> _opened = [];

        public TwampServer Server => server;
        public IPEndPoint Control => control;

        /// <summary>Disposed with the harness, before the server: sockets and clients the test keeps open.</summary>
        public T Keep<T>(T opened) where T : IDisposable
        {
            _opened.Add(opened);
            return opened;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var d in _opened) d.Dispose();
            await server.DisposeAsync();
            engine.Dispose();
            clock.Dispose();
        }
    }

    /// <summary>The process-wide log written to a string at level Info, until disposed.</summary>
    sealed class CapturedLog : IDisposable
    {
        readonly StringWriter _writer = new();
        readonly (TextWriter Writer, LogLevel Level) _previous = (Log.Writer, Log.Level);

        public CapturedLog()
        {
            Log.Writer = TextWriter.Synchronized(_writer);
            Log.Level = LogLevel.Info;
        }

        public string[] Lines => _writer.ToString().Split('\n');

        public void Dispose() => (Log.Writer, Log.Level) = _previous;
    }

    static Harness Start(Func<ServerLimits, ServerLimits> limits, long descriptors = 1 << 20,
        Func<ServerSettings, ServerSettings>? tweak = null)
    {
        var settings = new ServerSettings
        {
            Listen = [new IPEndPoint(IPAddress.Loopback, 0)],
            Keys = KeyFile.Empty,
            Count = 1024,
            TestPortLow = TestPorts.ConnectionTable.Low,
            TestPortHigh = TestPorts.ConnectionTable.High,
            WellKnownTestPort = 0,
        };
        settings = settings with { Limits = limits(settings.Limits) };
        if (tweak is not null) settings = tweak(settings);
        var clock = new ClockState(TimeSpan.Zero);
        var engine = new ReflectorEngine(clock, new ReflectorOptions { SocketBufferBytes = 1 << 16 });
        var server = new TwampServer(new ServerContext(settings, engine, clock), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)) { DescriptorLimit = () => descriptors };
        server.Start();
        return new Harness(server, engine, clock, server.ListenEndPoints[0]);
    }

    static async Task<Socket> ConnectFrom(string source, IPEndPoint server)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
        await s.ConnectAsync(server);
        return s;
    }

    /// <summary>A mode-1 client from <paramref name="source"/> over real TCP, through set-up (greeting, Set-Up-Response, Server-Start).</summary>
    static async Task<ControlClient> SetUpFrom(string source, IPEndPoint server)
    {
        var socket = await ConnectFrom(source, server);
        var client = new ControlClient(new NetworkStream(socket, ownsSocket: true), (IPEndPoint)socket.LocalEndPoint!, server);
        try
        {
            await client.SetupAsync([TwampModes.Unauthenticated], null, KeyFile.Empty, 32768, TestServer.Timeout());
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>One session accepted for <paramref name="senderPort"/> (zero addresses: the control connection's), and started when <paramref name="start"/>.</summary>
    static async Task RequestSession(ControlClient client, int senderPort, bool start)
    {
        var request = TestServer.Request(senderPort) with { SenderAddress = null, ReceiverAddress = null };
        Assert.Equal(AcceptCode.Ok, (await client.RequestSessionAsync(request, TestServer.Timeout())).Accept);
        if (start) Assert.Equal(AcceptCode.Ok, await client.StartSessionsAsync(TestServer.Timeout()));
    }

    /// <summary>A request the server refuses with Accept = 3 (Sender Port 0).</summary>
    static RequestTwSession Refused => TestServer.Request(29349) with { SenderPort = 0 };

    /// <summary>Reads the greeting's Modes word, or null when the connection closed first.</summary>
    static async Task<uint?> ReadGreetingModes(Socket s)
    {
        var buffer = new byte[ServerGreeting.Size];
        int got = 0;
        using var cts = new CancellationTokenSource(5000);
        while (got < buffer.Length)
        {
            int n = await s.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None, cts.Token);
            if (n == 0) return null;
            got += n;
        }
        return (uint)ServerGreeting.Parse(buffer).Modes;
    }

    static async Task<bool> ClosedByServer(Socket s, int withinMs)
    {
        var buffer = new byte[256];
        using var cts = new CancellationTokenSource(withinMs);
        try
        {
            while (true) if (await s.ReceiveAsync(buffer, SocketFlags.None, cts.Token) == 0) return true;
        }
        catch (OperationCanceledException) { return false; }
        catch (SocketException) { return true; }
    }

    /// <summary>A full mode-1 measurement set-up over real TCP: greeting, set-up, one session, start, stop.</summary>
    static async Task MeasureFrom(string source, IPEndPoint server, int senderPort)
    {
        using var client = await SetUpFrom(source, server);
        await RequestSession(client, senderPort, start: true);
        await client.StopSessionsAsync(AcceptCode.Ok, 1, TestServer.Timeout());
    }

    [Fact]
    public async Task SilentConnectionsFromThirtyHostsDoNotLockOutALegitimateClient()
    {
        await using var h = Start(l => l with { MaxConnections = 50, MaxConnectionsPerPrefix = 10 });
        // 300 connections that connect and say nothing, 10 from each of 30 addresses.
        for (int host = 0; host < 30; host++)
            for (int k = 0; k < 10; k++)
                h.Keep(await ConnectFrom($"127.0.{1 + host}.1", h.Control));
        await Task.Delay(200);
        Assert.True(h.Server.ConnectionCount <= 50);

        await MeasureFrom("127.0.200.1", h.Control, 29340);

        Assert.True(h.Server.Context.Counters.ConnectionsEvicted >= 250, $"{h.Server.Context.Counters.ConnectionsEvicted} evicted");
    }

    [Fact]
    public async Task WhenEveryConnectionIsMeasuringANewOneGetsModesZeroAndIsClosed()
    {
        await using var h = Start(l => l with { MaxConnections = 2 });
        for (int i = 0; i < 2; i++)
            await RequestSession(h.Keep(await SetUpFrom($"127.0.3.{i + 1}", h.Control)), 29341 + i, start: true);

        using var third = await ConnectFrom("127.0.3.9", h.Control);
        // RFC 4656 §3.1: Modes = 0, "the server does not wish to communicate with the client".
        Assert.Equal(0u, await ReadGreetingModes(third));
        Assert.True(await ClosedByServer(third, 2000));
        Assert.Equal(1, h.Server.Context.Counters.ConnectionsRefused);
        Assert.Equal(2, h.Server.ConnectionCount);
    }

    [Fact]
    public async Task SessionsRequestedButNeverStartedDoNotProtectAConnection()
    {
        await using var h = Start(l => l with { MaxConnections = 2 });
        for (int i = 0; i < 2; i++)
            await RequestSession(h.Keep(await SetUpFrom($"127.0.7.{i + 1}", h.Control)), 29346 + i, start: false);

        await MeasureFrom("127.0.7.9", h.Control, 29348);

        Assert.Equal(1, h.Server.Context.Counters.ConnectionsEvicted);
    }

    [Fact]
    public async Task StartSessionsWithoutASessionDoesNotProtectAConnection()
    {
        // Start-Sessions with nothing to start measures nothing: without this, 106 connections from four
        // addresses held the table of 'serve' (ulimit -n 1024) against everyone for SERVWAIT.
        await using var h = Start(l => l with { MaxConnections = 2 });
        for (int i = 0; i < 2; i++)
            Assert.Equal(AcceptCode.Ok, await h.Keep(await SetUpFrom($"127.0.12.{i + 1}", h.Control)).StartSessionsAsync(TestServer.Timeout()));

        await MeasureFrom("127.0.12.9", h.Control, 29347);

        Assert.Equal(1, h.Server.Context.Counters.ConnectionsEvicted);
    }

    [Fact]
    public async Task RefusedRequestsAndUnknownCommandsDoNotKeepAConnectionAlive()
    {
        await using var h = Start(l => l with { ServWait = TimeSpan.FromSeconds(2) });
        using var client = await SetUpFrom("127.0.8.1", h.Control);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            while (watch.Elapsed < TimeSpan.FromSeconds(8))
            {
                Assert.Equal(AcceptCode.NotSupported, (await client.RequestSessionAsync(Refused, TestServer.Timeout())).Accept);
                await Task.Delay(300);
            }
            Assert.Fail("a stream of refused requests kept the connection past SERVWAIT");
        }
        catch (Exception e) when (e is IOException or ControlConnectionClosedException or SocketException) { }
        Assert.InRange(watch.Elapsed.TotalSeconds, 1.5, 5);
    }

    [Fact]
    public async Task ALoopOfBadRequestsLogsOneLineNotOnePerRequest()
    {
        using var log = new CapturedLog();
        await using (var h = Start(l => l))
        {
            using (var client = await SetUpFrom("127.0.9.1", h.Control))
                for (int i = 0; i < 200; i++)
                    Assert.Equal(AcceptCode.NotSupported, (await client.RequestSessionAsync(Refused, TestServer.Timeout())).Accept);
            await Task.Delay(300);
        }
        var lines = log.Lines.Where(l => l.Contains("127.0.9.1", StringComparison.Ordinal)).ToList();
        Assert.Single(lines, l => l.Contains("Request-TW-Session refused", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("refusals=200", StringComparison.Ordinal));
        Assert.True(lines.Count <= 2, string.Join("\n", lines));
    }

    [Fact]
    public async Task ConnectionThatNeverCompletesSetUpIsClosedAfterSetupTimeout()
    {
        await using var h = Start(l => l with { SetupTimeout = TimeSpan.FromSeconds(1) });
        using var silent = await ConnectFrom("127.0.4.1", h.Control);
        Assert.NotNull(await ReadGreetingModes(silent));
        Assert.True(await ClosedByServer(silent, 4000), "not closed after setup-timeout");
        Assert.Equal(1, h.Server.Context.Counters.SetupTimeouts);
    }

    [Fact]
    public async Task RefusalsAreLoggedOnceAndThenSummarisedPerInterval()
    {
        using var log = new CapturedLog();
        await using (var h = Start(l => l with { MaxConnections = 1 }))
        {
            await RequestSession(h.Keep(await SetUpFrom("127.0.5.1", h.Control)), 29345, start: true);

            for (int i = 0; i < 40; i++)
            {
                using var s = await ConnectFrom($"127.0.6.{i + 1}", h.Control);
                Assert.Equal(0u, await ReadGreetingModes(s));
            }
            await Task.Delay(1500); // the summary interval is 1 s in this test
        }
        var refusalLines = log.Lines.Where(l => l.Contains("refused with Modes = 0", StringComparison.Ordinal) || l.Contains("connection(s) refused or evicted", StringComparison.Ordinal)).ToList();
        Assert.InRange(refusalLines.Count, 2, 3);
        Assert.Contains(refusalLines, l => l.Contains("connection(s) refused or evicted", StringComparison.Ordinal) && l.Contains("connection limit=39", StringComparison.Ordinal));
    }

    [Fact]
    public async Task LightPacketsFromOutsideTheAllowListAreSummarisedPerInterval()
    {
        using var log = new CapturedLog();
        await using (var h = Start(l => l with { LightAllow = [AddressPrefix.Parse("192.0.2.0/24")] },
            tweak: s => s with { LightListen = new IPEndPoint(IPAddress.Loopback, 0) }))
        {
            var light = h.Server.LightEndPoint!;
            using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
            for (int i = 0; i < 7; i++) udp.Send(new byte[41], 41, light);
            await Task.Delay(1600);
        }
        Assert.Contains(log.Lines, l => l.Contains("reflector: 7 test packet(s) dropped in the last 1 s: not-allowed=7", StringComparison.Ordinal));
    }

    [Fact]
    public async Task LimitsAreFittedToTheDescriptorLimit()
    {
        await using var h = Start(l => l, descriptors: 1024);
        var limits = h.Server.Context.Settings.Limits;
        Assert.True(limits.MaxConnections + limits.MaxSessions + ServerLimits.DescriptorReserve <= 1024,
            $"{limits.MaxConnections} + {limits.MaxSessions} do not fit 1024 descriptors");
        Assert.True(limits.MaxSessions >= 800);
    }
}
