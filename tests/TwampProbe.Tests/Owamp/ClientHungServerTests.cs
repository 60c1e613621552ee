using System.Net.Sockets;
using TwampProbe.Cli;
using TwampProbe.Protocol.Tests.Golden;
using TwampProbe.Tests.Support;

namespace TwampProbe.Tests.Owamp;

/// <summary>
/// owping against a server that takes the connection and then never answers (overloaded, hung, or not
/// an OWAMP-Control server): our own deadline ends the wait with a sentence that says so (exit 5), not
/// with "interrupted" as if Ctrl-C had been pressed. Real sockets on loopback.
/// </summary>
public sealed class ClientHungServerTests
{
    static OwpingOptions Options(TcpListener l) =>
        OwpingOptions.Parse(["-c", "3", "-i", "0.01", $"127.0.0.1:{((IPEndPoint)l.LocalEndpoint).Port}"]) with { SetupTimeout = TimeSpan.FromSeconds(1) };

    [Fact]
    public async Task NoServerGreetingIsANetworkFailureThatSaysSoNotInterrupted()
    {
        var (listener, serving) = HungServer.Start([]);
        try
        {
            var e = await Assert.ThrowsAsync<PingNetworkException>(() => OwpingCommand.RunAsync(Options(listener), new StringWriter(), CancellationToken.None));
            Assert.Contains("no Server Greeting or Server-Start from 127.0.0.1:", e.Message);
            Assert.Contains("within 1 s", e.Message);
        Assert.Contains("or this port is not an OWAMP-Control server's", e.Message);
        }
        finally { listener.Stop(); }
        await serving.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task NoAcceptSessionIsANetworkFailureThatSaysSoNotInterrupted()
    {
        // owampd's greeting and Server-Start (unauthenticated capture), then silence: the set-up succeeds,
        // Request-Session is never answered.
        var s2c = TwampCapture.Load("owamp_O.pcapng", controlPort: 861).ServerToClient;
        var (listener, serving) = HungServer.Start(s2c[..112]);
        try
        {
            var e = await Assert.ThrowsAsync<PingNetworkException>(() => OwpingCommand.RunAsync(Options(listener), new StringWriter(), CancellationToken.None));
            Assert.Contains("no Accept-Session for the client → server session from the server within 1 s", e.Message);
        }
        finally { listener.Stop(); }
        await serving.WaitAsync(TimeSpan.FromSeconds(5));
    }
}
