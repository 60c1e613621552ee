using System.Net.Sockets;
using TwampProbe.Cli;
using TwampProbe.Protocol.Tests.Golden;
using TwampProbe.Tests.Support;

namespace TwampProbe.Tests.Cli;

/// <summary>
/// ping against a server that takes the connection and then stops answering (overloaded, hung, or not a
/// TWAMP-Control server): our own deadline ends the wait with a sentence that says which answer did not
/// come (exit 5), not "interrupted" as if Ctrl-C had been pressed. Real sockets on loopback; the server's
/// half is twampd's own bytes from the unauthenticated golden capture, cut short.
/// </summary>
public sealed class PingHungServerTests
{
    static PingOptions Options(TcpListener l) =>
        PingOptions.Parse(["-c", "3", "-i", "0.01", $"127.0.0.1:{((IPEndPoint)l.LocalEndpoint).Port}"]) with { SetupTimeout = TimeSpan.FromSeconds(1) };

    static async Task<PingNetworkException> Run(int serverOctets)
    {
        var s2c = TwampCapture.Load("twamp_O.pcapng").ServerToClient;
        var (listener, serving) = HungServer.Start(s2c[..serverOctets]);
        try
        {
            return await Assert.ThrowsAsync<PingNetworkException>(() => PingCommand.RunAsync(Options(listener), new StringWriter(), CancellationToken.None));
        }
        finally
        {
            listener.Stop();
            await serving.WaitAsync(TimeSpan.FromSeconds(5));
        }
    }

    [Fact]
    public async Task NoServerGreetingSaysSoNotInterrupted()
    {
        var e = await Run(0);
        Assert.Contains("no Server Greeting or Server-Start from 127.0.0.1:", e.Message);
        Assert.Contains("within 1 s", e.Message);
        Assert.Contains("or this port is not a TWAMP-Control server's", e.Message);
    }

    [Fact]
    public async Task NoAcceptSessionSaysSoNotInterrupted()
    {
        // Server Greeting (64) and Server-Start (48): the set-up succeeds, Request-TW-Session is never answered.
        var e = await Run(112);
        Assert.Matches(@"^no Accept-Session from 127\.0\.0\.1:\d+ within 1 s", e.Message);
    }

    [Fact]
    public async Task NoStartAckSaysSoNotInterrupted()
    {
        // ... and the Accept-Session (48): Start-Sessions is never answered.
        var e = await Run(160);
        Assert.Matches(@"^no Start-Ack from 127\.0\.0\.1:\d+ within 1 s", e.Message);
    }

    [Fact]
    public async Task StartSessionsHasTheWholeTimeAfterASlowAcceptSession()
    {
        // The Accept-Session comes 0.8 s after the request, of a 1 s limit; Start-Sessions then has 1 s of
        // its own (not the 0.2 s left), and only then the message.
        var s2c = TwampCapture.Load("twamp_O.pcapng").ServerToClient;
        var (listener, serving) = HungServer.Start(s2c[..160], lateFrom: 112, late: TimeSpan.FromMilliseconds(800));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var e = await Assert.ThrowsAsync<PingNetworkException>(() => PingCommand.RunAsync(Options(listener), new StringWriter(), CancellationToken.None));
            Assert.Matches(@"^no Start-Ack from 127\.0\.0\.1:\d+ within 1 s", e.Message);
            Assert.True(clock.Elapsed > TimeSpan.FromSeconds(1.6), $"gave up {clock.Elapsed.TotalSeconds:F2} s after connecting: Start-Sessions did not get its own second");
        }
        finally
        {
            listener.Stop();
            await serving.WaitAsync(TimeSpan.FromSeconds(5));
        }
    }

    [Fact]
    public async Task CtrlCDuringTheSetUpIsStillAnInterruption()
    {
        var (listener, serving) = HungServer.Start([]);
        try
        {
            using var user = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            var options = Options(listener) with { SetupTimeout = TimeSpan.FromSeconds(20) };
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => PingCommand.RunAsync(options, new StringWriter(), user.Token));
        }
        finally
        {
            listener.Stop();
            await serving.WaitAsync(TimeSpan.FromSeconds(5));
        }
    }

    [Theory]
    [InlineData("192.0.2.1", 862)]
    [InlineData("192.0.2.1:8862", 8862)]
    [InlineData("twamp.example.net:18862", 18862)]
    [InlineData("[2001:db8::1]:8862", 8862)]
    [InlineData("2001:db8::1", 862)]
    public void TheMessagesNameTheControlPortOfTheTarget(string target, int port) =>
        Assert.Equal(port, ClientCommand.ControlPort(target, 862));
}
