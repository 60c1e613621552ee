using System.Diagnostics;
using TwampProbe.Config;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Tests.Support;

namespace TwampProbe.Tests.Control;

/// <summary>
/// Request-TW-Session as RFC 4656 §6.2 and §3.4 say: no reflection to third parties unless
/// configured, a Receiver Address that is not ours refused at once, only Stop-Sessions while
/// measuring, and a session cap per client prefix. Test ports: TestPorts.RequestPolicy.
/// </summary>
public sealed class RequestPolicyTests : IDisposable
{
    static readonly int Low = TestPorts.RequestPolicy.Low, High = TestPorts.RequestPolicy.High; // the class's range: Support/TestPorts.cs
    readonly TestServer _server = new(Low, High);

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task SenderAddressOfAnotherHostIsDeclinedWithAccept1()
    {
        var (client, _, run) = await _server.SetUpAsync(TwampModes.Unauthenticated);
        var request = TestServer.Request(29290) with { SenderAddress = IPAddress.Parse("127.0.0.9") };

        var answer = await client.RequestSessionAsync(request, TestServer.Timeout());

        Assert.Equal(AcceptCode.Failure, answer.Accept);
        Assert.Equal(0, answer.Port);
        Assert.Equal(0, _server.Context.ActiveSessions);
        // The connection stays usable: the same client may ask for a session to itself.
        Assert.Equal(AcceptCode.Ok, (await client.RequestSessionAsync(TestServer.Request(29291), TestServer.Timeout())).Accept);
        Assert.False(run.IsCompleted);
    }

    [Fact]
    public async Task ZeroSenderAddressMeansTheControlClientAndIsAccepted()
    {
        var (client, _, _) = await _server.SetUpAsync(TwampModes.Unauthenticated);
        var answer = await client.RequestSessionAsync(TestServer.Request(29292) with { SenderAddress = null }, TestServer.Timeout());
        Assert.Equal(AcceptCode.Ok, answer.Accept);
    }

    [Fact]
    public async Task AllowThirdPartyPermitsTheConfiguredPrefixOnly()
    {
        using var server = new TestServer(Low + 30, High, s => s with
        {
            Limits = s.Limits with { AllowThirdParty = [AddressPrefix.Parse("127.0.0.8/30")] },
        });
        var (client, _, _) = await server.SetUpAsync(TwampModes.Unauthenticated);

        var allowed = await client.RequestSessionAsync(TestServer.Request(29293) with { SenderAddress = IPAddress.Parse("127.0.0.9") }, TestServer.Timeout());
        var other = await client.RequestSessionAsync(TestServer.Request(29294) with { SenderAddress = IPAddress.Parse("127.0.0.20") }, TestServer.Timeout());

        Assert.Equal(AcceptCode.Ok, allowed.Accept);
        Assert.Equal(AcceptCode.Failure, other.Accept);
    }

    /// <summary>
    /// What is asked is judged before capacity: on a connection already at max-sessions-per-connection a
    /// third-party request still gets the policy's Accept=1 and a foreign Receiver Address Accept=3,
    /// not Accept=4 (which says "this could be served, but not now on this connection").
    /// </summary>
    [Fact]
    public async Task AtThePerConnectionLimitARequestThatCanNeverBeServedGetsItsOwnRefusal()
    {
        using var server = new TestServer(Low + 40, High, s => s with { Limits = s.Limits with { MaxSessionsPerConnection = 1 } });
        var (client, _, _) = await server.SetUpAsync(TwampModes.Unauthenticated);
        Assert.Equal(AcceptCode.Ok, (await client.RequestSessionAsync(TestServer.Request(29280), TestServer.Timeout())).Accept);

        var thirdParty = await client.RequestSessionAsync(TestServer.Request(29281) with { SenderAddress = IPAddress.Parse("127.0.0.9") }, TestServer.Timeout());
        var foreignReceiver = await client.RequestSessionAsync(TestServer.Request(29282) with { ReceiverAddress = IPAddress.Parse("192.0.2.1") }, TestServer.Timeout());
        var another = await client.RequestSessionAsync(TestServer.Request(29283), TestServer.Timeout());

        Assert.Equal(AcceptCode.Failure, thirdParty.Accept);
        Assert.Equal(AcceptCode.NotSupported, foreignReceiver.Accept);
        Assert.Equal(AcceptCode.PermanentResourceLimitation, another.Accept);
    }

    [Theory]
    [InlineData("192.0.2.1")]     // TEST-NET-1: not on this host
    [InlineData("224.0.0.1")]
    public async Task ReceiverAddressThatIsNotOursIsRefusedAtOnceWithAccept3(string receiver)
    {
        var (client, _, _) = await _server.SetUpAsync(TwampModes.Unauthenticated);
        var watch = Stopwatch.StartNew();

        var answer = await client.RequestSessionAsync(TestServer.Request(29295) with { ReceiverAddress = IPAddress.Parse(receiver) }, TestServer.Timeout());

        Assert.Equal(AcceptCode.NotSupported, answer.Accept);
        Assert.True(watch.ElapsedMilliseconds < 500, $"refusal took {watch.ElapsedMilliseconds} ms");
        Assert.Equal(0, _server.Context.ActiveSessions);
    }

