using System.Security.Cryptography;
using System.Text;
using TwampProbe.Control;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Tests.Support;

namespace TwampProbe.Tests.Control;

/// <summary>Greeting, Set-Up-Response and Server-Start (RFC 4656 §3.1, RFC 5357 §3.1). Test ports: TestPorts.ControlSetup.</summary>
public sealed class ControlSetupTests : IDisposable
{
    static readonly int Low = TestPorts.ControlSetup.Low, High = TestPorts.ControlSetup.High; // the class's range: Support/TestPorts.cs
    readonly TestServer _server = new(Low, High);

    public void Dispose() => _server.Dispose();

    [Theory]
    [InlineData(TwampModes.Unauthenticated)]
    [InlineData(TwampModes.Authenticated)]
    [InlineData(TwampModes.Encrypted)]
    [InlineData(TwampModes.Mixed)]
    public async Task SetupRequestStartStopSucceedInEachMode(TwampModes mode)
    {
        var (client, _, run) = await _server.SetUpAsync(mode);
        Assert.Equal(_server.Context.StartTime, client.ServerStartTime);

        var accept = await client.RequestSessionAsync(TestServer.Request(31000), TestServer.Timeout());

        Assert.Equal(AcceptCode.Ok, accept.Accept);
        Assert.InRange(accept.Port, Low, High);
        Assert.Equal(16, accept.Sid.Length);
        Assert.Contains(accept.Sid, b => b != 0);
        Assert.Equal(AcceptCode.Ok, await client.StartSessionsAsync(TestServer.Timeout()));
        await client.StopSessionsAsync(AcceptCode.Ok, 1, TestServer.Timeout());
        // The connection is still in the command loop after a valid Stop-Sessions.
        await Task.Delay(100);
        Assert.False(run.IsCompleted);
        client.Dispose();
        await run.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task WrongSharedSecretIsRejectedWithAcceptCode1AndClosed()
    {
        var (stream, run) = _server.Connect();
        var client = new ControlClient(stream, TestServer.ClientControl, TestServer.ServerControl) { RequestDscpEcnMonitoring = false };

        var e = await Assert.ThrowsAsync<ServerRefusedException>(() =>
            client.SetupAsync([TwampModes.Authenticated], TestServer.Identity, TestServer.Keys(TestServer.Identity, "not-the-secret"), 32768, TestServer.Timeout()));

        Assert.Equal(AcceptCode.Failure, e.Accept);
        Assert.Equal(16, await TestServer.ReadUntilEofAsync(stream, TimeSpan.FromSeconds(5))); // rest of Server-Start, then EOF
        await run.WaitAsync(TimeSpan.FromSeconds(5));
        await _server.AssertStillServesAsync(31001);
    }

    [Fact]
    public async Task WrongSharedSecretGivesServerStartOctet15Equal1OnTheWire()
    {
        var (stream, run) = _server.Connect();
        var greeting = await ReadGreetingAsync(stream);
        var response = SecureResponse(greeting, TwampModes.Encrypted, TestServer.Identity, "wrong");
        await stream.WriteAsync(response);

        var start = new byte[ServerStart.Size];
        await stream.ReadExactlyAsync(start, TestServer.Timeout());

        Assert.Equal(1, start[15]);
        Assert.All(start[32..40], b => Assert.Equal(0, b)); // Start-Time zero on rejection
        Assert.Equal(0, await TestServer.ReadUntilEofAsync(stream, TimeSpan.FromSeconds(5)));
        await run.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task UnknownIdentityIsRejectedWithAcceptCode1()
    {
        var (stream, run) = _server.Connect();
        var client = new ControlClient(stream, TestServer.ClientControl, TestServer.ServerControl) { RequestDscpEcnMonitoring = false };

        var e = await Assert.ThrowsAsync<ServerRefusedException>(() =>
            client.SetupAsync([TwampModes.Encrypted], "mallory", TestServer.Keys("mallory", TestServer.Secret), 32768, TestServer.Timeout()));

        Assert.Equal(AcceptCode.Failure, e.Accept);
        await run.WaitAsync(TimeSpan.FromSeconds(5));
        await _server.AssertStillServesAsync(31002);
    }

    [Fact]
    public async Task ModeNotOfferedIsRejectedWithAcceptCode3()
    {
        using var unauthOnly = new TestServer(Low + 40, High, s => s with { Modes = TwampModes.Unauthenticated });
        var (stream, run) = unauthOnly.Connect();
        var greeting = await ReadGreetingAsync(stream);
        Assert.Equal(TwampModes.Unauthenticated, greeting.Modes & TwampModes.SecurityModes);

        await stream.WriteAsync(SecureResponse(greeting, TwampModes.Encrypted, TestServer.Identity, TestServer.Secret));
        var start = new byte[ServerStart.Size];
        await stream.ReadExactlyAsync(start, TestServer.Timeout());

        Assert.Equal((byte)AcceptCode.NotSupported, start[15]);
        Assert.Equal(0, await TestServer.ReadUntilEofAsync(stream, TimeSpan.FromSeconds(5)));
        await run.WaitAsync(TimeSpan.FromSeconds(5));
        await unauthOnly.AssertStillServesAsync(31003);
    }

    [Fact]
    public async Task ModeZeroMakesTheServerCloseWithoutServerStart()
    {
        var (stream, run) = _server.Connect();
        await ReadGreetingAsync(stream);
        var response = new byte[SetupResponse.Size];
        SetupResponse.Unauthenticated(TwampModes.None).Write(response);

        await stream.WriteAsync(response);

        Assert.Equal(0, await TestServer.ReadUntilEofAsync(stream, TimeSpan.FromSeconds(5)));
        await run.WaitAsync(TimeSpan.FromSeconds(5));
        await _server.AssertStillServesAsync(31004);
    }

    [Fact]
    public async Task GreetingOffersAllModesWhenKeysExistAndCountIsTheConfiguredOne()
    {
        var (stream, _) = _server.Connect();

        var greeting = await ReadGreetingAsync(stream);

        Assert.Equal(TwampModes.SecurityModes, greeting.Modes & TwampModes.SecurityModes);
        Assert.Equal(1024u, greeting.Count);
        Assert.NotEqual(greeting.Challenge, greeting.Salt);
    }

    internal static async Task<ServerGreeting> ReadGreetingAsync(Stream stream)
    {
        var bytes = new byte[ServerGreeting.Size];
        await stream.ReadExactlyAsync(bytes, TestServer.Timeout());
        return ServerGreeting.Parse(bytes);
    }

    internal static byte[] SecureResponse(ServerGreeting greeting, TwampModes mode, string identity, string secret)
    {
        var key = SharedSecret.DeriveKey(Encoding.UTF8.GetBytes(secret), greeting.Salt, greeting.Count);
        using var keys = SessionKeys.CreateRandom();
        var token = Token.Create(key, greeting.Challenge, keys);
        var bytes = new byte[SetupResponse.Size];
        new SetupResponse(mode, identity, token, RandomNumberGenerator.GetBytes(16)).Write(bytes);
        return bytes;
    }
}
