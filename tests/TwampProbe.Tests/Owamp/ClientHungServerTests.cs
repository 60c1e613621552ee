using System.Net.Sockets;
using TwampProbe.Cli;
using TwampProbe.Protocol.Tests.Golden;

namespace TwampProbe.Tests.Owamp;

/// <summary>
/// owping against a server that takes the connection and then never answers (overloaded, hung, or not
/// an OWAMP-Control server): our own deadline ends the wait with a sentence that says so (exit 5), not
/// with "interrupted" as if Ctrl-C had been pressed. Real sockets on loopback.
/// </summary>
public sealed class ClientHungServerTests
{
    /// <summary>A listener that accepts one connection, writes <paramref name="script"/> and then only reads.</summary>
    static (TcpListener Listener, Task Serving) Hung(byte[] script)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var serving = Task.Run(async () =>
        {
            using var peer = await listener.AcceptTcpClientAsync();
            var stream = peer.GetStream();
            await stream.WriteAsync(script);
            var sink = new byte[4096];
            try { while (await stream.ReadAsync(sink) > 0) { } } catch (IOException) { }
        });
        return (listener, serving);
    }

    static OwpingOptions Options(TcpListener l) =>
        OwpingOptions.Parse(["-c", "3", "-i", "0.01", $"127.0.0.1:{((IPEndPoint)l.LocalEndpoint).Port}"]) with { SetupTimeout = TimeSpan.FromSeconds(1) };

    [Fact]
    public async Task NoServerGreetingIsANetworkFailureThatSaysSoNotInterrupted()
    {
        var (listener, serving) = Hung([]);
        try
        {
            var e = await Assert.ThrowsAsync<PingNetworkException>(() => OwpingCommand.RunAsync(Options(listener), new StringWriter(), CancellationToken.None));
            Assert.Contains("no Server Greeting or Server-Start from 127.0.0.1:", e.Message);
            Assert.Contains("within 1 s", e.Message);
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
        var (listener, serving) = Hung(s2c[..112]);
        try
        {
            var e = await Assert.ThrowsAsync<PingNetworkException>(() => OwpingCommand.RunAsync(Options(listener), new StringWriter(), CancellationToken.None));
            Assert.Contains("no Accept-Session for the client → server session from the server within 1 s", e.Message);
        }
        finally { listener.Stop(); }
        await serving.WaitAsync(TimeSpan.FromSeconds(5));
    }
}
