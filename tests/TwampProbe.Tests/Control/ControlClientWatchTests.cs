using System.Net.Sockets;
using TwampProbe.Control;
using TwampProbe.Protocol.Wire.Control;

namespace TwampProbe.Tests.Control;

/// <summary>How ping notices, while the test runs, that the server is gone (real TCP on loopback).</summary>
public sealed class ControlClientWatchTests
{
    static async Task<(ControlClient Client, Socket Server)> PairAsync(IPAddress? local = null)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var accept = listener.AcceptAsync();
        var client = await ControlClient.ConnectAsync((IPEndPoint)listener.LocalEndPoint!, TimeSpan.FromSeconds(5), CancellationToken.None, local);
        return (client, await accept);
    }

    [Fact]
    public async Task ServerCloseIsReportedAsClosed()
    {
        var (client, server) = await PairAsync();
        using (client)
        {
            var watch = client.WatchForLossAsync(CancellationToken.None);
            server.Close();
            Assert.IsType<ControlConnectionClosedException>(await watch.WaitAsync(TimeSpan.FromSeconds(5)));
        }
    }

    [Fact]
    public async Task ServerResetIsReportedAsAReset()
    {
        var (client, server) = await PairAsync();
        using (client)
        {
            var watch = client.WatchForLossAsync(CancellationToken.None);
            server.LingerState = new LingerOption(true, 0);
            server.Close();
            var e = await watch.WaitAsync(TimeSpan.FromSeconds(5));
            var s = Assert.IsType<SocketException>(e is IOException { InnerException: SocketException inner } ? inner : e);
            Assert.Equal(SocketError.ConnectionReset, s.SocketErrorCode);
            Assert.Equal("connection reset by the server", TwampProbe.Cli.ErrorText.Describe(e));
        }
    }

    [Fact]
    public async Task DataWhileTheSessionRunsIsAProtocolViolation()
    {
        var (client, server) = await PairAsync();
        using (client)
        using (server)
        {
            var watch = client.WatchForLossAsync(CancellationToken.None);
            server.Send(new byte[1]);
            Assert.IsType<ControlProtocolException>(await watch.WaitAsync(TimeSpan.FromSeconds(5)));
        }
    }

    [Fact]
    public async Task AQuietConnectionIsNotALossAndTheWatchCancels()
    {
        var (client, server) = await PairAsync();
        using (client)
        using (server)
        {
            using var cts = new CancellationTokenSource();
            var watch = client.WatchForLossAsync(cts.Token);
            await Task.Delay(200);
            Assert.False(watch.IsCompleted);
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watch.WaitAsync(TimeSpan.FromSeconds(5)));
        }
    }

    [Fact]
    public async Task ConnectBindsTheLocalAddressFirst()
    {
        var (client, server) = await PairAsync(IPAddress.Parse("127.0.0.3"));
        using (client)
        using (server)
        {
            Assert.Equal(IPAddress.Parse("127.0.0.3"), client.LocalEndPoint.Address);
            Assert.Equal(IPAddress.Parse("127.0.0.3"), ((IPEndPoint)server.RemoteEndPoint!).Address);
        }
    }
}
