using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using TwampProbe.Protocol.Crypto;
using TwampProbe.Protocol.Keys;
using TwampProbe.Protocol.Wire;
using TwampProbe.Protocol.Wire.Control;

namespace TwampProbe.Control;

/// <summary>
/// The Control-Client side of TWAMP-Control (RFC 5357 §3, RFC 4656 §3.1): connect, choose a mode
/// from a preference list, set up security, request/start/stop sessions.
/// </summary>
public sealed class ControlClient : IDisposable
{
    readonly ControlChannel _channel;
    SessionKeys? _keys;

    public TwampModes Mode { get; private set; }
    public TwampModes ServerModes { get; private set; }
    public IPEndPoint LocalEndPoint { get; }
    public IPEndPoint RemoteEndPoint { get; }
    public SessionKeys? Keys => _keys;
    public NtpTimestamp ServerStartTime { get; private set; }
    /// <summary>Source of the session keys and Client-IV; replaced only by the replay tests, which
    /// inject the keys perfSONAR twping chose so that our bytes can be compared with its bytes.</summary>
    internal Func<int, byte[]> RandomBytes { get; set; } = RandomNumberGenerator.GetBytes;

    /// <summary>Ask for RFC 7750 DSCP and ECN Monitoring when the server offers it.</summary>
    public bool RequestDscpEcnMonitoring { get; set; } = true;

    public ControlClient(Stream stream, IPEndPoint local, IPEndPoint remote)
    {
        _channel = new ControlChannel(stream);
        LocalEndPoint = local;
        RemoteEndPoint = remote;
    }