    [Fact]
    public async Task AnotherLocalAddressIsAcceptedAsReceiver()
    {
        var (client, _, _) = await _server.SetUpAsync(TwampModes.Unauthenticated);
        var answer = await client.RequestSessionAsync(TestServer.Request(29296) with { ReceiverAddress = IPAddress.Parse("127.0.0.2") }, TestServer.Timeout());
        Assert.Equal(AcceptCode.Ok, answer.Accept);
    }

    [Fact]
    public async Task WhileMeasuringOnlyStopSessionsIsAvailable()
    {
        var (client, _, run) = await _server.SetUpAsync(TwampModes.Encrypted);
        Assert.Equal(AcceptCode.Ok, (await client.RequestSessionAsync(TestServer.Request(29297), TestServer.Timeout())).Accept);
        Assert.Equal(AcceptCode.Ok, await client.StartSessionsAsync(TestServer.Timeout()));

        // RFC 4656 §3.4: "While conducting active measurements, the only command available is Stop-Sessions."
        var during = await client.RequestSessionAsync(TestServer.Request(29298), TestServer.Timeout());
        var restart = await client.StartSessionsAsync(TestServer.Timeout());

        Assert.Equal(AcceptCode.NotSupported, during.Accept);
        Assert.Equal(AcceptCode.NotSupported, restart);
        Assert.Equal(1, _server.Context.ActiveSessions);
        // After Stop-Sessions the client may set up the next round.
        await client.StopSessionsAsync(AcceptCode.Ok, 1, TestServer.Timeout());
        Assert.Equal(AcceptCode.Ok, (await client.RequestSessionAsync(TestServer.Request(29298), TestServer.Timeout())).Accept);
        Assert.False(run.IsCompleted);
    }

    [Fact]
    public async Task SessionsPerClientPrefixAreCappedAcrossConnections()
    {
        using var server = new TestServer(Low + 40, High, s => s with { Limits = s.Limits with { MaxSessionsPerPrefix = 3 } });
        var a1 = await server.SetUpAsync(TwampModes.Unauthenticated);
        var a2 = await server.SetUpAsync(TwampModes.Unauthenticated);
        var b = await server.SetUpAsync(TwampModes.Unauthenticated, clientControl: new IPEndPoint(IPAddress.Parse("127.0.0.77"), 40001));

        var answers = new List<AcceptCode>();
        answers.Add((await a1.Client.RequestSessionAsync(TestServer.Request(29280), TestServer.Timeout())).Accept);
        answers.Add((await a1.Client.RequestSessionAsync(TestServer.Request(29281), TestServer.Timeout())).Accept);
        answers.Add((await a2.Client.RequestSessionAsync(TestServer.Request(29282), TestServer.Timeout())).Accept);
        var fourth = await a2.Client.RequestSessionAsync(TestServer.Request(29283), TestServer.Timeout());
        var otherPrefix = await b.Client.RequestSessionAsync(
            TestServer.Request(29284) with { SenderAddress = null }, TestServer.Timeout());

        Assert.All(answers, a => Assert.Equal(AcceptCode.Ok, a));
        Assert.Equal(AcceptCode.TemporaryResourceLimitation, fourth.Accept);
        Assert.Equal(AcceptCode.Ok, otherPrefix.Accept);
        // A session given back frees the prefix's share.
        a1.Client.Dispose();
        await a1.Run.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(AcceptCode.Ok, (await a2.Client.RequestSessionAsync(TestServer.Request(29285), TestServer.Timeout())).Accept);
    }

    [Fact]
    public async Task AStoppedSessionOutlivesItsClientOnlyForMaxTimeout()
    {
        using var server = new TestServer(Low + 45, High, s => s with { Limits = s.Limits with { MaxTimeout = TimeSpan.FromSeconds(1) } });
        var (client, _, run) = await server.SetUpAsync(TwampModes.Unauthenticated);
        // Timeout of an hour asked; the client stops and hangs up at once.
        Assert.Equal(AcceptCode.Ok, (await client.RequestSessionAsync(TestServer.Request(29286, timeoutSeconds: 3600), TestServer.Timeout())).Accept);
        Assert.Equal(AcceptCode.Ok, await client.StartSessionsAsync(TestServer.Timeout()));
        await client.StopSessionsAsync(AcceptCode.Ok, 1, TestServer.Timeout());
        client.Dispose();
        await run.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(1, server.Context.ActiveSessions);

        long deadline = Environment.TickCount64 + 4000;
        while (server.Context.ActiveSessions > 0 && Environment.TickCount64 < deadline) await Task.Delay(50);
        Assert.Equal(0, server.Context.ActiveSessions);
    }

    [Fact]
    public async Task KeyIdThatIsNotUtf8IsAnUnknownIdentityAnsweredWithAccept1()
    {
        var (stream, run) = _server.Connect();
        var greeting = new byte[ServerGreeting.Size];
        await stream.ReadExactlyAsync(greeting);
        var response = new byte[SetupResponse.Size];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(response, (uint)TwampModes.Authenticated);
        response[4] = 0xC3; // a truncated two-octet UTF-8 sequence
        response[5] = 0x28;
        await stream.WriteAsync(response);
        var start = new byte[ServerStart.Size];
        await stream.ReadExactlyAsync(start);
        Assert.Equal((byte)AcceptCode.Failure, start[15]);
        await run.WaitAsync(TimeSpan.FromSeconds(5));
    }
}
