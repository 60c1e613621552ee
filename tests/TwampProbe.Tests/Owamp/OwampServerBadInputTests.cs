using TwampProbe.Protocol.Owamp;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Protocol.Wire.Owamp.Control;
using static TwampProbe.Tests.Owamp.OwampServerHarness;

namespace TwampProbe.Tests.Owamp;

/// <summary>Bad OWAMP-Control input: the right Accept code or a closed connection, and everyone else still served.</summary>
public class OwampServerBadInputTests
{
    /// <summary>This class's test ports (Support/TestPorts.cs); each server takes 50 from Low + its offset.</summary>
    static readonly TestPorts.Range Ports = TestPorts.OwampServerBadInput;

    public static TheoryData<string, Func<RequestSession, RequestSession>> BadRequests => new()
    {
        { "neither Conf-Sender nor Conf-Receiver", r => r with { ConfReceiver = 0 } },
        { "both Conf-Sender and Conf-Receiver", r => r with { ConfSender = 1 } },
        { "no schedule slots", r => r with { Slots = [] } },
        { "slot type 7", r => r with { Slots = [new ScheduleSlot((ScheduleSlotType)7, 0)] } },
        { "IPVN 5", r => r with { IpVersion = 5 } },
        { "Receiver Address not ours", r => r with { ReceiverAddress = IPAddress.Parse("192.0.2.1") } },
        { "padding beyond max-padding", r => r with { PaddingLength = 9000 } },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadRequestGetsAccept3AndTheConnectionGoesOn(string what, Func<RequestSession, RequestSession> spoil)
    {
        _ = what;
        await using var h = new OwampServerHarness(Ports.Low);
        using var client = await h.ConnectAsync(TwampModes.Authenticated);
        var answer = await client.RequestAsync(spoil(Request(serverReceives: true, 10, TimeSpan.FromMilliseconds(1))));
        Assert.Equal((AcceptCode.NotSupported, (ushort)0), (answer.Accept, answer.Port));
        Assert.Equal(AcceptCode.Ok, (await client.RequestAsync(Request(serverReceives: true, 10, TimeSpan.FromMilliseconds(1)))).Accept);
    }

    [Fact]
    public async Task SendingToAThirdPartyIsDeclinedWithAccept1()
    {
        await using var h = new OwampServerHarness(Ports.Low + 50);
        using var client = await h.ConnectAsync();
        // RFC 4656 §6.2: the Receiver Address must be the control client's unless configured.
        var answer = await client.RequestAsync(Request(serverReceives: false, 10, TimeSpan.FromMilliseconds(1), port: 5000) with { ReceiverAddress = IPAddress.Parse("127.0.0.2") });
        Assert.Equal(AcceptCode.Failure, answer.Accept);
    }

    [Fact]
    public async Task ThirdPartyInAllowThirdPartyIsServed()
    {
        await using var h = new OwampServerHarness(Ports.Low + 60, l => l with { AllowThirdParty = [TwampProbe.Config.AddressPrefix.Parse("127.0.0.2/32")] });
        using var client = await h.ConnectAsync();
        var answer = await client.RequestAsync(Request(serverReceives: false, 10, TimeSpan.FromMilliseconds(1), port: 5000) with { ReceiverAddress = IPAddress.Parse("127.0.0.2") });
        Assert.Equal(AcceptCode.Ok, answer.Accept);
    }

    [Fact]
    public async Task UnknownCommandClosesTheConnectionOthersAreStillServed()
    {
        await using var h = new OwampServerHarness(Ports.Low + 70);
        using var client = await h.ConnectAsync(TwampModes.Encrypted);
        var bytes = new byte[32];
        bytes[0] = 5; // Request-TW-Session: TWAMP's, not OWAMP's
        await client.Channel.WriteWithHmacAsync(bytes, OwampTestClient.Timeout());
        Assert.True(await client.ClosedByServerAsync());
        using var other = await h.ConnectAsync();
        Assert.Equal(AcceptCode.Ok, (await other.RequestAsync(Request(serverReceives: true, 10, TimeSpan.FromMilliseconds(1)))).Accept);
    }

    [Fact]
    public async Task BadHmacClosesTheConnection()
    {
        await using var h = new OwampServerHarness(Ports.Low + 80);
        using var client = await h.ConnectAsync(TwampModes.Authenticated);
        var request = Request(serverReceives: true, 10, TimeSpan.FromMilliseconds(1));
        var bytes = new byte[request.Length];
        request.Write(bytes);
        // The slots' HMAC computed over different slots: the server must not use the message.
        client.Channel.Send.SealWithHmac(bytes.AsSpan(0, RequestSession.PreambleSize));
        bytes[RequestSession.PreambleSize + 9] ^= 1;
        client.Channel.Send.Authenticate(bytes.AsSpan(RequestSession.PreambleSize, 16));
        bytes[RequestSession.PreambleSize + 9] ^= 1;
        client.Channel.Send.WriteHmac(bytes.AsSpan(RequestSession.PreambleSize + 16));
        client.Channel.Send.Encrypt(bytes.AsSpan(RequestSession.PreambleSize));
        await client.Channel.WriteClearAsync(bytes, OwampTestClient.Timeout());
        Assert.True(await client.ClosedByServerAsync());
    }

    [Fact]
    public async Task StopSessionsWithTheWrongNumberOfSessionsClosesTheConnection()
    {
        await using var h = new OwampServerHarness(Ports.Low + 90);
        using var client = await h.ConnectAsync();
        Assert.Equal(AcceptCode.Ok, (await client.RequestAsync(Request(serverReceives: true, 10, TimeSpan.FromMilliseconds(1)))).Accept);
        Assert.Equal(AcceptCode.Ok, await client.StartAsync());
        // The client sends one session; RFC 4656 §3.8: a Stop-Sessions not accounting for exactly it is invalid.
        await client.StopAsync(AcceptCode.Ok);
        Assert.True(await client.ClosedByServerAsync());
    }

    [Fact]
    public async Task RequestWhileMeasuringGetsAccept3()
    {
        await using var h = new OwampServerHarness(Ports.Low + 100);
        using var client = await h.ConnectAsync();
        Assert.Equal(AcceptCode.Ok, await client.StartAsync());
        Assert.Equal(AcceptCode.NotSupported, (await client.RequestAsync(Request(serverReceives: true, 10, TimeSpan.FromMilliseconds(1)))).Accept);
        Assert.Equal(AcceptCode.NotSupported, await client.StartAsync());
        await client.StopAsync(AcceptCode.Ok);
        Assert.Empty((await client.ReadStopAsync()).Sessions);
        Assert.Equal(AcceptCode.Ok, (await client.RequestAsync(Request(serverReceives: true, 10, TimeSpan.FromMilliseconds(1)))).Accept);
    }

    [Fact]
    public async Task GreetingOffersModes124OnlyAndMixedModeIsRefused()
    {
        await using var h = new OwampServerHarness(Ports.Low + 110);
        using var probe = await OwampTestClient.ConnectAsync(h.Owamp);
        var greeting = new byte[ServerGreeting.Size];
        await probe.Channel.ReadExactAsync(greeting, OwampTestClient.Timeout());
        Assert.Equal(TwampModes.Unauthenticated | TwampModes.Authenticated | TwampModes.Encrypted, ServerGreeting.Parse(greeting).Modes);
        var setup = new byte[SetupResponse.Size];
        SetupResponse.Unauthenticated(TwampModes.Mixed).Write(setup);
        await probe.Channel.WriteClearAsync(setup, OwampTestClient.Timeout());
        var start = new byte[ServerStart.Size];
        await probe.Channel.ReadExactAsync(start, OwampTestClient.Timeout());
        Assert.Equal(AcceptCode.NotSupported, ServerStart.Parse(start).Accept);
        // TWAMP beside it still offers mixed mode (and RFC 7750) on its own port.
        using var twamp = new System.Net.Sockets.TcpClient();
        await twamp.ConnectAsync(h.Server.ListenEndPoints[0]);
        await twamp.GetStream().ReadExactlyAsync(greeting);
        Assert.True(ServerGreeting.Parse(greeting).Modes.HasFlag(TwampModes.Mixed));
    }
}
