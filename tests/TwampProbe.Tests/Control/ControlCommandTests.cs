using TwampProbe.Control;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Tests.Support;

namespace TwampProbe.Tests.Control;

/// <summary>The command loop: Request-TW-Session, Start/Stop-Sessions, bad input (RFC 5357 §3.4-3.8). Test ports: TestPorts.ControlCommand.</summary>
public sealed class ControlCommandTests : IDisposable
{
    static readonly int Low = TestPorts.ControlCommand.Low, High = TestPorts.ControlCommand.High; // the class's range: Support/TestPorts.cs
    readonly TestServer _server = new(Low, High, s => s with { Limits = s.Limits with { MaxPadding = 1000 } });

    public void Dispose() => _server.Dispose();

    [Theory]
    [InlineData(TwampModes.Authenticated)]
    [InlineData(TwampModes.Encrypted)]
    public async Task TamperedRequestHmacClosesTheConnectionWithoutAcceptSession(TwampModes mode)
    {
        var (client, stream, run) = await _server.SetUpAsync(mode);
        var bytes = new byte[RequestTwSession.Size];
        TestServer.Request(31100).Write(bytes);
        client.Channel.Send.SealWithHmac(bytes);
        bytes[RequestTwSession.BodySize + 5] ^= 0x01; // one bit of the encrypted HMAC block

        await stream.WriteAsync(bytes);

        Assert.Equal(0, await TestServer.ReadUntilEofAsync(stream, TimeSpan.FromSeconds(5)));
        await run.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(0, _server.Context.ActiveSessions);
        await _server.AssertStillServesAsync(31101);
    }

    public static TheoryData<TwampModes, byte> UnexpectedCommands()
    {
        var data = new TheoryData<TwampModes, byte>();
        foreach (var mode in new[] { TwampModes.Unauthenticated, TwampModes.Encrypted })
            foreach (byte command in new byte[] { 0, 1, 4, 6, 7, 200 })
                data.Add(mode, command);
        return data;
    }

    [Theory]
    [MemberData(nameof(UnexpectedCommands))]
    public async Task UnexpectedCommandGetsAccept3AndTheConnectionStaysUsable(TwampModes mode, byte command)
    {
        var (client, _, run) = await _server.SetUpAsync(mode);
        var block = new byte[16];
        block[0] = command;
        // One block of the client's stream: encrypted and covered by the next client HMAC (RFC 4656 §3.2).
        client.Channel.Send.Authenticate(block);
        client.Channel.Send.Encrypt(block);
        await client.Channel.Stream.WriteAsync(block);

        var body = new byte[AcceptSession.BodySize];
        await client.Channel.ReadBlocksAsync(body, TestServer.Timeout());
        await client.Channel.ReadAndVerifyHmacAsync("Accept-Session", TestServer.Timeout());
        var answer = AcceptSession.Parse(body);

        Assert.Equal(AcceptCode.NotSupported, answer.Accept);
        Assert.Equal(0, answer.Port);
        Assert.All(answer.Sid, b => Assert.Equal(0, b));
        var next = await client.RequestSessionAsync(TestServer.Request(31110 + command), TestServer.Timeout());
        Assert.Equal(AcceptCode.Ok, next.Accept);
        Assert.InRange(next.Port, Low, High);
        Assert.False(run.IsCompleted);
    }

    public static TheoryData<string> InvalidRequests() => ["conf-sender", "conf-receiver", "ipvn5", "sid", "phb", "padding", "slots"];

    [Theory]
    [MemberData(nameof(InvalidRequests))]
    public async Task UnsupportedRequestFieldGetsAccept3Port0AndTheConnectionStaysUsable(string what)
    {
        var (client, _, run) = await _server.SetUpAsync(TwampModes.Authenticated);
        var good = TestServer.Request(31120);
        var bad = what switch
        {
            "conf-sender" => good with { ConfSender = 1 },
            "conf-receiver" => good with { ConfReceiver = 1 },
            "ipvn5" => good with { IpVersion = 5 },
            "sid" => good with { Sid = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16] },
            "phb" => good with { TypeP = new TypeP(0x4000_0000) },
            "padding" => good with { PaddingLength = 1001 },
            "slots" => good with { ScheduleSlots = 1 },
            _ => throw new ArgumentException(what),
        };

        var answer = await client.RequestSessionAsync(bad, TestServer.Timeout());

