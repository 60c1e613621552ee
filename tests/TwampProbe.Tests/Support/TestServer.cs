using System.Text;
using TwampProbe.Config;
using TwampProbe.Control;
using TwampProbe.Protocol.Keys;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Sessions;
using TwampProbe.Time;

namespace TwampProbe.Tests.Support;

/// <summary>
/// A server context (real reflector engine on loopback UDP) whose control connections run over
/// in-memory duplex pipes.
/// </summary>
public sealed class TestServer : IDisposable
{
    public static readonly IPEndPoint ServerControl = new(IPAddress.Loopback, 862);
    public static readonly IPEndPoint ClientControl = new(IPAddress.Loopback, 40000);
    public const string Identity = "alice";
    public const string Secret = "secret";

    readonly CancellationTokenSource _cts = new();
    readonly List<Task> _runs = [];
    readonly List<IDisposable> _owned = [];

    /// <summary>The first (with one thread: the only) reflector engine.</summary>
    public ReflectorEngine Engine { get; }
    public ReflectorPool Pool { get; }
    public ServerContext Context { get; }
    public ClockState Clock { get; }

    public TestServer(int portLow, int portHigh, Func<ServerSettings, ServerSettings>? tweak = null, IClock? time = null,
        ReflectorPollMode poll = ReflectorPollMode.Epoll, int threads = 1)
    {
        var settings = new ServerSettings
        {
            Keys = Keys(Identity, Secret),
            Count = 1024,
            TestPortLow = portLow,
            TestPortHigh = portHigh,
        };
        if (tweak is not null) settings = tweak(settings);
        Clock = new ClockState(TimeSpan.Zero);
        Pool = new ReflectorPool(Clock, new ReflectorOptions { SocketBufferBytes = 1 << 20, Clock = time, Poll = poll }, threads);
        Engine = Pool.Engines[0];
        Context = new ServerContext(settings, Pool, Clock, time);
    }

    public static KeyFile Keys(string identity, string secret) =>
        KeyFile.Parse(identity + "\t" + Convert.ToHexString(Encoding.UTF8.GetBytes(secret)).ToLowerInvariant(), "test");

    public static CancellationToken Timeout(int seconds = 10) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    /// <summary>Starts a server connection; returns the client's end of the pipe and the server task.</summary>
    public (DuplexPipe.DuplexStream Client, Task Run) Connect(IPEndPoint? clientControl = null)
    {
        var (serverEnd, clientEnd) = DuplexPipe.Create();
        var connection = new ServerConnection(serverEnd, Context, ServerControl, clientControl ?? ClientControl);
        var run = Task.Run(() => connection.RunAsync(_cts.Token));
        lock (_runs) { _runs.Add(run); _owned.Add(connection); _owned.Add(clientEnd); }
        return (clientEnd, run);
    }

    /// <summary>A client set up in <paramref name="mode"/> with the right key.</summary>
    public async Task<(ControlClient Client, DuplexPipe.DuplexStream Stream, Task Run)> SetUpAsync(TwampModes mode,
        string identity = Identity, string secret = Secret, bool dscpEcnMonitoring = false, IPEndPoint? clientControl = null)
    {
        var (stream, run) = Connect(clientControl);
        // The base RFC 5357 formats unless a test asks for RFC 7750 (mode 256).
        var client = new ControlClient(stream, ClientControl, ServerControl) { RequestDscpEcnMonitoring = dscpEcnMonitoring };
        lock (_runs) _owned.Add(client);
        await client.SetupAsync([mode], identity, Keys(identity, secret), 32768, Timeout());
        Assert.Equal(dscpEcnMonitoring ? mode | TwampModes.DscpEcnMonitoring : mode, client.Mode);
        return (client, stream, run);
    }

    public static RequestTwSession Request(int senderPort, int receiverPort = 0, uint padding = 27, int dscp = 0,
        double timeoutSeconds = 0) => new()
    {
        SenderPort = (ushort)senderPort,
        ReceiverPort = (ushort)receiverPort,
        SenderAddress = IPAddress.Loopback,
        ReceiverAddress = IPAddress.Loopback,
        PaddingLength = padding,
        Timeout = NtpTimestamp.FromInterval((long)(timeoutSeconds * 1e9)),
        TypeP = TypeP.FromDscp(dscp),
    };

    /// <summary>Proves the server still serves: a fresh mode-1 client sets up, gets a session, starts and stops it.</summary>
    public async Task AssertStillServesAsync(int senderPort)
    {
        var (client, stream, run) = await SetUpAsync(TwampModes.Unauthenticated);
        var accept = await client.RequestSessionAsync(Request(senderPort), Timeout());
        Assert.Equal(AcceptCode.Ok, accept.Accept);
        Assert.Equal(AcceptCode.Ok, await client.StartSessionsAsync(Timeout()));
        await client.StopSessionsAsync(AcceptCode.Ok, 1, Timeout());
        client.Dispose();
        await run.WaitAsync(TimeSpan.FromSeconds(5));
    }

    /// <summary>Reads until EOF; returns the bytes read before it, or throws when no EOF came in time.</summary>
    public static async Task<int> ReadUntilEofAsync(Stream stream, TimeSpan within)
    {
        using var cts = new CancellationTokenSource(within);
        var buffer = new byte[256];
        int total = 0;
        try
        {
            while (true)
            {
                int n = await stream.ReadAsync(buffer, cts.Token);
                if (n == 0) return total;
                total += n;
            }
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"the server did not close the connection within {within.TotalSeconds} s ({total} octets read)");
        }
    }

    public void Dispose()
    {
        _cts.Cancel();
        Task[] runs;
        lock (_runs) runs = [.. _runs];
        try { Task.WaitAll(runs, TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        foreach (var d in _owned) d.Dispose();
        Pool.Dispose();
        Clock.Dispose();
        _cts.Dispose();
    }
}
