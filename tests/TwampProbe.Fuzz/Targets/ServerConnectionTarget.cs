using System.Net;
using TwampProbe.Config;
using TwampProbe.Control;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Keys;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Control;
using TwampProbe.Sessions;
using TwampProbe.Tests.Support;
using TwampProbe.Time;

namespace TwampProbe.Fuzz;

/// <summary>
/// The server's TWAMP-Control state machine (<see cref="ServerConnection"/>) over an in-memory stream,
/// with a reflector engine of its own per input (so that no session outlives its input). Bad input is
/// handled inside <see cref="ServerConnection.RunAsync"/> (it answers or closes); whatever escapes it,
/// or a connection that does not end once the input is exhausted, is a finding.
/// <list type="bullet">
/// <item><c>server</c>: the input is the client's byte stream from Set-Up-Response on (the greeting is
/// discarded). Unauthenticated mode is fully reachable; secure modes get as far as the Token check.</item>
/// <item><c>server-auth</c>: a valid set-up in the mode byte 0 picks (authenticated, encrypted, mixed) is
/// done by the harness; the rest is a sequence of message bodies (96 octets after Command Number 5,
/// else 16), each encrypted and sealed with a valid HMAC, so the commands behind the HMAC are fuzzed.</item>
/// </list>
/// </summary>
public static class ServerConnectionTarget
{
    public const string Identity = "fuzz";
    static readonly byte[] Passphrase = "fuzz-secret"u8.ToArray();
    /// <summary>Test ports of the fuzz server; no other test uses this range.</summary>
    public const int PortLow = 31800, PortHigh = 31899;
    static readonly IPEndPoint ServerControl = new(IPAddress.Loopback, 862);
    static readonly IPEndPoint ClientControl = new(IPAddress.Loopback, 40000);
    static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    static readonly TwampModes[] SecureModes = [TwampModes.Authenticated, TwampModes.Encrypted, TwampModes.Mixed];

    static readonly ClockState Clock = new(TimeSpan.Zero);
    static readonly ServerSettings Settings = new()
    {
        Keys = KeyFile.Parse(Identity + " " + Convert.ToHexString(Passphrase), "fuzz.pfs"),
        Count = (uint)ServerGreeting.MinimumCount,
        TestPortLow = PortLow,
        TestPortHigh = PortHigh,
        SocketBufferBytes = 1 << 16,
    };

    public static void RunRaw(byte[] input)
    {
        using var engine = NewEngine();
        var ctx = new ServerContext(Settings, engine, Clock);
        using var connection = new ServerConnection(new InputStream(input), ctx, ServerControl, ClientControl);
        Finish(connection.RunAsync(CancellationToken.None));
    }

    public static void RunAuthenticated(byte[] input)
    {
        if (input.Length == 0) return;
        using var engine = NewEngine();
        var ctx = new ServerContext(Settings, engine, Clock);
        var (serverEnd, clientEnd) = DuplexPipe.Create();
        using var connection = new ServerConnection(serverEnd, ctx, ServerControl, ClientControl);
        using var timeout = new CancellationTokenSource(Deadline);
        var run = Task.Run(() => connection.RunAsync(timeout.Token));
        try
        {
            var mode = SecureModes[input[0] % SecureModes.Length];
            using var channel = SetUpAsync(clientEnd, mode, timeout.Token).GetAwaiter().GetResult();
            foreach (var message in Messages(input.AsSpan(1)))
                channel.WriteWithHmacAsync(message, timeout.Token).GetAwaiter().GetResult();
        }
        finally
        {
            clientEnd.Dispose();
        }
        Finish(run);
    }

    static ReflectorEngine NewEngine() => new(Clock, new ReflectorOptions { SocketBufferBytes = 1 << 16 });

    static void Finish(Task run)
    {
        if (!run.Wait(Deadline)) throw new TimeoutException($"the control connection did not end within {Deadline.TotalSeconds} s of the input's end");
        run.GetAwaiter().GetResult();
    }

    /// <summary>Splits the input into message bodies (zero-padded) plus room for the HMAC.</summary>
    static List<byte[]> Messages(ReadOnlySpan<byte> data)
    {
        var messages = new List<byte[]>();
        while (data.Length > 0)
        {
            int body = data[0] == (byte)CommandNumber.RequestTwSession ? RequestTwSession.BodySize : ShortControlMessage.BodySize;
            var message = new byte[body + ControlCipher.HmacLength];
            int n = Math.Min(body, data.Length);
            data[..n].CopyTo(message);
            data = data[n..];
            messages.Add(message);
        }
        return messages;
    }

    /// <summary>The client side of a secure set-up (RFC 4656 §3.1); returns the client's control channel.</summary>
    static async Task<ControlChannel> SetUpAsync(Stream stream, TwampModes mode, CancellationToken ct)
    {
        var channel = new ControlChannel(stream);
        var greetingBytes = new byte[ServerGreeting.Size];
        await channel.ReadExactAsync(greetingBytes, ct).ConfigureAwait(false);
        var greeting = ServerGreeting.Parse(greetingBytes);
        var key = SharedSecret.DeriveKey(Passphrase, greeting.Salt, greeting.Count);
        var keys = new SessionKeys(new byte[SessionKeys.AesKeyLength], new byte[SessionKeys.HmacKeyLength]);
        var clientIv = new byte[16];
        var response = new byte[SetupResponse.Size];
        new SetupResponse(mode, Identity, Token.Create(key, greeting.Challenge, keys), clientIv).Write(response);
        await channel.WriteClearAsync(response, ct).ConfigureAwait(false);
        var startBytes = new byte[ServerStart.Size];
        await channel.ReadExactAsync(startBytes, ct).ConfigureAwait(false);
        var start = ServerStart.Parse(startBytes);
        if (start.Accept != AcceptCode.Ok) throw new FuzzPropertyException($"harness set-up in mode {mode.Name()} refused: {start.Accept}");
        channel.Secure(keys, clientIv, start.ServerIv);
        return channel;
    }

    /// <summary>Reads return the input, then end of stream; writes (the server's answers) are discarded.</summary>
    sealed class InputStream(byte[] input) : MemoryStream(input, writable: false)
    {
        public override bool CanWrite => true;
        public override void Write(byte[] buffer, int offset, int count) { }
        public override void Write(ReadOnlySpan<byte> buffer) { }
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) => Task.CompletedTask;
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) => ValueTask.CompletedTask;
    }
}
