using System.Diagnostics;
using System.Net.Sockets;
using TwampProbe.Tests.Support;

namespace TwampProbe.Tests.Control;

/// <summary>SERVWAIT and REFWAIT (RFC 5357 §3.1, §4.2). Test ports: TestPorts.Timer.</summary>
public sealed class TimerTests
{
    static readonly int Low = TestPorts.Timer.Low, High = TestPorts.Timer.High; // the class's range: Support/TestPorts.cs

    [Fact]
    public async Task IdleConnectionIsClosedAfterServWait()
    {
        using var server = new TestServer(Low, High, s => s with { Limits = s.Limits with { ServWait = TimeSpan.FromSeconds(1) } });
        var (_, stream, run) = await server.SetUpAsync(TwampModes.Encrypted);
        var clock = Stopwatch.StartNew();

        Assert.Equal(0, await TestServer.ReadUntilEofAsync(stream, TimeSpan.FromSeconds(3)));

        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.7), TimeSpan.FromSeconds(2.2));
        await run.WaitAsync(TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task ServWaitIsSuspendedWhileASessionRuns()
    {
        using var server = new TestServer(Low + 10, High, s => s with
        {
            Limits = s.Limits with { ServWait = TimeSpan.FromSeconds(1), RefWait = TimeSpan.FromSeconds(30) },
        });
        var (client, _, run) = await server.SetUpAsync(TwampModes.Unauthenticated);
        Assert.Equal(AcceptCode.Ok, (await client.RequestSessionAsync(TestServer.Request(31300), TestServer.Timeout())).Accept);
        Assert.Equal(AcceptCode.Ok, await client.StartSessionsAsync(TestServer.Timeout()));

        await Task.Delay(1800);

        Assert.False(run.IsCompleted);
    }

    [Fact]
    public async Task StartedSessionWithoutPacketsIsEndedAfterRefWaitAndItsPortReleased()
    {
        using var server = new TestServer(Low + 20, High, s => s with { Limits = s.Limits with { RefWait = TimeSpan.FromSeconds(1) } });
        var (client, _, run) = await server.SetUpAsync(TwampModes.Unauthenticated);
        var answer = await client.RequestSessionAsync(TestServer.Request(31301, receiverPort: Low + 21, timeoutSeconds: 60), TestServer.Timeout());
        Assert.Equal(Low + 21, answer.Port);
        Assert.Equal(AcceptCode.Ok, await client.StartSessionsAsync(TestServer.Timeout()));
        var port = new IPEndPoint(IPAddress.Loopback, answer.Port);
        Assert.Throws<SocketException>(() => new UdpClient(port).Dispose()); // held while the session runs

        var clock = Stopwatch.StartNew();
        UdpClient? rebound = null;
        while (rebound is null && clock.Elapsed < TimeSpan.FromSeconds(4))
        {
            try { rebound = new UdpClient(port); }
            catch (SocketException) { await Task.Delay(50); }
        }

        Assert.NotNull(rebound);
        rebound.Dispose();
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(2.5));
        Assert.Equal(0, server.Context.ActiveSessions);
        Assert.False(run.IsCompleted); // REFWAIT ends the session, not the control connection
    }
}