        Assert.Equal(AcceptCode.NotSupported, answer.Accept);
        Assert.Equal(0, answer.Port);
        Assert.All(answer.Sid, b => Assert.Equal(0, b));
        Assert.Equal(0, _server.Context.ActiveSessions);
        var next = await client.RequestSessionAsync(good, TestServer.Timeout());
        Assert.Equal(AcceptCode.Ok, next.Accept);
        Assert.False(run.IsCompleted);
    }

    [Fact]
    public async Task PaddingEqualToMaxPaddingIsAccepted()
    {
        var (client, _, _) = await _server.SetUpAsync(TwampModes.Unauthenticated);

        var answer = await client.RequestSessionAsync(TestServer.Request(31121, padding: 1000), TestServer.Timeout());

        Assert.Equal(AcceptCode.Ok, answer.Accept);
    }

    [Fact]
    public async Task MaxSessionsReachedGivesAccept5()
    {
        using var server = new TestServer(Low + 30, High, s => s with { Limits = s.Limits with { MaxSessions = 1 } });
        var (first, _, _) = await server.SetUpAsync(TwampModes.Unauthenticated);
        var (second, _, _) = await server.SetUpAsync(TwampModes.Unauthenticated);
        Assert.Equal(AcceptCode.Ok, (await first.RequestSessionAsync(TestServer.Request(31130), TestServer.Timeout())).Accept);

        var answer = await second.RequestSessionAsync(TestServer.Request(31131), TestServer.Timeout());

        Assert.Equal(AcceptCode.TemporaryResourceLimitation, answer.Accept);
        Assert.Equal(0, answer.Port);
        // Freed when the first connection goes away: the limit is temporary.
        first.Dispose();
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (server.Context.ActiveSessions > 0 && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Equal(AcceptCode.Ok, (await second.RequestSessionAsync(TestServer.Request(31132), TestServer.Timeout())).Accept);
    }

    [Fact]
    public async Task MaxSessionsPerConnectionReachedGivesAccept4()
    {
        using var server = new TestServer(Low + 30, High, s => s with { Limits = s.Limits with { MaxSessionsPerConnection = 1 } });
        var (client, _, _) = await server.SetUpAsync(TwampModes.Encrypted);
        Assert.Equal(AcceptCode.Ok, (await client.RequestSessionAsync(TestServer.Request(31133), TestServer.Timeout())).Accept);

        var answer = await client.RequestSessionAsync(TestServer.Request(31134), TestServer.Timeout());

        Assert.Equal(AcceptCode.PermanentResourceLimitation, answer.Accept);
        Assert.Equal(0, answer.Port);
        await server.AssertStillServesAsync(31135);
    }

    [Theory]
    [InlineData(TwampModes.Unauthenticated, 0u)]
    [InlineData(TwampModes.Unauthenticated, 2u)]
    [InlineData(TwampModes.Authenticated, 2u)]
    public async Task StopSessionsWithWrongNumberOfSessionsClosesTheConnection(TwampModes mode, uint count)
    {
        var (client, stream, run) = await _server.SetUpAsync(mode);
        Assert.Equal(AcceptCode.Ok, (await client.RequestSessionAsync(TestServer.Request(31140), TestServer.Timeout())).Accept);
        Assert.Equal(AcceptCode.Ok, await client.StartSessionsAsync(TestServer.Timeout()));

        await client.StopSessionsAsync(AcceptCode.Ok, count, TestServer.Timeout());

        Assert.Equal(0, await TestServer.ReadUntilEofAsync(stream, TimeSpan.FromSeconds(5)));
        await run.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(_server.Context.Counters.ProtocolErrors > 0);
        await _server.AssertStillServesAsync(31141);
    }

    [Fact]
    public async Task StopSessionsWithTheRightNumberKeepsTheConnectionOpen()
    {
        var (client, _, run) = await _server.SetUpAsync(TwampModes.Encrypted);
        Assert.Equal(AcceptCode.Ok, (await client.RequestSessionAsync(TestServer.Request(31142), TestServer.Timeout())).Accept);
        Assert.Equal(AcceptCode.Ok, (await client.RequestSessionAsync(TestServer.Request(31143), TestServer.Timeout())).Accept);
        Assert.Equal(AcceptCode.Ok, await client.StartSessionsAsync(TestServer.Timeout()));

        await client.StopSessionsAsync(AcceptCode.Ok, 2, TestServer.Timeout());

        await Task.Delay(200);
        Assert.False(run.IsCompleted);
    }
}
