using System.Net;
using System.Net.Sockets;
using TwampProbe.Config;
using TwampProbe.Control;
using TwampProbe.Diagnostics;
using TwampProbe.Protocol.Keys;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Sessions;
using TwampProbe.Tests.Support;
using TwampProbe.Time;
using Xunit;

namespace TwampProbe.Tests.Control;

/// <summary>
/// The connection table of a real <see cref="TwampServer"/> on loopback TCP: connections that say
/// nothing cannot lock a legitimate client out, refusals are a Modes = 0 greeting, set-up has a
/// deadline. Clients come from distinct 127.0.x.y source addresses. TCP 29300-29349, UDP 29350-29399.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LogCollection
{
    public const string Name = "log (runs alone: Log.Writer is process-wide)";
}

[Collection(LogCollection.Name)]
public sealed class ConnectionTableTests
{
    static (TwampServer Server, ReflectorEngine Engine, ClockState Clock, IPEndPoint Control) Start(int port, Func<ServerLimits, ServerLimits> limits, long descriptors = 1 << 20,
        Func<ServerSettings, ServerSettings>? tweak = null)
    {
        var settings = new ServerSettings
        {
            Listen = [new IPEndPoint(IPAddress.Loopback, port)],
            Keys = KeyFile.Empty,
            Count = 1024,
            TestPortLow = 29350,
            TestPortHigh = 29399,
            WellKnownTestPort = 0,
        };
        settings = settings with { Limits = limits(settings.Limits) };
        if (tweak is not null) settings = tweak(settings);
        var clock = new ClockState(TimeSpan.Zero);
        var engine = new ReflectorEngine(clock, new ReflectorOptions { SocketBufferBytes = 1 << 16 });
        var server = new TwampServer(new ServerContext(settings, engine, clock), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)) { DescriptorLimit = () => descriptors };
        server.Start();
        return (server, engine, clock, new IPEndPoint(IPAddress.Loopback, port));
    }

    static async Task<Socket> ConnectFrom(string source, IPEndPoint server)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
        await s.ConnectAsync(server);
        return s;
    }

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
        var socket = await ConnectFrom(source, server);
        using var client = new ControlClient(new NetworkStream(socket, ownsSocket: true), (IPEndPoint)socket.LocalEndPoint!, server);
        await client.SetupAsync([TwampModes.Unauthenticated], null, KeyFile.Empty, 32768, TestServer.Timeout());
        var request = TestServer.Request(senderPort) with { SenderAddress = null, ReceiverAddress = null };
        Assert.Equal(AcceptCode.Ok, (await client.RequestSessionAsync(request, TestServer.Timeout())).Accept);
        Assert.Equal(AcceptCode.Ok, await client.StartSessionsAsync(TestServer.Timeout()));
        await client.StopSessionsAsync(AcceptCode.Ok, 1, TestServer.Timeout());
    }

    [Fact]
    public async Task SilentConnectionsFromThirtyHostsDoNotLockOutALegitimateClient()
    {
        var (server, engine, clock, control) = Start(29300, l => l with { MaxConnections = 50, MaxConnectionsPerPrefix = 10 });
        var idle = new List<Socket>();
        try
        {
            // 300 connections that connect and say nothing, 10 from each of 30 addresses.
            for (int host = 0; host < 30; host++)
                for (int k = 0; k < 10; k++)
                    idle.Add(await ConnectFrom($"127.0.{1 + host}.1", control));
            await Task.Delay(200);
            Assert.True(server.ConnectionCount <= 50);

            await MeasureFrom("127.0.200.1", control, 29340);

            Assert.True(server.Context.Counters.ConnectionsEvicted >= 250, $"{server.Context.Counters.ConnectionsEvicted} evicted");
        }
        finally
        {
            foreach (var s in idle) s.Dispose();
            await server.DisposeAsync();
            engine.Dispose();
            clock.Dispose();
        }
    }

    [Fact]
    public async Task WhenEveryConnectionIsMeasuringANewOneGetsModesZeroAndIsClosed()
    {
        var (server, engine, clock, control) = Start(29301, l => l with { MaxConnections = 2 });
        var busy = new List<ControlClient>();
        try
        {
            for (int i = 0; i < 2; i++)
            {
                var socket = await ConnectFrom($"127.0.3.{i + 1}", control);
                var client = new ControlClient(new NetworkStream(socket, ownsSocket: true), (IPEndPoint)socket.LocalEndPoint!, control);
                busy.Add(client);
                await client.SetupAsync([TwampModes.Unauthenticated], null, KeyFile.Empty, 32768, TestServer.Timeout());
                var request = TestServer.Request(29341 + i) with { SenderAddress = null, ReceiverAddress = null };
                Assert.Equal(AcceptCode.Ok, (await client.RequestSessionAsync(request, TestServer.Timeout())).Accept);
                Assert.Equal(AcceptCode.Ok, await client.StartSessionsAsync(TestServer.Timeout()));
            }

            using var third = await ConnectFrom("127.0.3.9", control);
            // RFC 4656 §3.1: Modes = 0, "the server does not wish to communicate with the client".
            Assert.Equal(0u, await ReadGreetingModes(third));
            Assert.True(await ClosedByServer(third, 2000));
            Assert.Equal(1, server.Context.Counters.ConnectionsRefused);
            Assert.Equal(2, server.ConnectionCount);
        }
        finally
        {
            foreach (var c in busy) c.Dispose();
            await server.DisposeAsync();
            engine.Dispose();
            clock.Dispose();
        }
    }

    [Fact]
    public async Task SessionsRequestedButNeverStartedDoNotProtectAConnection()
    {
        var (server, engine, clock, control) = Start(29305, l => l with { MaxConnections = 2 });
        var holders = new List<ControlClient>();
        try
        {
            for (int i = 0; i < 2; i++)
            {
                var socket = await ConnectFrom($"127.0.7.{i + 1}", control);
                var client = new ControlClient(new NetworkStream(socket, ownsSocket: true), (IPEndPoint)socket.LocalEndPoint!, control);
                holders.Add(client);
                await client.SetupAsync([TwampModes.Unauthenticated], null, KeyFile.Empty, 32768, TestServer.Timeout());
                var request = TestServer.Request(29346 + i) with { SenderAddress = null, ReceiverAddress = null };
                Assert.Equal(AcceptCode.Ok, (await client.RequestSessionAsync(request, TestServer.Timeout())).Accept);
            }

            await MeasureFrom("127.0.7.9", control, 29348);

            Assert.Equal(1, server.Context.Counters.ConnectionsEvicted);
        }
        finally
        {
            foreach (var c in holders) c.Dispose();
            await server.DisposeAsync();
            engine.Dispose();
            clock.Dispose();
        }
    }

    [Fact]
    public async Task RefusedRequestsAndUnknownCommandsDoNotKeepAConnectionAlive()
    {
        var (server, engine, clock, control) = Start(29306, l => l with { ServWait = TimeSpan.FromSeconds(2) });
        try
        {
            var socket = await ConnectFrom("127.0.8.1", control);
            using var client = new ControlClient(new NetworkStream(socket, ownsSocket: true), (IPEndPoint)socket.LocalEndPoint!, control);
            await client.SetupAsync([TwampModes.Unauthenticated], null, KeyFile.Empty, 32768, TestServer.Timeout());
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var bad = TestServer.Request(29349) with { SenderPort = 0 }; // refused with Accept=3
            try
            {
                while (watch.Elapsed < TimeSpan.FromSeconds(8))
                {
                    Assert.Equal(AcceptCode.NotSupported, (await client.RequestSessionAsync(bad, TestServer.Timeout())).Accept);
                    await Task.Delay(300);
                }
                Assert.Fail("a stream of refused requests kept the connection past SERVWAIT");
            }
            catch (Exception e) when (e is IOException or ControlConnectionClosedException or SocketException) { }
            Assert.InRange(watch.Elapsed.TotalSeconds, 1.5, 5);
        }
        finally
        {
            await server.DisposeAsync();
            engine.Dispose();
            clock.Dispose();
        }
    }

    [Fact]
    public async Task ALoopOfBadRequestsLogsOneLineNotOnePerRequest()
    {
        var writer = new StringWriter();
        var (previousWriter, previousLevel) = (Log.Writer, Log.Level);
        Log.Writer = TextWriter.Synchronized(writer);
        Log.Level = LogLevel.Info;
        var (server, engine, clock, control) = Start(29307, l => l);
        try
        {
            var socket = await ConnectFrom("127.0.9.1", control);
            using (var client = new ControlClient(new NetworkStream(socket, ownsSocket: true), (IPEndPoint)socket.LocalEndPoint!, control))
            {
                await client.SetupAsync([TwampModes.Unauthenticated], null, KeyFile.Empty, 32768, TestServer.Timeout());
                var bad = TestServer.Request(29349) with { SenderPort = 0 };
                for (int i = 0; i < 200; i++)
                    Assert.Equal(AcceptCode.NotSupported, (await client.RequestSessionAsync(bad, TestServer.Timeout())).Accept);
            }
            await Task.Delay(300);
        }
        finally
        {
            await server.DisposeAsync();
            engine.Dispose();
            clock.Dispose();
            Log.Writer = previousWriter;
            Log.Level = previousLevel;
        }
        var lines = writer.ToString().Split('\n').Where(l => l.Contains("127.0.9.1", StringComparison.Ordinal)).ToList();
        Assert.Single(lines, l => l.Contains("Request-TW-Session refused", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("refusals=200", StringComparison.Ordinal));
        Assert.True(lines.Count <= 2, string.Join("\n", lines));
    }

    [Fact]
    public async Task ConnectionThatNeverCompletesSetUpIsClosedAfterSetupTimeout()
    {
        var (server, engine, clock, control) = Start(29302, l => l with { SetupTimeout = TimeSpan.FromSeconds(1) });
        try
        {
            using var silent = await ConnectFrom("127.0.4.1", control);
            Assert.NotNull(await ReadGreetingModes(silent));
            Assert.True(await ClosedByServer(silent, 4000), "not closed after setup-timeout");
            Assert.Equal(1, server.Context.Counters.SetupTimeouts);
        }
        finally
        {
            await server.DisposeAsync();
            engine.Dispose();
            clock.Dispose();
        }
    }

    [Fact]
    public async Task RefusalsAreLoggedOnceAndThenSummarisedPerInterval()
    {
        var writer = new StringWriter();
        var (previousWriter, previousLevel) = (Log.Writer, Log.Level);
        Log.Writer = TextWriter.Synchronized(writer);
        Log.Level = LogLevel.Info;
        var (server, engine, clock, control) = Start(29303, l => l with { MaxConnections = 1 });
        var socket = await ConnectFrom("127.0.5.1", control);
        using var holder = new ControlClient(new NetworkStream(socket, ownsSocket: true), (IPEndPoint)socket.LocalEndPoint!, control);
        try
        {
            await holder.SetupAsync([TwampModes.Unauthenticated], null, KeyFile.Empty, 32768, TestServer.Timeout());
            var request = TestServer.Request(29345) with { SenderAddress = null, ReceiverAddress = null };
            Assert.Equal(AcceptCode.Ok, (await holder.RequestSessionAsync(request, TestServer.Timeout())).Accept);
            Assert.Equal(AcceptCode.Ok, await holder.StartSessionsAsync(TestServer.Timeout()));

            for (int i = 0; i < 40; i++)
            {
                using var s = await ConnectFrom($"127.0.6.{i + 1}", control);
                Assert.Equal(0u, await ReadGreetingModes(s));
            }
            await Task.Delay(1500); // the summary interval is 1 s in this test
        }
        finally
        {
            await server.DisposeAsync();
            engine.Dispose();
            clock.Dispose();
            Log.Writer = previousWriter;
            Log.Level = previousLevel;
        }
        var refusalLines = writer.ToString().Split('\n').Where(l => l.Contains("refused with Modes = 0", StringComparison.Ordinal) || l.Contains("connection(s) refused or evicted", StringComparison.Ordinal)).ToList();
        Assert.InRange(refusalLines.Count, 2, 3);
        Assert.Contains(refusalLines, l => l.Contains("connection(s) refused or evicted", StringComparison.Ordinal) && l.Contains("connection limit=39", StringComparison.Ordinal));
    }

    [Fact]
    public async Task LightPacketsFromOutsideTheAllowListAreSummarisedPerInterval()
    {
        var writer = new StringWriter();
        var (previousWriter, previousLevel) = (Log.Writer, Log.Level);
        Log.Writer = TextWriter.Synchronized(writer);
        Log.Level = LogLevel.Info;
        var light = new IPEndPoint(IPAddress.Loopback, 29398);
        var (server, engine, clock, _) = Start(29308, l => l with { LightAllow = [AddressPrefix.Parse("192.0.2.0/24")] },
            tweak: s => s with { LightListen = light });
        try
        {
            using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
            for (int i = 0; i < 7; i++) udp.Send(new byte[41], 41, light);
            await Task.Delay(1600);
        }
        finally
        {
            await server.DisposeAsync();
            engine.Dispose();
            clock.Dispose();
            Log.Writer = previousWriter;
            Log.Level = previousLevel;
        }
        Assert.Contains(writer.ToString().Split('\n'), l => l.Contains("reflector: 7 test packet(s) dropped in the last 1 s: not-allowed=7", StringComparison.Ordinal));
    }

    [Fact]
    public async Task LimitsAreFittedToTheDescriptorLimit()
    {
        var (server, engine, clock, _) = Start(29304, l => l, descriptors: 1024);
        try
        {
            var limits = server.Context.Settings.Limits;
            Assert.True(limits.MaxConnections + limits.MaxSessions + ServerLimits.DescriptorReserve <= 1024,
                $"{limits.MaxConnections} + {limits.MaxSessions} do not fit 1024 descriptors");
            Assert.True(limits.MaxSessions >= 800);
        }
        finally
        {
            await server.DisposeAsync();
            engine.Dispose();
            clock.Dispose();
        }
    }
}