    /// <summary>
    /// Connects to <paramref name="server"/>; with <paramref name="local"/> (ping -S) the socket is bound
    /// to it first, so that the control connection leaves from the same address as the test packets
    /// (the server checks the Sender Address against the control client's, RFC 4656 §6.2).
    /// </summary>
    public static async Task<ControlClient> ConnectAsync(IPEndPoint server, TimeSpan timeout, CancellationToken ct, IPAddress? local = null)
    {
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            if (local is not null) socket.Bind(new IPEndPoint(local, 0));
            await socket.ConnectAsync(server, cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            socket.Dispose();
            throw new SocketException((int)SocketError.TimedOut);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new ControlClient(new NetworkStream(socket, ownsSocket: true), (IPEndPoint)socket.LocalEndPoint!, server);
    }

    /// <summary>
    /// Reads the Server-Greeting, picks the first mode of <paramref name="preference"/> the server
    /// offers (secure modes only with a key), sends Set-Up-Response and reads Server-Start.
    /// </summary>
    public async Task SetupAsync(IReadOnlyList<TwampModes> preference, string? identity, KeyFile keys,
        uint maximumCount, CancellationToken ct)
    {
        var greetingBytes = new byte[ServerGreeting.Size];
        await _channel.ReadExactAsync(greetingBytes, ct).ConfigureAwait(false);
        var greeting = ServerGreeting.Parse(greetingBytes);
        // A client MUST ignore Modes bits it does not know (RFC 4656 §3.1).
        ServerModes = greeting.Modes;
        var offered = greeting.Modes & TwampModes.SecurityModes;
        if (offered == TwampModes.None)
            throw new ServerRefusedException("the server offers no mode to this client (Modes = 0): it is at its connection limit or does not accept this address; try again later or ask its operator", AcceptCode.Failure);

        byte[] passphrase = [];
        bool haveKey = identity is not null && keys.TryGetPassphrase(identity, out passphrase);
        var chosen = preference.FirstOrDefault(m => (offered & m) != 0 && (!m.HasSecureControl() || haveKey));
        if (chosen == TwampModes.None)
        {
            await WriteSetupAsync(SetupResponse.Unauthenticated(TwampModes.None), ct).ConfigureAwait(false);
            var wanted = string.Join(",", preference.Select(m => m.Name()));
            var has = string.Join(",", Enum.GetValues<TwampModes>().Where(m => m.IsSingleSecurityMode() && (offered & m) != 0).Select(m => m.Name()));
            var hint = identity is null ? " (secure modes need -u IDENTITY and -k KEYFILE)"
                : !haveKey ? $" (identity '{identity}' is not in the key file)" : "";
            throw new ServerRefusedException($"no common mode: asked {wanted}, server offers {has}{hint}", AcceptCode.NotSupported);
        }
        Mode = chosen;
        if (RequestDscpEcnMonitoring && greeting.Modes.HasDscpEcnMonitoring())
            Mode = chosen | TwampModes.DscpEcnMonitoring;

        if (!chosen.HasSecureControl())
        {
            await WriteSetupAsync(SetupResponse.Unauthenticated(Mode), ct).ConfigureAwait(false);
            await ReadServerStartAsync(ct).ConfigureAwait(false);
            return;
        }

        // RFC 5357 §6: a client SHOULD refuse an unreasonable Count rather than spend unbounded CPU.
        if (SharedSecret.CheckCount(greeting.Count, maximumCount) is { } bad)
        {
            await WriteSetupAsync(SetupResponse.Unauthenticated(TwampModes.None), ct).ConfigureAwait(false);
            throw new ServerRefusedException($"server greeting: {bad}", AcceptCode.NotSupported);
        }
        var key = SharedSecret.DeriveKey(passphrase, greeting.Salt, greeting.Count);
        _keys = new SessionKeys(RandomBytes(SessionKeys.AesKeyLength), RandomBytes(SessionKeys.HmacKeyLength));
        var token = Token.Create(key, greeting.Challenge, _keys);
        CryptographicOperations.ZeroMemory(key);
        var clientIv = RandomBytes(16);
        await WriteSetupAsync(new SetupResponse(Mode, identity!, token, clientIv), ct).ConfigureAwait(false);
        var start = await ReadServerStartAsync(ct, identity).ConfigureAwait(false);
        _channel.Secure(_keys, clientIv, start.ServerIv);
        // Octets 32-47 of Server-Start open the server's CBC stream and its first HMAC (RFC 5357 §3.2).
        await _channel.ReadBlocksAsync(_serverStartTail, ct).ConfigureAwait(false);
        ServerStartTime = NtpTimestamp.Read(_serverStartTail);
    }

    readonly byte[] _serverStartTail = new byte[ServerStart.Size - ServerStart.ClearPrefix];

    async Task WriteSetupAsync(SetupResponse response, CancellationToken ct)
    {
        var bytes = new byte[SetupResponse.Size];
        response.Write(bytes);
        await _channel.WriteClearAsync(bytes, ct).ConfigureAwait(false);
    }

    async Task<ServerStart> ReadServerStartAsync(CancellationToken ct, string? identity = null)
    {
        var head = new byte[ServerStart.Size];
        await _channel.ReadExactAsync(head.AsMemory(0, ServerStart.ClearPrefix), ct).ConfigureAwait(false);
        var accept = AcceptCodeExtensions.Normalize(head[15]);
        if (accept != AcceptCode.Ok)
        {
            var what = accept switch
            {
                AcceptCode.Failure when identity is not null =>
                    $"server rejected the key identity '{identity}' or its secret (Accept=1): check -u/-k",
                AcceptCode.Failure => "server refused the connection (Accept=1)",
                AcceptCode.NotSupported => $"server does not support mode {Mode.Name()} (Accept=3): try another -m",
                _ => $"server refused the connection: {accept.Describe()} (Accept={(int)accept})",
            };
            throw new ServerRefusedException(what, accept);
        }
        if (Mode.HasSecureControl()) return ServerStart.Parse(head); // tail is read encrypted
        await _channel.ReadExactAsync(head.AsMemory(ServerStart.ClearPrefix), ct).ConfigureAwait(false);
        var start = ServerStart.Parse(head);
        ServerStartTime = start.StartTime;
        return start;
    }

    public async Task<AcceptSession> RequestSessionAsync(RequestTwSession request, CancellationToken ct)
    {
        var bytes = new byte[RequestTwSession.Size];
        request.Write(bytes);
        await _channel.WriteWithHmacAsync(bytes, ct).ConfigureAwait(false);
        var body = new byte[AcceptSession.BodySize];
        await _channel.ReadBlocksAsync(body, ct).ConfigureAwait(false);
        await _channel.ReadAndVerifyHmacAsync("Accept-Session", ct).ConfigureAwait(false);
        return AcceptSession.Parse(body);
    }

    public async Task<AcceptCode> StartSessionsAsync(CancellationToken ct)
    {
        var bytes = new byte[ShortControlMessage.Size];
        ShortControlMessage.WriteStartSessions(bytes);
        await _channel.WriteWithHmacAsync(bytes, ct).ConfigureAwait(false);
        var body = new byte[ShortControlMessage.BodySize];
        await _channel.ReadBlocksAsync(body, ct).ConfigureAwait(false);
        await _channel.ReadAndVerifyHmacAsync("Start-Ack", ct).ConfigureAwait(false);
        return ShortControlMessage.ParseStartAck(body);
    }

    public async Task StopSessionsAsync(AcceptCode accept, uint sessions, CancellationToken ct)
    {
        var bytes = new byte[ShortControlMessage.Size];
        ShortControlMessage.WriteStopSessions(bytes, accept, sessions);
        await _channel.WriteWithHmacAsync(bytes, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Completes when the control connection ends while a test runs: the server sends nothing between
    /// Start-Ack and Stop-Sessions (RFC 5357 §3.7-3.8), so a read that returns is the end of the
    /// connection (EOF, reset) or a protocol violation. Returns what happened; cancelled by <paramref name="ct"/>.
    /// </summary>
    public async Task<Exception> WatchForLossAsync(CancellationToken ct)
    {
        var one = new byte[1];
        try
        {
            int n = await _channel.Stream.ReadAsync(one, ct).ConfigureAwait(false);
            return n == 0 ? new ControlConnectionClosedException()
                : new ControlProtocolException("the server sent data while the session ran (nothing is expected before Stop-Sessions)");
        }
        catch (OperationCanceledException) { throw; }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException) { return e; }
    }

    /// <summary>Sends raw bytes as they are (for tests of the server's handling of bad input).</summary>
    internal Task WriteRawAsync(byte[] bytes, bool seal, CancellationToken ct) =>
        seal ? _channel.WriteWithHmacAsync(bytes, ct) : _channel.WriteClearAsync(bytes, ct);

    internal ControlChannel Channel => _channel;

    public void Dispose()
    {
        _keys?.Dispose();
        _channel.Dispose();
    }
}

/// <summary>The server said no (an Accept code ≠ 0) or offered nothing usable.</summary>
public sealed class ServerRefusedException(string message, AcceptCode accept) : Exception(message)
{
    public AcceptCode Accept { get; } = accept;
}
