using System.Net.Sockets;
using TwampProbe.Tests.Support;

namespace TwampProbe.Tests.Control;

/// <summary>Receiver Port choice and the alternate-port answer (RFC 5357 erratum 1587, RFC 8545 §5.1). Test ports: TestPorts.ReceiverPort.</summary>
public sealed class ReceiverPortTests : IDisposable
{
    static readonly int Low = TestPorts.ReceiverPort.Low, High = TestPorts.ReceiverPort.High; // the class's range: Support/TestPorts.cs
    readonly TestServer _server = new(Low, High);

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task FreePortInsideTheRangeIsGrantedAsAsked()
    {
        var (client, _, _) = await _server.SetUpAsync(TwampModes.Unauthenticated);

        var answer = await client.RequestSessionAsync(TestServer.Request(31200, receiverPort: Low + 17), TestServer.Timeout());

        Assert.Equal(AcceptCode.Ok, answer.Accept);
        Assert.Equal(Low + 17, answer.Port);
        // The reflector really holds it now.
        Assert.Throws<SocketException>(() => new UdpClient(new IPEndPoint(IPAddress.Loopback, Low + 17)).Dispose());
    }

    [Fact]
    public async Task PortBoundBySomeoneElseGetsAccept0WithAnAlternatePortFromTheRange()
    {
        using var squatter = new UdpClient(new IPEndPoint(IPAddress.Loopback, Low + 18));
        var (client, _, _) = await _server.SetUpAsync(TwampModes.Unauthenticated);

        var answer = await client.RequestSessionAsync(TestServer.Request(31201, receiverPort: Low + 18), TestServer.Timeout());

        Assert.Equal(AcceptCode.Ok, answer.Accept);
        Assert.NotEqual(Low + 18, answer.Port);
        Assert.InRange(answer.Port, Low, High);
        Assert.True(_server.Context.Counters.AlternatePortAnswers >= 1);
    }

    [Theory]
    [InlineData(5000)]
    [InlineData(0)]
    public async Task PortOutsideTheRangeGetsAccept0WithAPortInsideTheRange(int requested)
    {
        var (client, _, _) = await _server.SetUpAsync(TwampModes.Unauthenticated);

        var answer = await client.RequestSessionAsync(TestServer.Request(31202, receiverPort: requested), TestServer.Timeout());

        Assert.Equal(AcceptCode.Ok, answer.Accept);
        Assert.InRange(answer.Port, Low, High);
    }

    [Fact]
    public async Task SessionsFromDifferentSenderPortsShareTheRequestedPort()
    {
        var (client, _, _) = await _server.SetUpAsync(TwampModes.Unauthenticated);

        var first = await client.RequestSessionAsync(TestServer.Request(31203, receiverPort: Low + 19), TestServer.Timeout());
        var second = await client.RequestSessionAsync(TestServer.Request(31204, receiverPort: Low + 19), TestServer.Timeout());

        Assert.Equal(AcceptCode.Ok, first.Accept);
        Assert.Equal(AcceptCode.Ok, second.Accept);
        Assert.Equal(Low + 19, first.Port);
        Assert.Equal(Low + 19, second.Port);
        Assert.NotEqual(first.Sid, second.Sid);
    }

    [Fact]
    public async Task SameSenderAskingTwiceForOnePortGetsAnAlternateForTheSecond()
    {
        var (client, _, _) = await _server.SetUpAsync(TwampModes.Unauthenticated);

        var first = await client.RequestSessionAsync(TestServer.Request(31205, receiverPort: Low + 20), TestServer.Timeout());
        var second = await client.RequestSessionAsync(TestServer.Request(31205, receiverPort: Low + 20), TestServer.Timeout());

        Assert.Equal(Low + 20, first.Port);
        Assert.Equal(AcceptCode.Ok, second.Accept);
        Assert.NotEqual(Low + 20, second.Port);
        Assert.InRange(second.Port, Low, High);
    }
}
